import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Ring, parseClusterLayout } from '@triad/ring';
import { StorageNodeClient } from '@triad/rpc';
import { formatStatus, type NodeRow } from './format-status';

const USAGE = `usage: triad <command> [--layout FILE]
  status                       nodes by zone: up or down, partitions held and led, hints pending, disk used
  repair [--partition P ...]   run anti-entropy now on every node (for the given partitions, or all)
  drain --node ID [--undo]     hand the node's leadership away and stop it taking requests (or undo)
The cluster is found from its layout file (default ./data/cluster-layout.json, written by npm start).`;

/** Admin calls wait this long for a node that does not answer. */
const ADMIN_CALL_DEADLINE_MS = 5_000;

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: {
      layout: { type: 'string', default: process.env.TRIAD_LAYOUT ?? './data/cluster-layout.json' },
      partition: { type: 'string', multiple: true },
      node: { type: 'string' },
      undo: { type: 'boolean', default: false },
    },
  });
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const ring = new Ring(parseClusterLayout(JSON.parse(fs.readFileSync(values.layout!, 'utf8'))));
  const clients = new Map(ring.nodes.map((n) => [n.id, new StorageNodeClient(n.address, ADMIN_CALL_DEADLINE_MS)]));
  try {
    switch (command) {
      case 'status': {
        const rows: NodeRow[] = await Promise.all(
          ring.nodes.map((node) =>
            clients.get(node.id)!.nodeStatus({}).then(
              (status) => ({ node, status }),
              (error: Error) => ({ node, error: error.message }),
            ),
          ),
        );
        console.log(formatStatus(rows));
        return 0;
      }
      case 'repair': {
        const partitions = (values.partition ?? []).map(Number);
        let failed = 0;
        for (const node of ring.nodes) {
          try {
            const reply = await clients.get(node.id)!.repair({ partitions });
            console.log(
              `${node.id}: ${reply.partitionsRepaired} partitions compared, ${reply.bucketsDiffering} buckets differed, ${reply.recordsPulled} records pulled, ${reply.recordsPushed} pushed`,
            );
          } catch (error) {
            failed++;
            console.error(`${node.id}: ${(error as Error).message}`);
          }
        }
        return failed > 0 ? 1 : 0;
      }
      case 'drain': {
        if (!values.node || !clients.has(values.node)) {
          console.error(`drain needs --node, one of: ${[...clients.keys()].join(', ')}`);
          return 2;
        }
        const reply = await clients.get(values.node)!.drain({ draining: !values.undo });
        console.log(values.undo ? `${values.node} serves again` : `${values.node} draining; it still leads ${reply.partitionsLed} partitions (they move within seconds)`);
        return 0;
      }
      default:
        console.error(USAGE);
        return 2;
    }
  } finally {
    for (const client of clients.values()) client.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`triad: ${(error as Error).message}`);
    process.exit(1);
  },
);
