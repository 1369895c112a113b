import { NodeChangeCluster, runChange, type ChangeIntent, type ChangeListener } from '@triad/cli';
import { Ring } from '@triad/ring';
import { encodeRecord } from '@triad/storage-node';
import { SimCluster } from '../src';
import { untilEveryPartitionLed } from './support/until-every-partition-led';

// Seconds of CPU (a whole cluster in one process): more than jest's 5 s on a busy machine.
jest.setTimeout(120_000);
process.env.TRIAD_LOG_LEVEL ??= 'error';

const quiet: ChangeListener = { started: () => {}, moving: () => {}, moved: () => {}, note: () => {}, finished: () => {} };

/**
 * Seed 4 of `npm run sim -- --moves --indexes --steps 20` on main at 7e1a494: the index backfill
 * delivered ten entries of partition 1 to storage-a and storage-b (a majority; storage-c was cut
 * off), storage-b then lost its disk, and partition 1 moved from storage-a to storage-d before any
 * anti-entropy round had copied them on. The move streamed what its leader, storage-c, held;
 * storage-a deleted its copy when it left, and the index stayed ten entries short of its table.
 * Global index entries (and hint replays and repairs) reach replicas outside the partition's log,
 * so the log's configuration steps do not carry them: the leader must take them over from the
 * leaving node before removing it.
 *
 * Here a record sits on storage-a alone (written to it outside the log, as a delivery is, with
 * periodic anti-entropy off so that nothing else copies it), then storage-a is decommissioned.
 */
/** A cluster of storage-a, -b, -c with storage-d joined (zone a), periodic anti-entropy off; and a decommission runner. */
async function joinedCluster() {
  const cluster = new SimCluster({ seed: 4, antiEntropyIntervalMs: 0 });
  await cluster.startNodes('storage-a', 'storage-b', 'storage-c');
  await untilEveryPartitionLed(cluster, ['storage-a', 'storage-b', 'storage-c']);
  const cli = cluster.simulator.environment({ name: 'triad-cli' });
  const admin = new NodeChangeCluster(cluster.network.process('triad-cli', cli).storage, cli);
  const change = (intent: ChangeIntent) => cluster.run(runChange(admin, cluster.layout, intent, quiet));
  cluster.addNode('storage-d', 'a');
  await cluster.startNodes('storage-d');
  await change({ kind: 'join', node: { id: 'storage-d', zone: 'a', address: 'storage-d:7000' } });
  const held = new Ring(await cluster.run(admin.newestLayout(cluster.layout))).partitionsOf('storage-a');
  return { cluster, change, held };
}

const keyOf = (partition: number) => Buffer.from(`only-on-a-${partition}`);

/** The nodes among `ids` that answer a read of the partition's test record with it. */
async function holdersOf(cluster: SimCluster, partition: number, ids: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const id of ids) {
    const reply = await cluster.run(cluster.probe(id).read({ keys: [{ partition, key: keyOf(partition) }] }));
    if (reply.results[0]!.found) found.push(id);
  }
  return found;
}

test('a record only the leaving node holds is kept by the new replica set after the move', async () => {
  const { cluster, change, held } = await joinedCluster();
  expect(held.length).toBeGreaterThan(0);
  const value = encodeRecord({ term: 1, seq: 1 }, { pk: { S: 'x' } }, 10);
  await cluster.run(cluster.probe('storage-a').replicate({ records: held.map((partition) => ({ partition, key: keyOf(partition), value })), fromLeader: false }));
  for (const partition of held) expect(await holdersOf(cluster, partition, ['storage-a', 'storage-b', 'storage-c', 'storage-d'])).toEqual(['storage-a']);

  await change({ kind: 'decommission', nodeId: 'storage-a' });
  const a = cluster.node('storage-a').process!.node!;
  for (const partition of held) {
    expect(await cluster.run(a.inspection.holdsAny(partition))).toBe(false);
    // The move's leader took it over (the others get it from the leader by anti-entropy).
    expect({ partition, kept: (await holdersOf(cluster, partition, ['storage-b', 'storage-c', 'storage-d'])).length > 0 }).toEqual({ partition, kept: true });
  }
});

test('a leaving node that is down does not hold up its decommission', async () => {
  const { cluster, change, held } = await joinedCluster();
  expect(held.length).toBeGreaterThan(0);
  cluster.crashNode('storage-a');
  const layout = await change({ kind: 'decommission', nodeId: 'storage-a' });
  expect(layout.storageNodes.map((n) => n.id)).not.toContain('storage-a');
});
