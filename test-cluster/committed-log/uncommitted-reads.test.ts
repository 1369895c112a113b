/**
 * Issue 11, failure 1: strong reads must serve only committed state, and a write that never
 * reached a majority must not come back after the leader that took it is gone.
 *
 * Each test takes one partition, its serving leader A and followers B and C, writes a baseline
 * (acknowledged), then makes a majority impossible and writes again at A:
 *   - "paused": B and C are SIGSTOPped (a blackhole: A's calls to them hang until their deadline);
 *   - "cut": the three storage nodes are cut off from each other through the fault files (A's
 *     calls to B and C fail at once, and B and C cannot elect one of themselves either), while the
 *     router still reaches all three.
 * While that lasts, nothing written after the fault began can be on two replicas, so it cannot be
 * committed: strong GetItem, Query and Scan (a scan segment that is exactly the partition) are read
 * at full speed and must never return it. Then A is killed and B and C resumed (or the cut healed);
 * one of them takes over and every key is read strongly. What that new leader serves is final: A
 * comes back with its disk, the replicas are left to converge (hints replayed, Merkle repair), and
 * every key must read the same again — an unacknowledged write that the new leader did not have
 * must never come back. The whole history must also be linearizable per key (register-history.ts):
 * baseline writes never lost, no read going back to an older value.
 *
 * (Why the cut isolates B and C from each other too: if only A were cut off, B and C would elect
 * a leader within the window, the router would resend refused writes there, and those could be
 * committed legitimately during the "fault". Why SIGSTOP is not used for the "never comes back"
 * part alone: A's messages already sit in the paused followers' socket buffers and are read when
 * they resume, so a log-based follower may legitimately append, and its new leader commit, the
 * entries A sent — the check above allows that, as long as the new leader's answer stays final.)
 *
 * On 3b011fb both fail. Paused: strong Query and Scan at A return the uncommitted values (they read
 * RocksDB directly). Cut: the same in the moment before A notices the failed write, and after
 * failover the new leader serves the baseline, then A's hints and anti-entropy bring the
 * uncommitted values back when A returns.
 */
import {
  ClusterProbe,
  awaitConvergence,
  awaitHintsDrained,
  clusterProcesses,
  createTable,
  delay,
  nowMs,
  type LocalCluster,
  type NetworkFaults,
} from '@triad/harness';
import { faultCluster, type FaultCluster } from '../support/fault-cluster';
import { logTail } from '../support/test-cluster';
import { timedClient } from './clients';
import { describeCommittedLog } from './enabled';
import { keysInPartition } from './partition-keys';
import { awaitSoleLeader } from './partition-leaders';
import { pauseProcess, resumeProcess } from './process-pause';
import { ALL_READS, readRegisters, writeRegister, type ReadVia, type RegisterTable } from './register-client';
import { RegisterHistory, checkRegisterHistory, type Value } from './register-history';
import { readEveryKeyOnce } from './read-every-key';

/** Shared with wiped-disk.test.ts: cluster test files run one at a time (--runInBand). */
const SLOT = 23;
const PARTITION_COUNT = 16;
/** Keys of the partition under test: the first BASELINE_KEYS get a baseline value, the rest start absent. */
const KEY_COUNT = 8;
const BASELINE_KEYS = 6;
/** Keys written again during the fault: three with a baseline, two without. */
const FAULT_WRITE_KEYS = [0, 1, 2, 6, 7];
/**
 * Strong reads go on this long after the fault began. A's lease (1.2 s past its last majority-acked
 * heartbeat) ends within it, so the window covers every read A may serve with its followers gone.
 */
const FAULT_READ_WINDOW_MS = 3_000;
/** A strong read during the fault gives up after this: once A's lease is gone, the router tries B and C, which cannot answer. */
const FAULT_READ_TIMEOUT_MS = 1_500;
/** Any other strong read gives up after this (and is tried again while its deadline allows). */
const READ_TIMEOUT_MS = 5_000;
/** A write during the fault gives up after this (the router answers within its own 10 s deadline). */
const WRITE_TIMEOUT_MS = 12_000;
/**
 * Processes re-read their fault files every 100 ms: after this, every process has the new one. No
 * longer, as it eats into the leader's lease, during which its strong reads are to be watched.
 */
const FAULT_FILE_SETTLE_MS = 200;
/** Failover (election timeout up to 3 s, catch-up, lease wait), with room for a loaded machine. */
const FAILOVER_TIMEOUT_MS = 30_000;
/** Hint replay and Merkle repair (every second here) after the old leader returns. */
const CONVERGENCE_TIMEOUT_MS = 60_000;
const BASELINE_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 240_000;

type FaultKind = 'paused' | 'cut';

describeCommittedLog('issue 11, failure 1: strong reads serve only committed writes', () => {
  const fixture = faultCluster(SLOT, __filename, { TRIAD_ANTI_ENTROPY_INTERVAL_MS: '1000' });

  test(
    'with both followers paused (SIGSTOP), strong GetItem, Query and Scan at the leader never return the write they cannot have, and it never comes back',
    () => uncommittedWriteScenario(fixture(), 'paused', 5, 'paused_followers'),
    TEST_TIMEOUT_MS,
  );

  test(
    'with the three replicas cut off from each other, strong reads never return the leader\'s unreplicated write, and after failover it never comes back',
    () => uncommittedWriteScenario(fixture(), 'cut', 11, 'cut_leader'),
    TEST_TIMEOUT_MS,
  );
});

async function uncommittedWriteScenario({ tc, network }: FaultCluster, fault: FaultKind, partition: number, tableName: string): Promise<void> {
  const { cluster } = tc;
  const probe = new ClusterProbe(cluster);
  const setupClient = timedClient(tc.endpoint, { maxAttempts: 5, requestTimeoutMs: WRITE_TIMEOUT_MS });
  const writeClient = timedClient(tc.endpoint, { maxAttempts: 1, requestTimeoutMs: WRITE_TIMEOUT_MS });
  const faultReadClient = timedClient(tc.endpoint, { maxAttempts: 1, requestTimeoutMs: FAULT_READ_TIMEOUT_MS });
  const readClient = timedClient(tc.endpoint, { maxAttempts: 1, requestTimeoutMs: READ_TIMEOUT_MS });
  const table: RegisterTable = { tableName, partitionCount: PARTITION_COUNT };
  const history = new RegisterHistory();
  const timeline: string[] = [];
  const t0 = nowMs();
  const note = (line: string) => timeline.push(`${((nowMs() - t0) / 1000).toFixed(2)} s ${line}`);
  const keys = keysInPartition(tableName, partition, PARTITION_COUNT, KEY_COUNT);
  const faultKeys = FAULT_WRITE_KEYS.map((i) => keys[i]);
  const replicas = probe.ring.replicaSet(partition).map((n) => n.id);
  let leader: string | undefined;
  let followers: string[] = [];
  try {
    expect(cluster.layout.partitionCount).toBe(PARTITION_COUNT);
    await createTable(setupClient, tableName, ['pk', 'S'], ['sk', 'N']);

    // Baseline: acknowledged values, each retried under a new value until one is acknowledged.
    const deadline = nowMs() + BASELINE_TIMEOUT_MS;
    for (const key of keys.slice(0, BASELINE_KEYS)) {
      for (let attempt = 0; (await writeRegister(setupClient, table, history, key, `${key}@baseline-${attempt}`)) !== 'ok'; attempt++) {
        if (nowMs() > deadline) throw new Error(`baseline write of ${key} not acknowledged within ${BASELINE_TIMEOUT_MS} ms`);
      }
    }
    leader = await awaitSoleLeader(cluster, partition);
    followers = replicas.filter((id) => id !== leader);
    // The router has the leader: every strong read is served before the fault.
    await readEveryKeyOnce(readClient, table, history, partition, keys, ALL_READS, BASELINE_TIMEOUT_MS);
    note(`partition ${partition}: leader ${leader}, followers ${followers.join(', ')}; baseline acknowledged`);

    // The fault: from now on no write can reach a second replica.
    if (fault === 'paused') {
      await Promise.all(followers.map((id) => pauseProcess(cluster, id)));
    } else {
      isolateStorageNodes(network, cluster);
      // No event tells when a process re-read its fault file (every 100 ms): wait out the period.
      await delay(FAULT_FILE_SETTLE_MS);
    }
    const faultMs = nowMs();
    note(fault === 'paused' ? `${followers.join(' and ')} stopped` : 'storage nodes cut off from each other');
    const faultWrites = faultKeys.map((key) => writeRegister(writeClient, table, history, key, `${key}@during-fault`));
    const writesSentMs = nowMs();

    // Strong reads at full speed through the window, each key and each kind of read in a loop of
    // its own: a read that waits (a GetItem behind its key's pending write) holds up no other.
    const servedDuringFault: Record<string, number> = { GetItem: 0, Query: 0, Scan: 0 };
    const errorsDuringFault = new Map<string, number>();
    const readLoop = async (via: ReadVia, readKeys: readonly string[]) => {
      while (nowMs() < faultMs + FAULT_READ_WINDOW_MS) {
        const startMs = nowMs();
        const { served, errors } = await readRegisters(faultReadClient, table, history, partition, readKeys, via);
        if (startMs >= writesSentMs) servedDuringFault[via] += served;
        for (const e of errors) errorsDuringFault.set(`${via} ${e}`, (errorsDuringFault.get(`${via} ${e}`) ?? 0) + 1);
      }
    };
    await Promise.all([
      ...keys.flatMap((key) => [readLoop('GetItem', [key]), readLoop('Query', [key])]),
      readLoop('Scan', keys),
    ]);
    note(`strong reads served after the fault writes were sent: ${JSON.stringify(servedDuringFault)}; refused: ${JSON.stringify(Object.fromEntries(errorsDuringFault))}`);

    // Failover: the leader dies, its followers come back (or the cut heals) without it.
    await cluster.signal(leader, 'SIGKILL');
    if (fault === 'paused') await Promise.all(followers.map((id) => resumeProcess(cluster, id)));
    else network.heal();
    const healedMs = nowMs();
    note(`${leader} killed; ${fault === 'paused' ? 'followers resumed' : 'cut healed'}`);
    // The writes end first (within their timeout), so that none is in flight while the new leader's answers are taken as final.
    const outcomes = await Promise.all(faultWrites);
    note(`fault writes ended: ${outcomes.join(', ')}`);
    const newLeader = await awaitSoleLeader(cluster, partition, { among: followers, timeoutMs: FAILOVER_TIMEOUT_MS });
    const failoverReadsStartMs = nowMs();
    await readEveryKeyOnce(readClient, table, history, partition, keys, ALL_READS, FAILOVER_TIMEOUT_MS);
    const failoverReadsEndMs = nowMs();
    note(`new leader ${newLeader}; it serves: ${describeValues(history, keys, failoverReadsStartMs)}`);

    // The old leader returns with its disk; replicas converge; every key is read again.
    await cluster.startNode(leader);
    const returnedMs = nowMs();
    const converged = await awaitConvergence(probe, CONVERGENCE_TIMEOUT_MS);
    const hints = await awaitHintsDrained(probe, CONVERGENCE_TIMEOUT_MS);
    const unsettled = [
      ...converged.divergent.map((d) => `not converged after ${CONVERGENCE_TIMEOUT_MS} ms: ${d}`),
      ...(hints.drained ? [] : [`hints not drained after ${CONVERGENCE_TIMEOUT_MS} ms: ${JSON.stringify(hints.pending)}`]),
    ];
    await awaitSoleLeader(cluster, partition, { timeoutMs: FAILOVER_TIMEOUT_MS });
    await readEveryKeyOnce(readClient, table, history, partition, keys, ALL_READS, FAILOVER_TIMEOUT_MS);
    note(`${leader} back, replicas ${converged.converged ? `converged in ${Math.round(converged.timeMs)} ms` : 'NOT converged'}; now: ${describeValues(history, keys, returnedMs)}`);

    // Nothing written after the fault began could be committed before the followers were back
    // (a write acknowledged before that had reached a second replica before the fault took hold).
    const faultValues = new Set(faultKeys.map((key) => `${key}@during-fault`));
    const committedEarly = new Set(history.writes.filter((w) => w.outcome === 'ok' && w.endMs < healedMs).map((w) => w.value));
    const uncommitted = history.reads
      .filter((r) => r.value !== null && faultValues.has(r.value) && !committedEarly.has(r.value) && r.endMs < healedMs)
      .map((r) => `${r.via} of ${r.key} returned ${r.value} at ${((r.endMs - t0) / 1000).toFixed(3)} s, before any second replica could have it`);
    // What the new leader served, with the old one dead, is final: nothing is written after it.
    const final = new Map<string, Value>();
    for (const r of history.reads.filter((x) => x.startMs >= failoverReadsStartMs && x.endMs <= failoverReadsEndMs).sort((a, b) => a.endMs - b.endMs)) {
      final.set(r.key, r.value);
    }
    const changed = history.reads
      .filter((r) => r.startMs >= returnedMs && r.value !== final.get(r.key))
      .map((r) => `${r.via} of ${r.key} returned ${r.value ?? 'no item'} after ${leader} returned, but ${final.get(r.key) ?? 'no item'} after failover: ${r.value !== null && faultValues.has(r.value) ? 'an unacknowledged write came back' : 'the value changed without a write'}`);
    const violations = [...summarise(uncommitted, 10), ...summarise(changed, 10), ...checkRegisterHistory(history, { originMs: t0 }), ...unsettled];
    const report = `${timeline.join('\n')}\n--- violations (${violations.length}) ---\n${violations.join('\n')}`;
    console.log(`failure 1 (${fault}): ${history.reads.length} strong reads, ${history.writes.length} writes\n${report}`);
    expect({ violations }).toEqual({ violations: [] });
    // Not vacuous: with its followers stopped the leader keeps its lease for up to 1.2 s, and it
    // must have served strong reads (of committed data) in that time, or the check above saw nothing.
    // (With the cut, the lease is partly spent while the fault files are re-read, and the part that
    // matters most, the failover and the old leader's return, does not depend on these reads.)
    const served = servedDuringFault.GetItem + servedDuringFault.Query + servedDuringFault.Scan;
    if (fault === 'paused' && served === 0) {
      throw new Error(`inconclusive: no strong read was served between the fault writes and the end of ${leader}'s lease\n${report}`);
    }
    expect(tc.unexpectedExits).toEqual([]);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- timeline ---\n${timeline.join('\n')}\n--- ${leader ?? 'router-1'} log ---\n${logTail(tc.dataDir, leader ?? 'router-1', 15)}`);
  } finally {
    // Leave the cluster whole for the next test, whatever happened.
    network.heal();
    for (const id of followers) await resumeProcess(cluster, id).catch(() => undefined);
    for (const node of cluster.layout.storageNodes) if (!cluster.isRunning(node.id)) await cluster.startNode(node.id);
    for (const c of [setupClient, writeClient, faultReadClient, readClient]) c.destroy();
  }
}

/** Cuts every storage node off from the other storage nodes, both ways; routers still reach them all (and they the routers). */
function isolateStorageNodes(network: NetworkFaults, cluster: LocalCluster): void {
  const storage = clusterProcesses(cluster).filter((p) => p.role === 'storage');
  network.apply({ blocked: new Map(storage.map((p) => [p.id, new Set(storage.filter((o) => o.id !== p.id).map((o) => o.grpcAddress))])) });
}

/** The values strong reads returned since `sinceMs`, per key, in order, repeats collapsed. */
function describeValues(history: RegisterHistory, keys: readonly string[], sinceMs: number): string {
  return keys
    .map((key) => {
      const seen: string[] = [];
      for (const r of history.reads.filter((x) => x.key === key && x.startMs >= sinceMs).sort((a, b) => a.startMs - b.startMs)) {
        const v = r.value === null ? '-' : r.value.slice(r.value.indexOf('@') + 1);
        if (seen[seen.length - 1] !== v) seen.push(v);
      }
      return `${key}=${seen.join('>')}`;
    })
    .join(' ');
}

function summarise(lines: string[], max: number): string[] {
  return lines.length > max ? [...lines.slice(0, max), `... and ${lines.length - max} more like these`] : lines;
}
