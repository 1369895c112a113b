/**
 * One chaos run over a started cluster: the workloads (registers, a range table read by Query and
 * Scan, and a table with global indexes) run while faults are injected one at a time (the cluster
 * healthy again between them; a composed fault strikes twice inside one), then every fault is
 * healed, the workloads stop, and the checks run. Used by
 * test-cluster/chaos.test.ts (a short fixed schedule) and by `npm run chaos` (random faults for N
 * minutes).
 */
import fs from 'node:fs';
import type { LocalCluster } from '../local-cluster/local-cluster';
import {
  awaitConvergence,
  awaitHintsDrained,
  awaitIndexConvergence,
  checkDurability,
  checkLinearizability,
  failoverSamples,
  operationCounts,
  percentile,
  type OutcomeName,
} from './checks';
import { nowMs, sleepUnless } from './clock';
import type { ClockOffsets } from './clock-offsets';
import { ClusterProbe } from './cluster-probe';
import { FaultInjector, type FaultKind, type FaultRecord, type FaultScenario, type FaultSpec } from './faults';
import type { NetworkFaults } from './network-faults';
import { GlobalIndexWorkload, type GlobalIndexWorkloadInit } from './global-index-workload';
import type { ChaosReport } from './report';
import { RegisterWorkload, type WorkloadInit } from './workload';

/**
 * How long the global index may take to match its table after the run. A leader searches its
 * partitions for outbox records that reached it by repair or a hint only once a minute (the
 * propagator's full search), so such a record may wait 60 s before delivery; 15 s more for the
 * repair that brings it and the delivery itself.
 */
export const INDEX_CONVERGE_TIMEOUT_MS = 75_000;

export interface ChaosRunInit {
  /** A started cluster whose processes read their fault files from `network.dir`. */
  cluster: LocalCluster;
  network: NetworkFaults;
  seed: number;
  /** Workload settings beyond endpoint, partition count and seed. */
  workload?: Omit<WorkloadInit, 'endpoint' | 'partitionCount' | 'seed'>;
  /** Settings of the global index workload beyond endpoint and seed. */
  indexWorkload?: Omit<GlobalIndexWorkloadInit, 'endpoint' | 'seed'>;
  /** The processes' clock offsets, if they run with any (clock-jump faults change them). */
  clocks?: ClockOffsets;
  /** Scenario faults (add-index, membership), built once the workloads exist. */
  scenarios?: (parts: ScenarioParts) => Partial<Record<FaultKind, FaultScenario>>;
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
  /** The global index must match its table within this long after the run (default INDEX_CONVERGE_TIMEOUT_MS). */
  indexConvergeTimeoutMs?: number;
  /** Ends the fault loop early (Ctrl-C). */
  stopped?: () => boolean;
  /**
   * The least the cluster must have acknowledged for the checks to mean anything: a run in which
   * (almost) no write succeeds passes every check vacuously. Default: 100 writes (inserts
   * included), 10 inserts, 100 strong reads, 50 writes to the global index's table.
   */
  progressMin?: { acknowledgedWrites?: number; acknowledgedInserts?: number; strongReads?: number; acknowledgedIndexWrites?: number; rangeReads?: number };
  /** Writes the history (faults, attempts, logical operations) here as JSON lines, for diagnosis. */
  historyFile?: string;
  /** Processes that exited without being asked to, read at the end. */
  unexpectedExits?: () => string[];
  log?: (line: string) => void;
}

/** What a scenario fault may use. */
export interface ScenarioParts {
  cluster: LocalCluster;
  probe: ClusterProbe;
  network: NetworkFaults;
  indexWorkload: GlobalIndexWorkload;
  log: (line: string) => void;
}

export async function runChaos(init: ChaosRunInit): Promise<ChaosReport> {
  const { cluster, network } = init;
  const stopped = init.stopped ?? (() => false);
  const t0 = nowMs();
  const log = (line: string) => init.log?.(`[chaos +${((nowMs() - t0) / 1000).toFixed(1)}s] ${line}`);
  const probe = new ClusterProbe(cluster);
  const workload = new RegisterWorkload({ ...init.workload, endpoint: cluster.endpoint(0), partitionCount: cluster.layout.partitionCount, seed: init.seed });
  const indexWorkload = new GlobalIndexWorkload({
    ...init.indexWorkload,
    endpoint: cluster.endpoint(0),
    endpoints: cluster.routers.map((_, j) => cluster.endpoint(j)),
    seed: init.seed,
  });
  const scenarios = init.scenarios?.({ cluster, probe, network, indexWorkload, log });
  const injector = new FaultInjector({ cluster, probe, network, clocks: init.clocks, scenarios, log });
  const healthyIntervalMs = () => (typeof init.healthyIntervalMs === 'function' ? init.healthyIntervalMs() : (init.healthyIntervalMs ?? 2_000));
  try {
    await workload.setup();
    await indexWorkload.setup();
    workload.start();
    indexWorkload.start();
    log(`workloads started against ${cluster.endpoint(0)} (tables ${workload.tableName}, ${indexWorkload.tableName})`);
    await sleepUnless(healthyIntervalMs(), stopped);
    for (let i = 0; !stopped(); i++) {
      const spec = await init.nextFault(i, injector);
      if (!spec) break;
      const record = await injector.run(spec, stopped);
      await probe.refreshLayout();
      const healthy = await injector.waitHealthy(init.healthyWaitMs ?? 30_000, record, stopped);
      if (healthy) log(`fault ${record.id}: cluster healthy ${Math.round(record.healthyMs! - record.healedMs!)} ms after heal`);
      await sleepUnless(healthyIntervalMs(), stopped);
    }
  } finally {
    // Whatever happened, leave every node running and the network whole before checking.
    await injector.healAll();
    await Promise.all([workload.stop(), indexWorkload.stop()]);
    await probe.refreshLayout();
  }
  log(
    `workloads stopped after ${(workload.durationMs / 1000).toFixed(1)} s: ${workload.history.operations.length} register attempts, ` +
      `${indexWorkload.attempts.length} global index table writes; checking`,
  );

  const [finals, convergence, hints, indexConvergence] = await Promise.all([
    workload.finalReads(init.finalReadDeadlineMs ?? 30_000),
    awaitConvergence(probe, init.convergeTimeoutMs ?? 60_000),
    awaitHintsDrained(probe, init.hintsTimeoutMs ?? 60_000),
    awaitIndexConvergence(indexWorkload, () => probe.gsiPendingUpdates(), init.indexConvergeTimeoutMs ?? INDEX_CONVERGE_TIMEOUT_MS),
  ]);
  log(
    `final reads of ${finals.values.size} keys done; converged=${convergence.converged} hintsDrained=${hints.drained} ` +
      `indexConverged=${indexConvergence.converged} (${Math.round(indexConvergence.timeMs)} ms)`,
  );
  const durability = checkDurability(workload, finals);
  const linearizability = checkLinearizability(workload.history, { faults: injector.records });
  log(`linearizability ${linearizability.verdict} (${Math.round(linearizability.checkMs)} ms)`);
  const counterNames = [
    'triad_hints_stored_total',
    'triad_hints_replayed_total',
    'triad_hints_dropped_total',
    'triad_anti_entropy_records_repaired_total',
    'triad_leader_changes_total',
    'triad_gsi_entries_delivered_total',
    'triad_gsi_delivery_failures_total',
  ];
  const counters: Record<string, number | undefined> = {};
  for (const name of counterNames) counters[name.replace(/^triad_/, '')] = await probe.storageCounter(name);
  const indexLag = await probe.storageHistogram('triad_gsi_replication_lag_seconds');
  workload.close();
  indexWorkload.close();

  if (init.historyFile) {
    writeHistory(init.historyFile, injector.records, workload, indexWorkload);
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
  const rangeReads = workload.history.logical.filter((op) => (op.kind === 'query' || op.kind === 'scan') && op.completed).length;
  const rangeReadsPlanned = workload.history.logical.some((op) => op.kind === 'query' || op.kind === 'scan');
  const indexWrites = indexWorkload.acknowledgedWrites;
  const progress = { acknowledgedWrites: 100, acknowledgedInserts: 10, strongReads: 100, acknowledgedIndexWrites: 50, rangeReads: rangeReadsPlanned ? 10 : 0, ...init.progressMin };
  if (
    durability.acknowledgedWrites < progress.acknowledgedWrites ||
    durability.acknowledgedInserts < progress.acknowledgedInserts ||
    strongReads < progress.strongReads ||
    indexWrites < progress.acknowledgedIndexWrites ||
    rangeReads < progress.rangeReads
  ) {
    failures.push(
      `the workload made too little progress for the checks to mean anything: ${durability.acknowledgedWrites} acknowledged writes ` +
        `(need ${progress.acknowledgedWrites}), ${durability.acknowledgedInserts} acknowledged inserts (need ${progress.acknowledgedInserts}), ` +
        `${strongReads} completed strong reads (need ${progress.strongReads}), ` +
        `${rangeReads} completed strong Query and Scan reads (need ${progress.rangeReads}), ` +
        `${indexWrites} acknowledged writes to the global index's table (need ${progress.acknowledgedIndexWrites})`,
    );
  }
  if (durability.lostInserts.length > 0) failures.push(`(a) ${durability.lostInserts.length} acknowledged inserts missing`);
  if (durability.lostWrites.length > 0) failures.push(`(a) ${durability.lostWrites.length} keys lost an acknowledged write (final value undoes it)`);
  if (durability.unreadable.length > 0) failures.push(`(a) ${durability.unreadable.length} keys could not be read with a strong read after the run`);
  if (linearizability.verdict === 'illegal') failures.push(`(b) linearizability violated on ${linearizability.illegalKeys.length} keys: ${linearizability.illegalKeys.slice(0, 10).join(', ')}`);
  if (linearizability.verdict === 'unknown') failures.push(`(b) linearizability inconclusive on ${linearizability.inconclusiveKeys.length} keys (search budget spent)`);
  if (!convergence.converged) failures.push(`(c) replicas not converged after ${Math.round(convergence.timeMs)} ms: ${convergence.divergent.length} partitions differ`);
  if (!hints.drained) failures.push(`(d) hints still pending after ${Math.round(hints.timeMs)} ms: ${JSON.stringify(hints.pending)}`);
  if (!indexConvergence.converged) {
    const ic = indexConvergence;
    const pendingNodes = Object.entries(ic.pending).filter(([, n]) => n !== 0);
    failures.push(
      `(e) global indexes not converged on their table after ${Math.round(ic.timeMs)} ms: ` +
        [
          ic.differences.length > 0 ? `${ic.differences.length} groups differ (${ic.differences.map((d) => `${d.index}/${d.group}`).join(', ')})` : '',
          pendingNodes.length > 0 ? `updates pending ${JSON.stringify(Object.fromEntries(pendingNodes))}` : '',
          ic.readError ? `last read failed: ${ic.readError}` : '',
        ]
          .filter(Boolean)
          .join('; '),
    );
  }
  for (const f of injector.records) if (f.error) failures.push(`fault #${f.id} (${f.description}) failed: ${f.error}`);
  if (unexpectedExits.length > 0) failures.push(`processes exited unexpectedly: ${unexpectedExits.join('; ')}`);

  const operations = operationCounts(workload.history);
  for (const [kind, c] of Object.entries(indexWorkload.operationCounts())) operations[`gsi-${kind}`] = { ...c, 'condition-false': 0 } satisfies Record<OutcomeName, number>;

  return {
    seed: init.seed,
    workloadMs: workload.durationMs,
    ...(init.clocks ? { clockOffsets: init.clocks.describe() } : {}),
    rangeReads,
    faults: injector.records,
    faultsByKind,
    operations,
    durability,
    linearizability,
    convergence,
    hints,
    globalIndex: {
      acknowledgedWrites: indexWrites,
      items: indexWorkload.itemCount,
      groups: indexWorkload.groups.length,
      convergence: indexConvergence,
      ...(indexLag && indexLag.count > 0 ? { lag: { deliveries: indexLag.count, meanMs: (indexLag.sum / indexLag.count) * 1000, maxBoundMs: indexLag.maxBound * 1000 } } : {}),
    },
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

/**
 * One JSON object per line: every fault, then every attempt (in order of completion), then every
 * logical operation, then every write to the global index's table.
 */
function writeHistory(file: string, faults: readonly FaultRecord[], workload: RegisterWorkload, indexWorkload: GlobalIndexWorkload): void {
  const lines = [
    ...faults.map((f) => JSON.stringify({ type: 'fault', ...f })),
    ...workload.history.operations.map((op) => JSON.stringify({ type: 'attempt', ...op })),
    ...workload.history.logical.map((op) => JSON.stringify({ type: 'logical', ...op })),
    ...indexWorkload.attempts.map((a) => JSON.stringify({ type: 'index-attempt', ...a })),
  ];
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}
