/**
 * Issue 11, failure 5: a replica whose disk was wiped must not help a lagging replica win an
 * election without the acknowledged writes.
 *
 * One partition, leader A, followers B and C, all holding a baseline. C is made to lag, N writes
 * are acknowledged by A and B alone, then B loses its disk (SIGKILL, data directory deleted) and A
 * is killed; B restarts empty and C catches up with the network again. Only C and an empty B are
 * up: a correct cluster must leave the partition unavailable (B, having forgotten everything, may
 * not vote, and C alone lacks the writes) rather than serve C's old state. Strong GetItem, Query and
 * Scan are read all along; once A returns and the cluster settles, every acknowledged write must be
 * read back, and at no time may a strong read return a value older than an acknowledged one
 * (register-history.ts).
 *
 * On 3b011fb, B rejoins as a full voter with term 0 and no vote: C wins with its vote, catches up
 * from B's empty disk, and serves the values from before the writes (or no item) as strong reads.
 */
import { ClusterProbe, awaitConvergence, createTable, delay, nowMs } from '@triad/harness';
import { faultCluster, type FaultCluster } from '../support/fault-cluster';
import { logTail } from '../support/test-cluster';
import { timedClient } from './clients';
import { describeCommittedLog } from './enabled';
import { keysInPartition } from './partition-keys';
import { awaitSoleLeader, servingLeaders } from './partition-leaders';
import { pauseProcess, resumeProcess } from './process-pause';
import { ALL_READS, readRegisters, writeRegister, type RegisterTable } from './register-client';
import { RegisterHistory, checkRegisterHistory, keysWithViolations } from './register-history';
import { readEveryKeyOnce } from './read-every-key';

/** Shared with uncommitted-reads.test.ts: cluster test files run one at a time (--runInBand). */
const SLOT = 23;
const PARTITION_COUNT = 16;
const PARTITION = 7;
/** Keys of the partition: the first BASELINE_KEYS hold a baseline on all three replicas before C lags; all get a new value after. */
const KEY_COUNT = 40;
const BASELINE_KEYS = 20;
/**
 * With only C and the empty B up, strong reads go on this long (or until every key was served by
 * every kind of read): on 3b011fb, C wins an election within a few seconds; a correct cluster
 * serves nothing here, so the whole window passes.
 */
const MEANWHILE_MS = 20_000;
/** A strong read while the partition may have no leader gives up after this. */
const MEANWHILE_READ_TIMEOUT_MS = 1_500;
const READ_TIMEOUT_MS = 5_000;
const WRITE_TIMEOUT_MS = 12_000;
/** Processes re-read their fault files every 100 ms: after this, every process has the new one. */
const FAULT_FILE_SETTLE_MS = 300;
const WRITES_TIMEOUT_MS = 60_000;
const SETTLE_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 300_000;
/** Violation lines shown in a failure message. */
const VIOLATIONS_SHOWN = 20;

type LagKind = 'paused' | 'cut';

describeCommittedLog('issue 11, failure 5: a wiped replica and a lagging one do not elect a leader without the acknowledged writes', () => {
  const fixture = faultCluster(SLOT, __filename, { TRIAD_ANTI_ENTROPY_INTERVAL_MS: '1000' });

  test(
    'C lags (cut off), B is wiped, A killed; B restarts empty, C returns: no strong read older than an acknowledged write, and all of them there once A is back',
    () => wipedDiskScenario(fixture(), 'cut', 'wiped_cut'),
    TEST_TIMEOUT_MS,
  );

  test(
    'C lags (SIGSTOP), B is wiped, A killed; B restarts empty, C resumes: the same',
    () => wipedDiskScenario(fixture(), 'paused', 'wiped_paused'),
    TEST_TIMEOUT_MS,
  );
});

async function wipedDiskScenario({ tc, network }: FaultCluster, lag: LagKind, tableName: string): Promise<void> {
  const { cluster } = tc;
  const probe = new ClusterProbe(cluster);
  const setupClient = timedClient(tc.endpoint, { maxAttempts: 5, requestTimeoutMs: WRITE_TIMEOUT_MS });
  const writeClient = timedClient(tc.endpoint, { maxAttempts: 1, requestTimeoutMs: WRITE_TIMEOUT_MS });
  const meanwhileClient = timedClient(tc.endpoint, { maxAttempts: 1, requestTimeoutMs: MEANWHILE_READ_TIMEOUT_MS });
  const readClient = timedClient(tc.endpoint, { maxAttempts: 1, requestTimeoutMs: READ_TIMEOUT_MS });
  const table: RegisterTable = { tableName, partitionCount: PARTITION_COUNT };
  const history = new RegisterHistory();
  const timeline: string[] = [];
  const t0 = nowMs();
  const note = (line: string) => timeline.push(`${((nowMs() - t0) / 1000).toFixed(2)} s ${line}`);
  const keys = keysInPartition(tableName, PARTITION, PARTITION_COUNT, KEY_COUNT);
  const replicas = probe.ring.replicaSet(PARTITION).map((n) => n.id);
  let lagging: string | undefined;
  try {
    expect(cluster.layout.partitionCount).toBe(PARTITION_COUNT);
    await createTable(setupClient, tableName, ['pk', 'S'], ['sk', 'N']);
    await writeUntilAcknowledged(setupClient, table, history, keys.slice(0, BASELINE_KEYS), 'baseline', WRITES_TIMEOUT_MS);
    // The baseline on all three replicas, so that C's state is old, not empty.
    const converged = await awaitConvergence(probe, SETTLE_TIMEOUT_MS);
    expect(converged.divergent).toEqual([]);
    const a = await awaitSoleLeader(cluster, PARTITION);
    const [b, c] = replicas.filter((id) => id !== a);
    lagging = c;
    await readEveryKeyOnce(readClient, table, history, PARTITION, keys, ALL_READS, SETTLE_TIMEOUT_MS);
    note(`partition ${PARTITION}: leader A=${a}, B=${b} (to be wiped), C=${c} (to lag); baseline on all three`);

    // C lags: every write from now on is acknowledged by A and B only.
    if (lag === 'paused') {
      await pauseProcess(cluster, c);
    } else {
      network.isolateStorage(c);
      // No event tells when a process re-read its fault file (every 100 ms): wait out the period.
      await delay(FAULT_FILE_SETTLE_MS);
    }
    note(`${c} ${lag === 'paused' ? 'stopped' : 'cut off from the other storage nodes'}`);
    await writeUntilAcknowledged(writeClient, table, history, keys, 'acked', WRITES_TIMEOUT_MS);
    note(`${KEY_COUNT} writes acknowledged (${history.writes.filter((w) => w.outcome !== 'ok').length} attempts without acknowledgement)`);

    // B loses its disk, A dies; B comes back empty and C comes back, behind.
    await cluster.signal(b, 'SIGKILL');
    cluster.wipeNode(b);
    await cluster.signal(a, 'SIGKILL');
    await cluster.startNode(b);
    if (lag === 'paused') await resumeProcess(cluster, c);
    else network.heal();
    const meanwhileStartMs = nowMs();
    note(`${b} wiped and restarted empty, ${a} killed, ${c} back`);

    // Meanwhile: strong reads all along. Unavailable is fine; old values are not.
    const servedMeanwhile: Record<string, number> = { GetItem: 0, Query: 0, Scan: 0 };
    const leadersSeen = new Set<string>();
    const servedKeys = new Map<string, Set<string>>(ALL_READS.map((via) => [via, new Set<string>()]));
    while (nowMs() < meanwhileStartMs + MEANWHILE_MS) {
      const before = history.reads.length;
      const [, leaders] = await Promise.all([
        Promise.all(ALL_READS.map((via) => readRegisters(meanwhileClient, table, history, PARTITION, keys, via))),
        servingLeaders(cluster, PARTITION, [b, c]),
      ]);
      for (const id of leaders) leadersSeen.add(id);
      for (const r of history.reads.slice(before)) {
        servedKeys.get(r.via)!.add(r.key);
        servedMeanwhile[r.via]++;
      }
      // Every key served by every kind of read: the partition has a leader, and what it serves is known.
      if ([...servedKeys.values()].every((s) => s.size === KEY_COUNT)) break;
    }
    note(
      `with only ${b} (empty) and ${c} up: leaders seen [${[...leadersSeen].join(', ')}], strong reads served ${JSON.stringify(servedMeanwhile)}, ` +
        `keys read older than acknowledged: ${keysWithViolations(history).length} of ${KEY_COUNT}`,
    );

    // A returns; the cluster settles; everything acknowledged must be there.
    await cluster.startNode(a);
    const leader = await awaitSoleLeader(cluster, PARTITION, { timeoutMs: SETTLE_TIMEOUT_MS });
    await readEveryKeyOnce(readClient, table, history, PARTITION, keys, ALL_READS, SETTLE_TIMEOUT_MS);
    const settled = await awaitConvergence(probe, SETTLE_TIMEOUT_MS);
    await readEveryKeyOnce(readClient, table, history, PARTITION, keys, ALL_READS, SETTLE_TIMEOUT_MS);
    const missing = keys.filter((key) => {
      const last = history.reads.filter((r) => r.key === key).sort((x, y) => x.endMs - y.endMs).at(-1);
      return last?.value !== history.acknowledgedValue(key);
    });
    note(`${a} back; leader ${leader}; replicas ${settled.converged ? `converged in ${Math.round(settled.timeMs)} ms` : 'NOT converged'}; keys not at their acknowledged value: ${missing.length}`);

    // One line per key (and how many more it has), at most VIOLATIONS_SHOWN keys in the message.
    const violations = [
      ...checkRegisterHistory(history, { originMs: t0, perKeyMax: 1 }),
      ...settled.divergent.map((d) => `not converged after ${SETTLE_TIMEOUT_MS} ms: ${d}`),
    ];
    const shown = violations.slice(0, VIOLATIONS_SHOWN);
    const report = `${timeline.join('\n')}\n--- violations (${violations.length} lines, ${keysWithViolations(history).length} keys) ---\n${shown.join('\n')}`;
    console.log(`failure 5 (${lag}): ${history.reads.length} strong reads, ${history.writes.length} writes\n${report}`);
    expect({ violations: shown, total: violations.length }).toEqual({ violations: [], total: 0 });
    expect(tc.unexpectedExits).toEqual([]);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- timeline ---\n${timeline.join('\n')}\n--- router-1 log ---\n${logTail(tc.dataDir, 'router-1', 10)}`);
  } finally {
    // Leave the cluster whole for the next test, whatever happened.
    network.heal();
    if (lagging) await resumeProcess(cluster, lagging).catch(() => undefined);
    for (const node of cluster.layout.storageNodes) if (!cluster.isRunning(node.id)) await cluster.startNode(node.id);
    for (const client of [setupClient, writeClient, meanwhileClient, readClient]) client.destroy();
  }
}

/** Writes `<key>@<label>-<attempt>` to every key, one key at a time, until each write is acknowledged. */
async function writeUntilAcknowledged(
  client: ReturnType<typeof timedClient>,
  table: RegisterTable,
  history: RegisterHistory,
  keys: readonly string[],
  label: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = nowMs() + timeoutMs;
  for (const key of keys) {
    for (let attempt = 0; (await writeRegister(client, table, history, key, `${key}@${label}-${attempt}`)) !== 'ok'; attempt++) {
      if (nowMs() > deadline) throw new Error(`${label} write of ${key} not acknowledged within ${timeoutMs} ms`);
    }
  }
}
