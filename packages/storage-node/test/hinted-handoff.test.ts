import { createLogger, createMetricsRegistry } from '@triad/observability';
import { ClusterView } from '@triad/ring';
import type { ReplicateBatch, ReplicatedRecord, StorageConnector, StorageNodeConnection } from '@triad/rpc';
import { Simulator } from '@triad/runtime';
import { HintStore } from '../src/repair/hint-store';
import { HintedHandoff } from '../src/repair/hinted-handoff';
import { PeerClients } from '../src/replica/peer-clients';
import { MemoryStore } from '../src/storage/memory-store';
import { createStorageMetrics } from '../src/storage-metrics';

import { FakeReplicatePeer, NODES_ABC } from './fake-replicate-peer';

process.env.TRIAD_LOG_LEVEL ??= 'error';

/** Every partition's replicas are a, b and c: b receives every partition in a's layout. */
const PARTITION_COUNT = 4;
const REFUSED = 1;
const ACCEPTED = 2;
const WINDOW_MS = 60_000;

/** Node a's hinted handoff, holding hints for b (up, a fake peer), on simulated time. */
async function nodeA() {
  const sim = new Simulator(7);
  const env = sim.environment({ name: 'a' });
  const b = new FakeReplicatePeer(env);
  const connector: StorageConnector = {
    connect: (address) => ({ address, replicate: (request: ReplicateBatch) => b.replicate(request), close: () => undefined }) as unknown as StorageNodeConnection,
  };
  const store = new MemoryStore();
  await store.open();
  const hints = new HintStore(store, env, WINDOW_MS);
  const identity = { nodeId: 'a', zone: 'a', role: 'storage' as const };
  const metrics = createStorageMetrics(createMetricsRegistry(identity));
  const handoff = new HintedHandoff({
    selfId: 'a',
    ring: new ClusterView({ partitionCount: PARTITION_COUNT, storageNodes: NODES_ABC }),
    hints,
    peers: new PeerClients('a', env, connector),
    isUp: (node) => node.id === 'b',
    metrics,
    log: createLogger(identity, undefined, env),
    env,
  });
  const dropped = async (reason: string) => (await metrics.hintsDropped.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
  const keep = (partition: number, n: number) => handoff.keep('b', partition, Buffer.from(`key-${partition}-${n}`), Buffer.from(`value-${n}`));
  return { sim, b, hints, handoff, dropped, keep };
}

const keysOf = (records: ReplicatedRecord[]) => records.map((r) => r.key.toString());

describe('HintedHandoff: a target that refuses a hint', () => {
  test('keeps the refused hints, deletes the delivered ones, and replays the kept ones once the target takes them', async () => {
    const { sim, b, hints, handoff, keep } = await nodeA();
    await keep(REFUSED, 1);
    await keep(ACCEPTED, 2);
    b.refuses.add(REFUSED);
    handoff.start();
    await sim.advanceBy(1_100); // the first check: one batch, one record refused
    expect(b.batches.length).toBeGreaterThanOrEqual(1);
    expect(keysOf(b.applied)).toEqual(['key-2-2']);
    expect(hints.pending('b')).toBe(1);
    expect((await hints.oldest('b', 10)).map((h) => h.partition)).toEqual([REFUSED]);

    // Offered again at later checks while it is refused, and never deleted.
    await sim.advanceBy(3_000);
    expect(hints.pending('b')).toBe(1);
    expect(b.batches.length).toBeGreaterThanOrEqual(3);

    // b has learned of the move to it: the next check delivers the hint and deletes it.
    b.refuses.clear();
    await sim.advanceBy(1_100);
    expect(keysOf(b.applied)).toEqual(['key-2-2', 'key-1-1']);
    expect(hints.pending('b')).toBe(0);
    handoff.stop();
  });

  test('refused hints do not hold up later ones: a pass goes on past a batch of refused hints', async () => {
    const { sim, b, hints, handoff, keep } = await nodeA();
    for (let n = 0; n < 300; n++) await keep(REFUSED, n); // more than one replay batch (256)
    for (let n = 0; n < 5; n++) await keep(ACCEPTED, n);
    b.refuses.add(REFUSED);
    handoff.start();
    await sim.advanceBy(1_100);
    expect(keysOf(b.applied)).toEqual([0, 1, 2, 3, 4].map((n) => `key-2-${n}`));
    expect(hints.pending('b')).toBe(300);
    handoff.stop();
  });

  test('a hint refused for ever is dropped when it is past the hint window (not retried for ever)', async () => {
    const { sim, b, hints, handoff, keep, dropped } = await nodeA();
    await keep(REFUSED, 1);
    b.refuses.add(REFUSED);
    handoff.start();
    await sim.advanceBy(WINDOW_MS / 2);
    expect(hints.pending('b')).toBe(1);
    await sim.advanceBy(WINDOW_MS);
    expect(hints.pending('b')).toBe(0);
    expect(hints.targets()).toEqual([]);
    expect(b.applied).toEqual([]);
    expect(await dropped('expired')).toBe(1);
    const offers = b.batches.length;
    await sim.advanceBy(5_000);
    expect(b.batches.length).toBe(offers);
    handoff.stop();
  });
});
