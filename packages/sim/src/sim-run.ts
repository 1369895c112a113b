import { checkHistory, type RegisterOperation } from '@triad/linearizability';
import { Prng, sleep } from '@triad/runtime';
import type { PlantedBugs } from '@triad/storage-node';
import type { FaultPoint } from '@triad/runtime';
import { SeededFaultPoints } from './seeded-fault-points';
import { LeadershipMonitor, divergentPartitions, eventually, everyPartitionLed, hintsPending, learnerPartitions } from './cluster-checks';
import { FaultSchedule, type FaultEvent, type FaultKind } from './fault-schedule';
import { CHECK_READ_ATTEMPTS_MAX, RUN_SIMULATED_MS_MAX, SETTLE_SIMULATED_MS_MAX, SHORT_SEED_FIRST_FAULT_MS, SHORT_SEED_HOLD_SCALE } from './limits';
import { SimCluster } from './sim-cluster';
import { SideScenarios, type SideScenarioOptions } from './side-scenarios';
import { RegisterWorkload, type OperationOutcome, type WorkloadEvent } from './workload';

export interface SimRunOptions {
  seed: number;
  /** Attempts per client. @default 30 */
  steps?: number;
  /** Concurrent clients. @default 4 */
  clients?: number;
  /** Data partitions. @default 4 */
  partitions?: number;
  plantedBugs?: PlantedBugs;
  /** The fault points enabled in the run (each strikes rarely, see FAULT_POINT_RATES); default: a seeded half of them. */
  faultPoints?: readonly FaultPoint[];
  /**
   * A short seed (the ones `npm test` runs, a fraction of a second of CPU each): one fault, early
   * (SHORT_SEED_FIRST_FAULT_MS) and held half as long; with `steps` a few per client. @default false
   */
  short?: boolean;
  /** Keep the events for a replay's trace (the network's, the schedule's, the clients'). */
  keepTrace?: boolean;
  /** Scenarios beside the workload: joins and decommissions (`moves`), a global index added (`indexes`). */
  scenarios?: SideScenarioOptions;
}

export interface SimRunResult {
  seed: number;
  simulatedMs: number;
  operations: number;
  outcomes: Partial<Record<OperationOutcome, number>>;
  faults: Partial<Record<FaultKind, number>>;
  /** Fault points that struck, by name. */
  faultPoints: Partial<Record<FaultPoint, number>>;
  /** The fault points enabled in the run. */
  faultPointsEnabled: FaultPoint[];
  leaderSamples: number;
  /** Failed checks, one line each; empty when the seed passed. */
  failures: string[];
  /** Only with `keepTrace`: every event in simulated time order. */
  trace?: string[];
}

const ROUTERS = [
  { id: 'router-a', zone: 'a' },
  { id: 'router-b', zone: 'b' },
];

/**
 * One seed of the simulation: three storage nodes and two routers in one process; the register
 * workload's setup; its run with the seeded fault schedule beside it and the leadership monitor
 * sampling throughout; then everything healed and the cluster let settle, and the checks: every
 * partition led and no learner left, the history (with a final strong read of every register)
 * linearizable, no acknowledged write lost, counters within what was acknowledged and attempted,
 * replicas' Merkle roots equal, hints drained, one leader per term and one serving leader at a time.
 */
export async function runSeed(options: SimRunOptions): Promise<SimRunResult> {
  const { seed, steps = 30, clients = 4, partitions = 4 } = options;
  const failures: string[] = [];
  const prng = new Prng(seed);
  const workloadPrng = prng.fork();
  const schedulePrng = prng.fork();
  const faultPoints = new SeededFaultPoints(prng.fork(), options.faultPoints);
  // The network's trace (a line per message) is formatted only for a replay (`keepTrace`), the one reader of it.
  const cluster = new SimCluster({ seed, partitions, plantedBugs: options.plantedBugs, faultPoints, network: { trace: options.keepTrace === true } });
  const env = cluster.simulator.environment({ name: 'simulation' });
  const workload = new RegisterWorkload(cluster, workloadPrng, env);
  // A side scenario's fault (a split around a move) is the one fault in force while it lasts.
  const quietWhile = () => side.faultInForce();
  const pacing = options.short ? { faultsMax: 1, firstFaultMs: SHORT_SEED_FIRST_FAULT_MS, holdScale: SHORT_SEED_HOLD_SCALE, quietWhile } : { quietWhile };
  const schedule = new FaultSchedule(cluster, schedulePrng, env, [...cluster.nodes.keys(), ...ROUTERS.map((r) => r.id)], pacing);
  const monitor = new LeadershipMonitor(cluster, env);
  const side = new SideScenarios(cluster, prng, env, options.scenarios ?? {});
  // A promise of a simulated process rejected with nobody to catch it would end a real process (and
  // the whole simulator with it): it is this seed's failure instead, and the seeds after it still run.
  const unhandled = (reason: unknown) => failures.push(`unhandled rejection in a simulated process: ${reason instanceof Error ? (reason.stack ?? reason.message).split('\n').slice(0, 6).join(' | ') : String(reason)}`);
  process.on('unhandledRejection', unhandled);
  try {
    await cluster.startNodes(...cluster.nodes.keys());
    await cluster.run(eventually(cluster, env, 30_000, () => everyPartitionLed(cluster), 100));
    const routers = [];
    for (const r of ROUTERS) routers.push(await cluster.startRouter(r.id, r.zone));
    await cluster.run(workload.setup(routers[0]!));
    await cluster.run(side.setup(routers));
    monitor.start();

    const faults = schedule.run();
    await cluster.run(
      Promise.all([workload.run(routers, clients, steps), side.run(routers)]).finally(() => schedule.stop()),
      RUN_SIMULATED_MS_MAX,
    );
    await cluster.run(faults, RUN_SIMULATED_MS_MAX);
    await cluster.run(schedule.healAll());
    await cluster.run(side.finish(failures), RUN_SIMULATED_MS_MAX);

    await cluster.run(
      (async () => {
        const settled = await eventually(cluster, env, SETTLE_SIMULATED_MS_MAX, async () => everyPartitionLed(cluster) && (await learnerPartitions(cluster)) === 0);
        if (!settled) failures.push(`not settled ${SETTLE_SIMULATED_MS_MAX} ms after healing: every partition led ${everyPartitionLed(cluster)}, learner partitions ${await learnerPartitions(cluster)}`);
        await finalReads(workload, routers[0]!, env, failures);
        const converged = await eventually(cluster, env, SETTLE_SIMULATED_MS_MAX, async () => (await divergentPartitions(cluster)).length === 0);
        if (!converged) failures.push(`replicas differ after healing: ${(await divergentPartitions(cluster)).join('; ')}`);
        const drained = await eventually(cluster, env, SETTLE_SIMULATED_MS_MAX, () => hintsPending(cluster) === 0);
        if (!drained) failures.push(`hints not drained after healing: ${hintsPending(cluster)} pending`);
        await side.check(routers, failures);
      })(),
      4 * SETTLE_SIMULATED_MS_MAX,
    );
    monitor.stop();
    checkRegisters(workload.history, failures);
  } catch (error) {
    failures.push(`run stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    monitor.stop();
    schedule.stop();
    process.off('unhandledRejection', unhandled);
  }
  for (const v of monitor.violations) failures.push(`leadership: ${v}`);
  for (const e of cluster.processExits) failures.push(`${e.id} exited (code ${e.code}) at ${e.atMs.toFixed(1)} ms: ${e.reason}`);
  const result: SimRunResult = {
    seed,
    simulatedMs: cluster.simulator.nowMs,
    operations: workload.events.length,
    outcomes: Object.fromEntries(workload.outcomes),
    faults: { ...Object.fromEntries(schedule.counts), ...side.counts } as SimRunResult['faults'],
    faultPoints: Object.fromEntries(faultPoints.fired),
    faultPointsEnabled: [...faultPoints.enabled],
    leaderSamples: monitor.samples,
    failures,
  };
  if (options.keepTrace) {
    const died = [
      ...cluster.syncFailures.map((f) => ({ atMs: f.atMs, kind: 'crash' as const, what: `${f.id} at a failed sync (fault point store.syncFails); its supervisor restarts it` })),
      ...cluster.processExits.map((e) => ({ atMs: e.atMs, kind: 'crash' as const, what: `${e.id} exited on its own (code ${e.code}: ${e.reason}); its supervisor restarts it` })),
    ];
    result.trace = mergeTrace(cluster.network.trace, [...schedule.events, ...(side.events as FaultEvent[]), ...died], workload.events);
  }
  return result;
}

/**
 * The final strong reads of every register (recorded in the history, so that the checker places
 * them last) and of every counter: a counter holds at least the ADDs acknowledged and at most
 * those attempted but definitely refused.
 */
async function finalReads(workload: RegisterWorkload, router: Parameters<RegisterWorkload['read']>[0], env: Parameters<typeof sleep>[0], failures: string[]): Promise<void> {
  for (const key of RegisterWorkload.registers) {
    const read = await retried(() => workload.read(router, 'final', key), env);
    if (!read.ok) failures.push(`final read of ${key} failed ${CHECK_READ_ATTEMPTS_MAX} times: ${read.error}`);
  }
  for (const counter of RegisterWorkload.counterNames) {
    const read = await retried(() => workload.readCounter(router, counter), env);
    if (!read.ok) {
      failures.push(`final read of counter ${counter} failed: ${read.error}`);
      continue;
    }
    const { acknowledged, unknown } = workload.counters.get(counter)!;
    if (read.value < acknowledged || read.value > acknowledged + unknown) {
      failures.push(`counter ${counter} is ${read.value}: ${acknowledged} ADDs acknowledged, ${unknown} of unknown outcome (an acknowledged increment lost, or one applied twice)`);
    }
  }
}

async function retried<T>(read: () => Promise<T>, env: Parameters<typeof sleep>[0]): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  let error = '';
  for (let attempt = 1; attempt <= CHECK_READ_ATTEMPTS_MAX; attempt++) {
    try {
      return { ok: true, value: await read() };
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      await sleep(env, 500);
    }
  }
  return { ok: false, error };
}

/** The value a change leaves (undefined: absent). */
function written(op: RegisterOperation): string | undefined {
  if (op.kind === 'write') return op.input as string;
  if (op.kind === 'cas') return op.input.value as string | undefined;
  return undefined;
}

/**
 * Linearizability of the whole history, and, said plainly, no acknowledged write lost: a
 * register's final value comes from a change that no acknowledged change followed in real time
 * (a change that ended before an acknowledged one began was overwritten by it).
 */
export function checkRegisters(history: readonly RegisterOperation[], failures: string[]): void {
  const verdict = checkHistory(history);
  if (verdict.verdict === 'illegal') {
    for (const [key, explanation] of verdict.explanations) failures.push(`not linearizable: key ${key}: ${explanation.message}`);
  } else if (verdict.verdict === 'unknown') {
    const keys = [...verdict.perKey].filter(([, v]) => v === 'unknown').map(([k]) => k);
    failures.push(`linearizability undecided within the step budget for ${keys.join(', ')}`);
  }
  for (const key of RegisterWorkload.registers) {
    const final = history.filter((op) => op.key === key && op.clientId === 'final' && op.kind === 'read' && op.ok === true).at(-1);
    if (!final) continue;
    const changes = history.filter((op) => op.key === key && op.kind !== 'read' && op.ok !== false && !(op.kind === 'cas' && op.ok === true && op.output === false));
    const acknowledged = changes.filter((op) => op.ok === true);
    const ends = (op: RegisterOperation) => (op.ok === true ? op.completeMs! : Infinity);
    const candidates = changes.filter((op) => written(op) === final.output && !acknowledged.some((a) => a.invokeMs > ends(op)));
    const neverWritten = final.output === undefined && acknowledged.length === 0;
    if (candidates.length === 0 && !neverWritten) {
      const last = acknowledged.reduce<RegisterOperation | undefined>((latest, op) => (!latest || ends(op) > ends(latest) ? op : latest), undefined);
      failures.push(`acknowledged write lost: ${key} reads ${final.output ?? '(absent)'} at the end; the last acknowledged change was ${last ? `${last.kind} ${written(last) ?? '(absent)'} by ${last.clientId} [${last.invokeMs.toFixed(1)}, ${last.completeMs?.toFixed(1)}]` : 'none'}`);
    }
  }
}

/** Every event of a run in simulated time order: network messages, the schedule's faults, the clients' attempts. */
function mergeTrace(network: readonly string[], faults: readonly FaultEvent[], operations: readonly WorkloadEvent[]): string[] {
  const lines: { atMs: number; order: number; text: string }[] = [];
  let order = 0;
  for (const line of network) lines.push({ atMs: Number(line.slice(0, line.indexOf(' '))), order: order++, text: `net    ${line.slice(line.indexOf(' ') + 1)}` });
  for (const f of faults) lines.push({ atMs: f.atMs, order: order++, text: `FAULT  ${f.kind} ${f.what}` });
  for (const op of operations) {
    lines.push({ atMs: op.invokeMs, order: order++, text: `call   ${op.client} ${op.key} ${op.operation}` });
    lines.push({ atMs: op.completeMs, order: order++, text: `answer ${op.client} ${op.key} ${op.operation} ${op.outcome} ${op.detail} (sent at ${op.invokeMs.toFixed(3)})` });
  }
  lines.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
  return lines.map((l) => `${l.atMs.toFixed(3).padStart(12)} ${l.text}`);
}
