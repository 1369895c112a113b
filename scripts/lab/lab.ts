import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AbortedError, FaultRunner } from './faults';
import { Load, quantile, type VerifyResult } from './load';
import { LoopbackNetwork } from './loopback-network';
import type { LabNetwork, TeardownReport } from './network';
import { NetnsNetwork, probeNetns } from './netns-network';
import type { LabOptions } from './options';
import { buildPlan, type NetworkKind } from './plan';
import { Supervisor } from './processes';
import { EXIT_CODES, printSummary, verdictOf, type LabSummary } from './report';
import { sleepSync } from './sh';
import { isLabDriver, readState, removeState, writeState, type LabState } from './state';

/** Budget for starting the cluster and creating the table. */
const STARTUP_BUDGET_MS = 4 * 60_000;
/** Budget for the final strong read of every key. */
const VERIFY_BUDGET_MS = 60_000;
/** Hard stop: whatever happens, the run ends (and cleans up) this long after its planned end. */
const WATCHDOG_SLACK_MS = STARTUP_BUDGET_MS + VERIFY_BUDGET_MS + 2 * 60_000;
/** A Ctrl-C waits this long for an orderly stop before killing everything outright. */
const INTERRUPT_GRACE_MS = 20_000;
/**
 * One Ctrl-C arrives twice: the terminal signals the whole process group, and the tsx wrapper
 * relays its copy to the driver. Signals this close to the first count as the same one.
 */
const SAME_SIGNAL_MS = 2_000;
const PROGRESS_EVERY_MS = 10_000;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function chooseNetwork(options: LabOptions): { kind: NetworkKind; fallbackReason?: string } {
  if (options.network === 'loopback') return { kind: 'loopback' };
  const probe = probeNetns();
  if (probe.ok) return { kind: 'netns' };
  if (options.network === 'netns') throw new Error(`--network netns: network namespaces are not available (${probe.reason})`);
  return { kind: 'loopback', fallbackReason: probe.reason };
}

/** Runs one lab and returns the process exit code. Everything it creates is removed before it returns. */
export async function runLab(options: LabOptions): Promise<number> {
  const t0 = Date.now();
  const seconds = () => (Date.now() - t0) / 1000;
  const stamp = () => `+${seconds().toFixed(1)}s`;
  const log = (line: string) => console.log(`[lab ${stamp()}] ${line}`);

  const previous = readState();
  if (previous && isLabDriver(previous.driverPid)) {
    throw new Error(`another lab run (pid ${previous.driverPid}) is in progress; one at a time`);
  }
  if (previous) {
    throw new Error(`a previous lab run (pid ${previous.driverPid}, ${previous.startedAt}) did not clean up; run \`npm run lab -- --cleanup\` first`);
  }

  const { kind, fallbackReason } = chooseNetwork(options);
  if (fallbackReason) log(`network namespaces not available (${fallbackReason}); falling back to loopback + TRIAD_FAULT_FILE`);
  const plan = buildPlan(kind, options);
  const dataDirOwned = !options.dataDir;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'triad-lab-'));
  fs.mkdirSync(dataDir, { recursive: true });
  const layoutPath = path.join(dataDir, 'cluster-layout.json');
  fs.writeFileSync(layoutPath, JSON.stringify(plan.layout, null, 2));
  const network: LabNetwork = kind === 'netns' ? new NetnsNetwork(plan, options) : new LoopbackNetwork(plan, options, dataDir);
  const supervisor = new Supervisor(plan, network, dataDir, layoutPath, stamp);

  const state: LabState = {
    driverPid: process.pid,
    startedAt: new Date().toISOString(),
    kind,
    dataDir,
    dataDirOwned,
    namespaces: plan.hosts.map((h) => h.netns).filter((n): n is string => !!n),
    pids: [],
  };
  writeState(state);
  supervisor.onPidsChanged = (pids) => {
    // Keep every PID ever started: a crash between updates must not hide one.
    state.pids = [...new Set([...state.pids, ...pids])];
    writeState(state);
  };

  // ---- teardown, reachable from every path (normal end, error, signal, watchdog, exit) ----
  let teardown: TeardownReport | undefined;
  const teardownSync = (): TeardownReport => {
    if (teardown) return teardown;
    supervisor.killAllSync();
    sleepSync(200);
    teardown = network.teardown();
    removeState();
    return teardown;
  };
  const onExit = () => {
    if (!teardown) {
      teardownSync();
      console.log(`[lab] cleaned up on exit: ${teardown!.leftovers.length === 0 ? 'nothing left behind' : `LEFT: ${teardown!.leftovers.join(', ')}`}`);
    }
  };
  process.on('exit', onExit);

  const controller = new AbortController();
  let interrupted: string | undefined;
  let firstSignalAt = 0;
  const abortWith = (why: string, exitCode = EXIT_CODES.INTERRUPTED) => {
    if (controller.signal.aborted) {
      if (Date.now() - firstSignalAt < SAME_SIGNAL_MS) return;
      log(`${why} again: killing everything now`);
      teardownSync();
      process.exit(exitCode);
    }
    interrupted = why;
    firstSignalAt = Date.now();
    log(`${why}: stopping and cleaning up (again to force)`);
    controller.abort();
    setTimeout(() => {
      log('orderly stop took too long; killing everything');
      teardownSync();
      process.exit(exitCode);
    }, INTERRUPT_GRACE_MS).unref();
  };
  const onSignal = (signal: NodeJS.Signals) => abortWith(`interrupted by ${signal}`);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  const plannedMs = options.minutes * 60_000;
  const watchdog = setTimeout(
    () => abortWith(`watchdog: the run exceeded its budget of ${Math.round((plannedMs + WATCHDOG_SLACK_MS) / 1000)} s`, EXIT_CODES.ERROR),
    plannedMs + WATCHDOG_SLACK_MS,
  );
  watchdog.unref();
  const abortable = <T>(promise: Promise<T>): Promise<T> =>
    Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        if (controller.signal.aborted) reject(new AbortedError());
        controller.signal.addEventListener('abort', () => reject(new AbortedError()), { once: true });
      }),
    ]);

  // ---- the run ----
  let load: Load | undefined;
  let faults: FaultRunner | undefined;
  let verify: VerifyResult | undefined;
  let error: string | undefined;
  let loadSeconds: number | undefined;
  let traffic: string[] = [];
  let schedule: string | undefined;
  let processesStopped = 0;
  let ticker: NodeJS.Timeout | undefined;
  try {
    log(`setting up ${kind} network for ${plan.storage.length} storage nodes and ${plan.routers.length} router(s)`);
    network.setup();
    for (const line of network.describe()) log(line);
    log(`starting the cluster (data and logs in ${dataDir})`);
    await abortable(supervisor.startAll());
    log(`cluster up: ${plan.routers.map((r) => `${r.id} at ${r.endpoint}`).join(', ')}`);
    load = new Load(plan.routers.map((r) => ({ id: r.id, endpoint: r.endpoint })), options.clients, options.keysPerClient, seconds);
    await abortable(load.createTable());
    log(`table ${load.table} is ACTIVE on every router; load starts (${options.clients} clients), ${options.minutes} min of faults and load`);

    const loadStart = Date.now();
    const endLoadAt = loadStart + plannedMs;
    const endFaultsAt = endLoadAt - options.settleSeconds * 1000;
    load.start();
    const running = load;
    ticker = setInterval(() => {
      const c = running.tick();
      log(`last ${PROGRESS_EVERY_MS / 1000} s: put ${c.putOk} ok / ${c.putErr} err, get ${c.getOk} ok / ${c.getErr} err${c.stale ? `, STALE ${c.stale}` : ''}`);
    }, PROGRESS_EVERY_MS);
    schedule = FaultRunner.describe(options, endFaultsAt - Date.now());
    log(`faults: ${schedule}`);
    faults = new FaultRunner({ plan, options, supervisor, network, load, seconds, log, signal: controller.signal });
    await faults.run(endFaultsAt);
    const settleMs = Math.max(0, endLoadAt - Date.now());
    log(`faults over; ${(settleMs / 1000).toFixed(0)} s of load without faults`);
    await abortable(delay(settleMs));
    clearInterval(ticker);
    log('stopping the load');
    await abortable(load.stop());
    loadSeconds = (Date.now() - loadStart) / 1000;
    log(`checking every acknowledged write (strong read of each key, up to ${VERIFY_BUDGET_MS / 1000} s)`);
    verify = await abortable(load.verify(VERIFY_BUDGET_MS));
    traffic = network.statistics();
  } catch (e) {
    if (!(e instanceof AbortedError)) {
      error = (e as Error).message;
      log(`lab failed: ${error}`);
    }
  } finally {
    if (ticker) clearInterval(ticker);
    void load?.stop(); // sets the stop flag at once; in-flight requests are not waited for here
    load?.destroy();
    processesStopped = supervisor.pids().length;
    log(`stopping the cluster (${processesStopped} processes)`);
    await supervisor.stopAll(interrupted ? 2_000 : 10_000);
    log('removing the network');
    teardownSync();
    clearTimeout(watchdog);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, onSignal);
    process.off('exit', onExit);
  }

  const totals = load?.totals();
  const { verdict, reasons } = verdictOf({ verify, totals, error }, interrupted);
  // A failed or interrupted run keeps its logs for a look; one that never started a process has none.
  const hasLogs = fs.existsSync(path.join(dataDir, 'logs')) && fs.readdirSync(path.join(dataDir, 'logs')).length > 0;
  const dataKept = options.keepData || !dataDirOwned || (verdict !== 'PASS' && hasLogs);
  const summary: LabSummary = {
    verdict,
    reasons,
    kind,
    fallbackReason,
    options,
    topology: network.describe(),
    loadSeconds,
    faults: faults?.records ?? [],
    totals,
    phases: load?.phases() ?? [],
    schedule,
    errors: load ? [...load.errors.entries()] : [],
    anomalies: load?.anomalies ?? [],
    verify,
    unexpectedExits: supervisor.unexpectedExits,
    traffic,
    teardown,
    processesStopped,
    error,
    dataDir,
    dataKept,
  };
  if (load && dataKept) fs.writeFileSync(path.join(dataDir, 'acked-writes.json'), JSON.stringify(load.ackedLog));
  printSummary(summary);
  if (options.json) {
    const phases = summary.phases.map(([phase, { counters, latencyMs }]) => ({
      phase,
      ...counters,
      p50Ms: quantile(latencyMs, 0.5),
      p99Ms: quantile(latencyMs, 0.99),
      maxMs: quantile(latencyMs, 1),
    }));
    fs.writeFileSync(options.json, JSON.stringify({ ...summary, phases, errors: Object.fromEntries(summary.errors) }, null, 2));
  }
  if (!dataKept) fs.rmSync(dataDir, { recursive: true, force: true });
  return EXIT_CODES[verdict];
}
