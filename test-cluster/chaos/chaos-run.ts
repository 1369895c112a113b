/**
 * One chaos run over a started cluster: the workload runs while faults are injected one at a
 * time (the cluster healthy again between them), then every fault is healed, the workload stops,
 * and the checks run. Used by test-cluster/chaos.test.ts (a short fixed schedule) and by
 * `npm run chaos` (random faults for N minutes).
 */
import fs from 'node:fs';
import type { LocalCluster } from '../../scripts/local-cluster/local-cluster';
import {
  awaitConvergence,
  awaitHintsDrained,
  checkDurability,
  checkLinearizability,
  failoverSamples,
  operationCounts,
  percentile,
} from './checks';
import { nowMs, sleepUnless } from './clock';
import { ClusterProbe } from './cluster-probe';
import { FaultInjector, type FaultKind, type FaultRecord, type FaultSpec, type NetworkFaults } from './faults';
import type { ChaosReport } from './report';
import { RegisterWorkload, type WorkloadInit } from './workload';

export interface ChaosRunInit {
  /** A started cluster whose processes read their fault files from `network.dir`. */
  cluster: LocalCluster;
  network: NetworkFaults;
  seed: number;
  /** Workload settings beyond endpoint, partition count and seed. */
  workload?: Omit<WorkloadInit, 'endpoint' | 'partitionCount' | 'seed'>;
  /** The next fault to inject (index from 0), or undefined to end the run. Called once the cluster is healthy. */
  nextFault: (index: number, injector: FaultInjector) => FaultSpec | undefined | Promise<FaultSpec | undefined>;
  /** Healthy time before the first fault and after each one (default 2,000 ms); a function is asked each time. */
  healthyIntervalMs?: number | (() => number);
  /** How long to wait for the cluster to be healthy after a fault (default 30,000 ms). */
  healthyWaitMs?: number;
  /** Strong reads of every key after the run keep retrying for this long (default 30,000 ms). */
  finalReadDeadlineMs?: number;
  /** Merkle roots must agree within this long after the run (default 60,000 ms). */
  convergeTimeoutMs?: number;
  /** Hints must be drained within this long after the run (default 60,000 ms). */
  hintsTimeoutMs?: number;
  /** Ends the fault loop early (Ctrl-C). */
  stopped?: () => boolean;
  /**
   * The least the cluster must have acknowledged for the checks to mean anything: a run in which
   * (almost) no write succeeds passes every check vacuously. Default: 100 writes (inserts
   * included), 10 inserts, 100 strong reads.
   */
  progressMin?: { acknowledgedWrites?: number; acknowledgedInserts?: number; strongReads?: number };
  /** Writes the history (faults, attempts, logical operations) here as JSON lines, for diagnosis. */
  historyFile?: string;
  /** Processes that exited without being asked to, read at the end. */
  unexpectedExits?: () => string[];
  log?: (line: string) => void;
}

export async function runChaos(init: ChaosRunInit): Promise<ChaosReport> {
  const { cluster, network } = init;
  const stopped = init.stopped ?? (() => false);
  const t0 = nowMs();
  const log = (line: string) => init.log?.(`[chaos +${((nowMs() - t0) / 1000).toFixed(1)}s] ${line}`);
  const probe = new ClusterProbe(cluster);
  const injector = new FaultInjector({ cluster, probe, network, log });
  const workload = new RegisterWorkload({ ...init.workload, endpoint: cluster.endpoint(0), partitionCount: cluster.layout.partitionCount, seed: init.seed });
  const healthyIntervalMs = () => (typeof init.healthyIntervalMs === 'function' ? init.healthyIntervalMs() : (init.healthyIntervalMs ?? 2_000));
  try {
    await workload.setup();
    workload.start();
    log(`workload started against ${cluster.endpoint(0)}`);
    await sleepUnless(healthyIntervalMs(), stopped);
    for (let i = 0; !stopped(); i++) {
      const spec = await init.nextFault(i, injector);
      if (!spec) break;
      const record = await injector.run(spec, stopped);
      const healthy = await injector.waitHealthy(init.healthyWaitMs ?? 30_000, record, stopped);
      if (healthy) log(`fault ${record.id}: cluster healthy ${Math.round(record.healthyMs! - record.healedMs!)} ms after heal`);
      await sleepUnless(healthyIntervalMs(), stopped);
    }
  } finally {
    // Whatever happened, leave every node running and the network whole before checking.
    await injector.healAll();
    await workload.stop();
  }
  log(`workload stopped after ${(workload.durationMs / 1000).toFixed(1)} s: ${workload.history.operations.length} attempts; checking`);

  const [finals, convergence, hints] = await Promise.all([
    workload.finalReads(init.finalReadDeadlineMs ?? 30_000),
    awaitConvergence(probe, init.convergeTimeoutMs ?? 60_000),
    awaitHintsDrained(probe, init.hintsTimeoutMs ?? 60_000),
  ]);
  log(`final reads of ${finals.values.size} keys done; converged=${convergence.converged} hintsDrained=${hints.drained}`);
  const durability = checkDurability(workload, finals);
  const linearizability = checkLinearizability(workload.history, { faults: injector.records });
  log(`linearizability ${linearizability.verdict} (${Math.round(linearizability.checkMs)} ms)`);
  const counterNames = [
    'triad_hints_stored_total',
    'triad_hints_replayed_total',
    'triad_hints_dropped_total',
    'triad_anti_entropy_records_repaired_total',
    'triad_leader_changes_total',
  ];
  const counters: Record<string, number | undefined> = {};
  for (const name of counterNames) counters[name.replace(/^triad_/, '')] = await probe.storageCounter(name);
  workload.close();

  if (init.historyFile) {
    writeHistory(init.historyFile, injector.records, workload);
    log(`history written to ${init.historyFile}`);
  }

  const samples = failoverSamples(injector.records, workload.history, probe.ring);
  const writeTimes = samples.map((s) => s.writeFailoverMs).filter((v): v is number => v !== undefined);
  const readTimes = samples.map((s) => s.readFailoverMs).filter((v): v is number => v !== undefined);
  const faultsByKind: Partial<Record<FaultKind, number>> = {};
  for (const f of injector.records) faultsByKind[f.kind] = (faultsByKind[f.kind] ?? 0) + 1;
  const unexpectedExits = init.unexpectedExits?.() ?? [];

  const failures: string[] = [];
  const strongReads = workload.history.operations.filter((op) => op.kind === 'read' && op.ok === true && op.logicalId >= 0).length;
  const progress = { acknowledgedWrites: 100, acknowledgedInserts: 10, strongReads: 100, ...init.progressMin };
  if (durability.acknowledgedWrites < progress.acknowledgedWrites || durability.acknowledgedInserts < progress.acknowledgedInserts || strongReads < progress.strongReads) {
    failures.push(
      `the workload made too little progress for the checks to mean anything: ${durability.acknowledgedWrites} acknowledged writes ` +
        `(need ${progress.acknowledgedWrites}), ${durability.acknowledgedInserts} acknowledged inserts (need ${progress.acknowledgedInserts}), ` +
        `${strongReads} completed strong reads (need ${progress.strongReads})`,
    );
  }
  if (durability.lostInserts.length > 0) failures.push(`(a) ${durability.lostInserts.length} acknowledged inserts missing`);
  if (durability.lostWrites.length > 0) failures.push(`(a) ${durability.lostWrites.length} keys lost an acknowledged write (final value undoes it)`);
  if (durability.unreadable.length > 0) failures.push(`(a) ${durability.unreadable.length} keys could not be read with a strong read after the run`);
  if (linearizability.verdict === 'illegal') failures.push(`(b) linearizability violated on ${linearizability.illegalKeys.length} keys: ${linearizability.illegalKeys.slice(0, 10).join(', ')}`);
  if (linearizability.verdict === 'unknown') failures.push(`(b) linearizability inconclusive on ${linearizability.inconclusiveKeys.length} keys (search budget spent)`);
  if (!convergence.converged) failures.push(`(c) replicas not converged after ${Math.round(convergence.timeMs)} ms: ${convergence.divergent.length} partitions differ`);
  if (!hints.drained) failures.push(`(d) hints still pending after ${Math.round(hints.timeMs)} ms: ${JSON.stringify(hints.pending)}`);
  for (const f of injector.records) if (f.error) failures.push(`fault #${f.id} (${f.description}) failed: ${f.error}`);
  if (unexpectedExits.length > 0) failures.push(`processes exited unexpectedly: ${unexpectedExits.join('; ')}`);

  return {
    seed: init.seed,
    workloadMs: workload.durationMs,
    faults: injector.records,
    faultsByKind,
    operations: operationCounts(workload.history),
    durability,
    linearizability,
    convergence,
    hints,
    failover: {
      samples,
      writeP50Ms: percentile(writeTimes, 50),
      writeMaxMs: percentile(writeTimes, 100),
      readP50Ms: percentile(readTimes, 50),
      readMaxMs: percentile(readTimes, 100),
    },
    counters,
    unexpectedExits,
    failures,
  };
}

/** One JSON object per line: every fault, then every attempt (in order of completion), then every logical operation. */
function writeHistory(file: string, faults: readonly FaultRecord[], workload: RegisterWorkload): void {
  const lines = [
    ...faults.map((f) => JSON.stringify({ type: 'fault', ...f })),
    ...workload.history.operations.map((op) => JSON.stringify({ type: 'attempt', ...op })),
    ...workload.history.logical.map((op) => JSON.stringify({ type: 'logical', ...op })),
  ];
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}
