/**
 * The chaos checks must be able to fail.
 *
 * Global index convergence (e): the comparison of an index with its table, on fabricated data
 * (no cluster), reports an entry missing and an entry left behind in the group an item moved out of.
 *
 * Linearizability (b), on a real cluster: with the test-only broken mode
 * TRIAD_UNSAFE_FOLLOWER_READS=1, strong reads are served by any replica without leadership or
 * lease; this test makes one replica miss writes while clients still read from it, and expects the
 * linearizability checker to call the history illegal, with an explanation.
 *
 * The scenario, on keys whose partition lists the router's own-zone replica (storage-a-1) first in
 * ring order, so that both ways a router may pick the replica for a strong read send it there —
 * its own zone first (the unsafe mode), or the first replica it sees up (before elections):
 *   0. write v0 to every key, and wait until every replica holds it;
 *   1. cut storage-a-1 off from everyone: the router fails over and v1 is acknowledged by the other
 *      two replicas; storage-a-1 misses it (and no hint can reach it);
 *   2. let the router reach storage-a-1 again while it stays cut off from its peers: strong reads
 *      it serves return v0 — after v1 was acknowledged: a stale read.
 */
import { describeRegisterOperation } from '@triad/linearizability';
import {
  ClusterProbe,
  INDEX_SHAPE,
  RegisterWorkload,
  awaitConvergence,
  checkFinalValues,
  checkLinearizability,
  compareGlobalIndex,
  delay,
  describeIndexDifference,
  nowMs,
  partitionOfStringKey,
  type Item,
} from '@triad/harness';
import { faultCluster } from './support/fault-cluster';
import { logTail } from './support/test-cluster';

const SLOT = 7;
const KEY_COUNT = 8;
/** Phase 1: each key's v1 is retried for this long until acknowledged. */
const ACK_DEADLINE_MS = 20_000;
/** Phase 2: strong reads go on for at most this long, waiting for the router to read from the cut-off replica. */
const STALE_READ_WAIT_MS = 30_000;
/** Phase 2: reads go on this long after the first stale one, so that the history shows it plainly. */
const AFTER_STALE_MS = 1_000;

test('(e) the global index comparison reports an entry missing and an entry left behind', () => {
  const item = (pk: string, grp: string, rank: number, v: string): Item => ({ pk: { S: pk }, grp: { S: grp }, rank: { N: String(rank) }, v: { S: v } });
  // The table says: a moved from g1 to g2, b stays in g1. The index kept a's old entry in g1 and never received its new one in g2.
  const table = [item('a', 'g2', 1, 'va'), item('b', 'g1', 2, 'vb')];
  const index = new Map([
    ['g1', [item('a', 'g1', 1, 'va-old'), item('b', 'g1', 2, 'vb')]],
    ['g2', []],
  ]);
  const { differences } = compareGlobalIndex({ table, index }, INDEX_SHAPE);
  expect(differences).toEqual([
    { group: 'g1', missing: [], stale: [{ key: 'a', now: 'in g2' }], duplicated: [], wrongAttributes: [] },
    { group: 'g2', missing: ['a'], stale: [], duplicated: [], wrongAttributes: [] },
  ]);
  expect(differences.map((d) => describeIndexDifference(d))).toEqual(['group g1: 1 stale (a now in g2)', 'group g2: 1 missing (a)']);
});

describe('(b) on a cluster whose strong reads may be served by any replica', () => {
  const fixture = faultCluster(SLOT, __filename, { TRIAD_UNSAFE_FOLLOWER_READS: '1', TRIAD_ANTI_ENTROPY_INTERVAL_MS: '1000' });

  test('with TRIAD_UNSAFE_FOLLOWER_READS=1, the checker finds the stale strong reads of a cut-off replica', async () => {
    const { tc, network } = fixture();
    const { cluster } = tc;
    const probe = new ClusterProbe(cluster);
    const routerZone = cluster.routers[0].zone;
    const stale = cluster.layout.storageNodes.find((n) => n.zone === routerZone)!.id;
    const partitionCount = cluster.layout.partitionCount;
    const keys: string[] = [];
    for (let i = 0; keys.length < KEY_COUNT; i++) {
      const key = `stale-${i}`;
      if (probe.ring.replicaSet(partitionOfStringKey(key, partitionCount))[0].id === stale) keys.push(key);
      if (i > 10_000) throw new Error(`no partition lists ${stale} first`);
    }
    const workload = new RegisterWorkload({ endpoint: tc.endpoint, partitionCount, seed: 1, requestTimeoutMs: 12_000 });
    const notes: string[] = [];
    try {
      await workload.setup();

      // 0. Every replica holds v0.
      for (const key of keys) expect(await workload.writeOnce('writer', key, `${key}.v0`)).toBe(true);
      const converged = await awaitConvergence(probe, 30_000);
      expect(converged.divergent).toEqual([]);

      // 1. storage-a-1 cut off from everyone; v1 acknowledged by the two others.
      network.cutOff([stale]);
      await delay(300);
      const acked = new Set<string>();
      const deadline = nowMs() + ACK_DEADLINE_MS;
      while (acked.size < keys.length && nowMs() < deadline) {
        for (const key of keys) {
          if (!acked.has(key) && (await workload.writeOnce('writer', key, `${key}.v1.${nowMs().toFixed(0)}`)) === true) acked.add(key);
        }
        if (acked.size < keys.length) await delay(200);
      }
      notes.push(`phase 1: ${acked.size}/${keys.length} keys had v1 acknowledged while ${stale} was cut off`);
      expect(acked.size).toBeGreaterThan(0);

      // 2. The router reaches storage-a-1 again; storage-a-1 still cannot reach its peers (nor they it).
      network.isolateStorage(stale);
      const readDeadline = nowMs() + STALE_READ_WAIT_MS;
      let firstStaleMs: number | undefined;
      let reads = 0;
      while (nowMs() < readDeadline && (firstStaleMs === undefined || nowMs() - firstStaleMs < AFTER_STALE_MS)) {
        for (const key of acked) {
          const { ok, value } = await workload.readOnce('reader', key);
          reads++;
          if (ok === true && value === `${key}.v0` && firstStaleMs === undefined) firstStaleMs = nowMs();
        }
        await delay(50);
      }
      notes.push(
        firstStaleMs === undefined
          ? `phase 2: no strong read returned v0 in ${STALE_READ_WAIT_MS} ms (${reads} reads): the router never read from ${stale}`
          : `phase 2: first stale read ${Math.round(firstStaleMs - (readDeadline - STALE_READ_WAIT_MS))} ms after the router could reach ${stale} again (${reads} reads)`,
      );
    } finally {
      network.heal();
      workload.close();
    }

    const result = checkLinearizability(workload.history);
    const finalProblems = checkFinalValues(
      workload.history.operations,
      new Map(workload.history.operations.filter((op) => op.clientId === 'reader' && op.ok === true && op.kind === 'read').map((op) => [op.key, op.output as string | undefined])),
    );
    const report = [
      ...notes,
      `linearizability: ${result.verdict}, ${result.illegalKeys.length} of ${result.keysChecked} keys illegal`,
      ...result.explanations,
      `last-acknowledged-write check (on each key's last read): ${finalProblems.length} problems`,
      ...finalProblems.map((p) => `  ${p}`),
    ].join('\n');
    if (result.verdict !== 'illegal') {
      throw new Error(
        `expected the checker to find a violation, got ${result.verdict}\n${report}\n` +
          `history sample:\n${workload.history.operations.slice(-10).map((op) => `  ${describeRegisterOperation(op)}${op.error ? ` (${op.error})` : ''}`).join('\n')}\n` +
          `--- router-1 log ---\n${logTail(tc.dataDir, 'router-1', 20)}`,
      );
    }
    console.log(report);
    expect(result.verdict).toBe('illegal');
    expect(result.explanations.length).toBe(result.illegalKeys.length);
    expect(result.explanations[0]).toMatch(/cannot be placed after the longest linearizable prefix/);
  }, 180_000);
});
