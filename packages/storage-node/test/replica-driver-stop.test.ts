import { createLogger, createMetricsRegistry } from '@triad/observability';
import { ClusterView } from '@triad/ring';
import type { ElectionPacket } from '@triad/rpc';
import { Simulator, type SimulatedEnvironment } from '@triad/runtime';
import { LogStore } from '../src/log/log-store';
import type { AntiEntropy } from '../src/repair/anti-entropy';
import { ElectionStore } from '../src/replica/election-store';
import { IdentityStore } from '../src/replica/node-identity';
import { PeerClients } from '../src/replica/peer-clients';
import { ReplicaDriver } from '../src/replica/replica-driver';
import { ReplicaState } from '../src/replica/replica-state';
import { MemoryDisk } from '../src/storage/memory-disk';
import { encodeRecord } from '../src/storage/record-codec';
import { MemoryStore } from '../src/storage/memory-store';
import { createStorageMetrics } from '../src/storage-metrics';
import { ProposalOverlay } from '../src/write-path/proposal-overlay';

process.env.TRIAD_LOG_LEVEL ??= 'error';

/** Drives the simulator until `promise` settles (at most `limitMs` of simulated time). */
async function settle<T>(sim: Simulator, promise: Promise<T>, limitMs = 60_000): Promise<T> {
  let done = false;
  const watched = promise.finally(() => (done = true));
  watched.catch(() => undefined);
  await until(sim, () => done, limitMs);
  return watched;
}

const NODES = [
  { id: 'a', zone: 'a', address: 'a:7000' },
  { id: 'b', zone: 'b', address: 'b:7000' },
  { id: 'c', zone: 'c', address: 'c:7000' },
];

/** Lets simulated time pass until `condition` holds (at most `limitMs`). */
async function until(sim: Simulator, condition: () => boolean, limitMs = 60_000): Promise<void> {
  const limit = sim.nowMs + limitMs;
  while (!condition()) {
    if (sim.nowMs >= limit) throw new Error(`still waiting after ${limitMs} simulated ms`);
    await sim.advanceBy(10);
  }
}

/**
 * Three replica drivers (one partition, three replicas), each on its own MemoryStore and simulated
 * environment, their packets handed to one another directly (a call takes 1 ms each way). Node
 * `a`'s applies are slowed down by the fault point `replica.slowApply` while `applyDelayMs` says so.
 */
async function threeNodes() {
  const sim = new Simulator(7);
  const delay = { applyDelayMs: 0 };
  const drivers = new Map<string, ReplicaDriver>();
  const stores = new Map<string, MemoryStore>();
  const envs = new Map<string, SimulatedEnvironment>();
  const ring = () => new ClusterView({ partitionCount: 1, storageNodes: NODES });
  for (const { id, zone } of NODES) {
    const env = sim.environment({ name: id });
    envs.set(id, env);
    if (id === 'a') env.faults = { fires: () => false, delayMs: (point) => (point === 'replica.slowApply' ? delay.applyDelayMs : 0) };
    const store = new MemoryStore(new MemoryDisk(), { schedule: (run, _step, delayMs) => (delayMs > 0 ? env.setTimeout(run, delayMs) : env.defer(run)) });
    await settle(sim, store.open());
    stores.set(id, store);
    const identity = { nodeId: id, zone, role: 'storage' as const };
    const replicas = new ReplicaState(store, 1, (message, error) => env.exit(1, `${message}: ${String(error)}`));
    await settle(sim, replicas.load());
    const hop = <T>(work: () => Promise<T>) => new Promise<T>((resolve, reject) => env.setTimeout(() => work().then((v) => env.setTimeout(() => resolve(v), 1), reject), 1));
    const peers = { client: (peer: { id: string }) => ({ election: (packet: ElectionPacket) => hop(() => drivers.get(peer.id)!.onPacket(packet)) }) } as unknown as PeerClients;
    drivers.set(
      id,
      new ReplicaDriver({
        nodeId: id,
        ring: ring(),
        store,
        electionStore: new ElectionStore(store),
        logStore: new LogStore(store),
        replicas,
        overlay: new ProposalOverlay(),
        peers,
        antiEntropy: {} as AntiEntropy,
        isUp: () => true,
        metrics: createStorageMetrics(createMetricsRegistry(identity)),
        log: createLogger(identity, undefined, env),
        identities: new IdentityStore(store),
        env,
        onLayoutEntry: async () => undefined,
        forwardToIncoming: () => undefined,
      }),
    );
  }
  for (const driver of drivers.values()) await settle(sim, driver.start(1, new Set()));
  // A leader elected and serving (its no-op applied); then `a` is made the leader.
  const serving = () => [...drivers.values()].find((d) => d.isServingLeader(0));
  await until(sim, () => serving() !== undefined);
  if (serving() !== drivers.get('a')) {
    serving()!.transferLeadership(0, ['a']);
    await until(sim, () => drivers.get('a')!.isServingLeader(0));
  }
  return { sim, env: envs.get('a')!, store: stores.get('a')!, driver: drivers.get('a')!, delay };
}

/** A write of one item, versioned by its log position. */
const write = (term: number, index: number) => ({ records: [{ itemKey: Buffer.from('k'), value: encodeRecord({ term, seq: index }, { pk: { S: 'k' } } as never, 10) }] });

describe('a replica driver that stops', () => {
  test('waits for the applies in flight before it resolves: the store can close under it (seed 26 of --moves)', async () => {
    const { sim, env, store, driver, delay } = await threeNodes();
    const rejections: unknown[] = [];
    const rejected = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', rejected);
    try {
      delay.applyDelayMs = 2_000;
      const { applied } = driver.propose(0, write);
      applied.catch(() => undefined);
      // The entry commits at once (one replica) and its apply now sleeps for 2 s.
      await sim.advanceBy(100);
      let stopped = false;
      const stopping = Promise.resolve(driver.stop()).then(() => (stopped = true));
      await sim.advanceBy(500);
      expect(stopped).toBe(false); // the apply is still running
      await settle(sim, stopping);
      await settle(sim, applied); // it was applied, as a write acknowledged would be
      await settle(sim, store.close());
      await sim.advanceBy(5_000);
      await new Promise((resolve) => setImmediate(resolve));
      // A committed entry that cannot be applied would have ended the process (`Environment.exit`).
      expect(env.exited).toBeUndefined();
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', rejected);
    }
  });

  test('takes no packet and no proposal once stopped; a write still waiting is told its outcome is unknown', async () => {
    const { sim, driver, delay } = await threeNodes();
    delay.applyDelayMs = 2_000;
    const { applied } = driver.propose(0, write);
    const outcome = applied.then(() => 'applied', (error: Error) => `${error.name}: ${error.message}`);
    const stopping = driver.stop();
    expect(() => driver.propose(0, () => ({ records: [] }))).toThrow(/not serving/);
    await expect(driver.proposeConfiguration(0, { voters: ['a', 'b', 'c'], learners: [] })).rejects.toThrow(/not serving/);
    const reply = await driver.onPacket({ from: 'b', payload: Buffer.from('[]'), generation: 1 });
    expect(reply.payload.length).toBe(0);
    await settle(sim, stopping);
    // Not yet appended durably when the stop came: its entry never reached the applies here.
    expect(await settle(sim, outcome)).toMatch(/^(applied|ServiceUnavailable.*outcome is unknown)/);
  });
});
