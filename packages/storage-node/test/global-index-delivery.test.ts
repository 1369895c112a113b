import { createLogger, createMetricsRegistry } from '@triad/observability';
import { ClusterView, type StorageNodeInfo } from '@triad/ring';
import type { ReplicateBatch, StorageConnector, StorageNodeConnection } from '@triad/rpc';
import { Simulator } from '@triad/runtime';
import { outboxKeyOf, type Outbox } from '../src/indexes/global-index-outbox';
import { GlobalIndexPropagator } from '../src/indexes/global-index-propagator';
import type { HintedHandoff } from '../src/repair/hinted-handoff';
import type { Leadership } from '../src/replica/leadership';
import { DeliveryRefusedError, PeerClients } from '../src/replica/peer-clients';
import type { ReplicaState } from '../src/replica/replica-state';
import { decodeRecord, encodeRecord } from '../src/storage/record-codec';
import type { StorageEngine } from '../src/storage/storage-engine';
import { dataKey } from '../src/storage/storage-keys';
import { createStorageMetrics } from '../src/storage-metrics';

import { FakeReplicatePeer, NODES_ABC } from './fake-replicate-peer';

process.env.TRIAD_LOG_LEVEL ??= 'error';

/** The global index entries' partition (every partition's replicas are a, b and c). */
const ENTRY_PARTITION = 1;
const ITEM_PARTITION = 0;

/** Drives the simulator until `promise` settles. */
async function settle<T>(sim: Simulator, promise: Promise<T>, limitMs = 10_000): Promise<T> {
  let done = false;
  const watched = promise.finally(() => (done = true));
  watched.catch(() => undefined);
  const limit = sim.nowMs + limitMs;
  while (!done) {
    if (sim.nowMs >= limit) throw new Error(`still waiting after ${limitMs} simulated ms`);
    await sim.advanceBy(10);
  }
  return watched;
}

/** Node a's propagator, with b and c as fake peers and a's own replica state as a map. */
function nodeA() {
  const sim = new Simulator(11);
  const env = sim.environment({ name: 'a' });
  const peers = new Map(['b', 'c'].map((id) => [id, new FakeReplicatePeer(env)]));
  const connector: StorageConnector = {
    connect: (address) => {
      const peer = peers.get(address.split(':')[0])!;
      return { address, replicateOnStream: (request: ReplicateBatch) => peer.replicate(request), close: () => undefined } as unknown as StorageNodeConnection;
    },
  };
  const peerClients = new PeerClients('a', env, connector);
  const records = new Map<string, Buffer>();
  const localApplied: { partition: number; key: Buffer }[] = [];
  const replicas = {
    current: async (key: Buffer) => {
      const value = records.get(key.toString('hex'));
      return value ? decodeRecord(value) : undefined;
    },
    applyIfNewer: async (partition: number, key: Buffer) => {
      localApplied.push({ partition, key });
      return true;
    },
  } as unknown as ReplicaState;
  const hints: { target: string; partition: number }[] = [];
  const handoff = { hint: async (target: StorageNodeInfo, partition: number) => void hints.push({ target: target.id, partition }) } as unknown as HintedHandoff;
  const retired: { partition: number; outboxKey: Buffer }[] = [];
  const identity = { nodeId: 'a', zone: 'a', role: 'storage' as const };
  const metrics = createStorageMetrics(createMetricsRegistry(identity));
  const propagator = new GlobalIndexPropagator({
    nodeId: 'a',
    ring: new ClusterView({ partitionCount: 4, storageNodes: NODES_ABC }),
    store: {} as StorageEngine,
    replicas,
    peers: peerClients,
    handoff,
    leadership: { isServingLeader: () => true } as unknown as Leadership,
    metrics,
    log: createLogger(identity, undefined, env),
    env,
    retire: async (partition, outboxKey) => void retired.push({ partition, outboxKey }),
  });
  const node = (id: string) => NODES_ABC.find((n) => n.id === id)!;
  return { sim, env, peers, peerClients, propagator, records, localApplied, hints, retired, metrics, node };
}

const entry = (n: number) => ({ partition: ENTRY_PARTITION, key: Buffer.from(`entry-${n}`), value: encodeRecord({ term: 1, seq: n }, { g: { S: 'red' } } as never, 10) });

describe('PeerClients.deliver', () => {
  test('rejects the records a peer refused (DeliveryRefusedError), and only those of the batch', async () => {
    const { sim, peers, peerClients, node } = nodeA();
    peers.get('b')!.refuses.add(ENTRY_PARTITION);
    const refused = peerClients.deliver(node('b'), entry(1));
    const accepted = peerClients.deliver(node('b'), { ...entry(2), partition: 2 });
    const outcomes = await settle(sim, Promise.allSettled([refused, accepted]));
    expect(peers.get('b')!.batches).toHaveLength(1); // one batch, answered record by record
    expect(outcomes[0].status).toBe('rejected');
    const error = (outcomes[0] as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(DeliveryRefusedError);
    expect(error).toMatchObject({ peer: 'b', partition: ENTRY_PARTITION });
    expect(outcomes[1].status).toBe('fulfilled');
    expect(peers.get('b')!.applied.map((r) => r.partition)).toEqual([2]);
  });
});

describe('GlobalIndexPropagator: a replica that refuses an entry does not hold it', () => {
  test('one refusal among three replicas: still a majority (this node and the one that accepted)', async () => {
    const { sim, peers, propagator, hints } = nodeA();
    peers.get('b')!.refuses.add(ENTRY_PARTITION);
    await settle(sim, propagator.deliver([entry(1)]));
    expect(peers.get('c')!.applied).toHaveLength(1);
    expect(hints).toEqual([]);
  });

  test('two refusals: not delivered, and no hint is stored for a replica that is up and said no', async () => {
    const { sim, peers, propagator, hints } = nodeA();
    peers.get('b')!.refuses.add(ENTRY_PARTITION);
    peers.get('c')!.refuses.add(ENTRY_PARTITION);
    await expect(settle(sim, propagator.deliver([entry(1)]))).rejects.toBeInstanceOf(DeliveryRefusedError);
    await sim.advanceBy(100);
    expect(hints).toEqual([]);
  });

  test('a refusal and a replica down: not delivered; the one down gets a hint, the one that refused none', async () => {
    const { sim, peers, propagator, hints } = nodeA();
    peers.get('b')!.refuses.add(ENTRY_PARTITION);
    peers.get('c')!.down = true;
    await expect(settle(sim, propagator.deliver([entry(1)]))).rejects.toThrow();
    await sim.advanceBy(100);
    expect(hints).toEqual([{ target: 'c', partition: ENTRY_PARTITION }]);
  });

  test('a replica down and two up: delivered, and the one down gets a hint (as before)', async () => {
    const { sim, peers, propagator, hints } = nodeA();
    peers.get('c')!.down = true;
    await settle(sim, propagator.deliver([entry(1)]));
    await sim.advanceBy(100);
    expect(hints).toEqual([{ target: 'c', partition: ENTRY_PARTITION }]);
  });

  test('an outbox whose entries were refused stays pending, unretired, and is delivered by a later pass', async () => {
    const { sim, peers, propagator, records, hints, retired, metrics } = nodeA();
    const itemKey = Buffer.from('table-item-1');
    const outboxKey = outboxKeyOf(itemKey);
    const key = Buffer.from('entry-1');
    const outbox: Outbox = { version: { term: 1, seq: 1 }, entries: [{ partition: ENTRY_PARTITION, key: key.toString('base64'), item: { g: { S: 'red' } }, sizeBytes: 10 }] };
    records.set(dataKey(ITEM_PARTITION, outboxKey).toString('hex'), encodeRecord(outbox.version, outbox as never, 0));
    const pending = async () => (await metrics.gsiPendingUpdates.get()).values[0]?.value;
    const failures = async () => (await metrics.gsiDeliveryFailures.get()).values[0]?.value ?? 0;

    peers.get('b')!.refuses.add(ENTRY_PARTITION);
    peers.get('c')!.refuses.add(ENTRY_PARTITION);
    propagator.notify(ITEM_PARTITION, outboxKey);
    await sim.advanceBy(1_200); // the first pass and two retries (every 500 ms), all refused
    expect(retired).toEqual([]);
    expect(await pending()).toBe(1);
    expect(await failures()).toBeGreaterThanOrEqual(2);
    expect(hints).toEqual([]);

    // The layouts agree again: the next retry delivers the entry to both and retires the outbox.
    peers.get('b')!.refuses.clear();
    peers.get('c')!.refuses.clear();
    await sim.advanceBy(1_000);
    expect(retired).toEqual([{ partition: ITEM_PARTITION, outboxKey }]);
    expect(await pending()).toBe(0);
    expect(peers.get('b')!.applied.map((r) => r.key)).toEqual([key]);
    expect(peers.get('c')!.applied.map((r) => r.key)).toEqual([key]);
    propagator.stop();
  });
});
