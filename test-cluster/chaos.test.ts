/**
 * A short chaos run inside `npm test`: 3 storage nodes (zones a, b, c), 1 router, 16 partitions,
 * every process with a clock offset of its own. Clients read, write, compare-and-set and delete a
 * few hot keys (some of them items of a range table, read whole by strong Query and Scan) and
 * insert unique keys, and others move items between the groups of a global secondary index, while
 * faults hit the cluster one at a time — kill -9 and restart with the clock stepped, SIGSTOP of a
 * presumed leader, a zone cut off, a leader blackholed, a disk wiped and another node killed
 * before it caught up, a lagging follower and a leader killed, a storage node cut off from its
 * peers, a drain and SIGTERM under load — with the cluster healthy again between them. Then: every
 * acknowledged write is there, the history is linearizable, all replicas converge to identical
 * Merkle roots, no hints are left, and the global index lists exactly what its table holds.
 *
 * The seed (TRIAD_CHAOS_SEED) picks the nodes and the clients' operations; the report printed on
 * failure names it. TRIAD_TEST_KEEP_DATA=1 keeps the processes' logs; TRIAD_CHAOS_HISTORY_FILE=path
 * writes the recorded history there as JSON lines.
 */
import { ClockOffsets, Prng, formatReport, runChaos, type FaultKind } from '@triad/harness';
import { faultCluster } from './support/fault-cluster';
import { logTail } from './support/test-cluster';

const SLOT = 6;
const SEED = Number(process.env.TRIAD_CHAOS_SEED ?? 7_211);
/**
 * The faults, in order: eight, as many as before the newer kinds, and no more restarts than
 * needed, so that the run stays about as long — clock-jump is a kill -9 and restart (with a
 * clock step), drain ends in a SIGTERM, wipe-kill holds a wipe and a kill, pause-kill a
 * follower-only pause and a kill. The scenario kinds (add-index, membership) need a second router
 * and a spare node, and the rest are `npm run chaos`'s.
 */
const SCHEDULE: FaultKind[] = ['clock-jump', 'pause', 'partition-zone', 'blackhole', 'wipe-kill', 'pause-kill', 'isolate-storage', 'drain'];
const FAULT_DURATION_MS = 2_000;

const clocks = new ClockOffsets().randomize(['storage-a-1', 'storage-b-1', 'storage-c-1', 'router-1'], new Prng(SEED));
const fixture = faultCluster(SLOT, __filename, { TRIAD_ANTI_ENTROPY_INTERVAL_MS: '1000' }, clocks);

test('under faults, no acknowledged write is lost, the history is linearizable, replicas converge, hints drain and the global index converges', async () => {
  const { tc, network } = fixture();
  const { cluster } = tc;
  const rng = new Prng(SEED);
  const progress: string[] = [];
  const routerZones = cluster.routers.map((r) => r.zone);
  const report = await runChaos({
    cluster,
    network,
    seed: SEED,
    workload: { clients: 6, hotKeys: 8, keyGenerationMs: 15_000 },
    clocks,
    nextFault: (i, injector) => (i < SCHEDULE.length ? injector.randomFault(SCHEDULE[i], rng, FAULT_DURATION_MS, routerZones) : undefined),
    healthyIntervalMs: 1_000,
    healthyWaitMs: 20_000,
    finalReadDeadlineMs: 20_000,
    convergeTimeoutMs: 30_000,
    hintsTimeoutMs: 30_000,
    historyFile: process.env.TRIAD_CHAOS_HISTORY_FILE,
    unexpectedExits: () => tc.unexpectedExits,
    log: (line) => progress.push(line),
  });
  const text = formatReport(report);
  if (report.failures.length > 0) {
    const logs = ['router-1', ...cluster.layout.storageNodes.map((n) => n.id)]
      .map((id) => `--- ${id} log (tail) ---\n${logTail(tc.dataDir, id, 15)}`)
      .join('\n');
    throw new Error(`${text}\n\n--- progress ---\n${progress.join('\n')}\n\n${logs}`);
  }
  console.log(`${text}\n\n--- progress ---\n${progress.join('\n')}`);
}, 300_000);
