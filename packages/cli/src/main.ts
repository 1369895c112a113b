import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { GRPC_TLS_ENV, GRPC_TLS_FILES, envFlag, grpcSecurityFromFlags } from '@triad/rpc';
import { certsCommand } from './certs/certs-command';
import { LayoutChangeError, Ring, parseClusterLayout } from '@triad/ring';
import { ChangeProgressDisplay } from './change-progress';
import { runChange } from './change-runner';
import { formatStatus, type NodeRow } from './format-status';
import { GrpcChangeCluster } from './node-change-cluster';
import { ENCRYPTION_USAGE, runEncryptionCommand } from './encryption-command';
import { keysCommand } from './keys-command';

const USAGE = `usage: triad <command> [--layout FILE]
  status                       layout epoch and partition movement; nodes by zone: up or down,
                               partitions held and led, hints pending, disk used
  repair [--partition P ...]   run anti-entropy now on every node (for the given partitions, or all)
  drain --node ID [--undo]     hand the node's leadership away and stop it taking requests (or undo)
  join --node ID --zone Z --address HOST:PORT
                               add a storage node (started first, with the cluster's layout file):
                               stream it its partitions, with progress; run again to resume
  decommission --node ID       move every partition off the node, with progress, then drop it from
                               the layout; run again to resume
${ENCRYPTION_USAGE}
  certs init | issue           a development cluster CA and node certificates (triad certs help)
  keys create|list|enable|disable|delete|policy
                               manage access keys through a router (\`triad keys help\`)
The cluster is found from its layout file (default ./data/cluster-layout.json, written by npm start);
the newest layout the nodes hold (after joins and decommissions) is used from there. gRPC uses
mutual TLS with --grpc-tls-dir DIR (default: tls/admin beside the layout file, which npm start
makes), or plaintext with --grpc-insecure.`;

/** The CLI's certificate: given, or the one `npm start` issued beside the layout file. */
function cliTlsDir(given: string | undefined, layoutFile: string): string | undefined {
  if (given) return given;
  const local = path.join(path.dirname(layoutFile), 'tls', 'admin');
  return fs.existsSync(path.join(local, GRPC_TLS_FILES.cert)) ? local : undefined;
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  // Works on files in data directories, not through the cluster.
  if (command === 'encryption') return runEncryptionCommand(rest);
  if (command === 'certs') return certsCommand(rest, Date.now(), (line) => console.log(line));
  // Keys are managed through a router's HTTP API (signed), not the storage nodes' gRPC: no layout needed.
  if (command === 'keys') {
    try {
      return await keysCommand(rest, (line) => console.log(line), (line) => console.error(line));
    } catch (error) {
      console.error(`triad keys: ${(error as Error).message}`);
      return 1;
    }
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      layout: { type: 'string', default: process.env.TRIAD_LAYOUT ?? './data/cluster-layout.json' },
      partition: { type: 'string', multiple: true },
      node: { type: 'string' },
      zone: { type: 'string' },
      address: { type: 'string' },
      undo: { type: 'boolean', default: false },
      'grpc-tls-dir': { type: 'string', default: process.env[GRPC_TLS_ENV.dir] },
      'grpc-insecure': { type: 'boolean', default: envFlag(process.env[GRPC_TLS_ENV.insecure]) },
    },
  });
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const seed = parseClusterLayout(JSON.parse(fs.readFileSync(values.layout!, 'utf8')));
  const insecure = values['grpc-insecure'];
  const cluster = new GrpcChangeCluster(grpcSecurityFromFlags({ tlsDir: insecure ? undefined : cliTlsDir(values['grpc-tls-dir'], values.layout!), insecure }));
  try {
    const layout = await cluster.newestLayout(seed);
    const ring = new Ring(layout);
    const client = (id: string) => cluster.client(ring.node(id)!);
    switch (command) {
      case 'status': {
        const rows: NodeRow[] = await Promise.all(
          ring.nodes.map((node) =>
            client(node.id).nodeStatus({}).then(
              (status) => ({ node, status }),
              (error: Error) => ({ node, error: error.message }),
            ),
          ),
        );
        console.log(formatStatus(rows, layout));
        return 0;
      }
      case 'repair': {
        const partitions = (values.partition ?? []).map(Number);
        let failed = 0;
        for (const node of ring.nodes) {
          try {
            const reply = await client(node.id).repair({ partitions });
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
        if (!values.node || !ring.node(values.node)) {
          console.error(`drain needs --node, one of: ${ring.nodes.map((n) => n.id).join(', ')}`);
          return 2;
        }
        const reply = await client(values.node).drain({ draining: !values.undo });
        console.log(values.undo ? `${values.node} serves again` : `${values.node} draining; it still leads ${reply.partitionsLed} partitions (they move within seconds)`);
        return 0;
      }
      case 'join':
      case 'decommission': {
        if (!values.node || (command === 'join' && (!values.zone || !values.address))) {
          console.error(command === 'join' ? 'join needs --node ID --zone ZONE --address HOST:PORT' : 'decommission needs --node ID');
          return 2;
        }
        const intent =
          command === 'join'
            ? ({ kind: 'join', node: { id: values.node, zone: values.zone!, address: values.address! } } as const)
            : ({ kind: 'decommission', nodeId: values.node } as const);
        const display = new ChangeProgressDisplay((text) => process.stdout.write(text), Boolean(process.stdout.isTTY));
        try {
          await runChange(cluster, layout, intent, display);
        } catch (error) {
          if (error instanceof LayoutChangeError) {
            console.error(`triad ${command}: ${error.message}`);
            return 2;
          }
          throw error;
        }
        return 0;
      }
      default:
        console.error(USAGE);
        return 2;
    }
  } finally {
    cluster.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`\ntriad: ${(error as Error).message}`);
    process.exit(1);
  },
);
