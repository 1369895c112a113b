/**
 * `npm run chaos -- --minutes N [--storage-nodes 3|6] [--seed S] [--faults kind,...]`: a soak
 * test. Starts a local cluster in a temporary directory (every process with a clock offset of its
 * own), injects random faults continuously (one at a time, the cluster healthy in between) under
 * a client workload for N minutes, then checks durability, linearizability, convergence, hints
 * and global index convergence, prints a report, and exits non-zero if anything failed.
 * Stops its processes and deletes its directory when done, and on Ctrl-C.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AddIndexScenario,
  ClockOffsets,
  DEFAULT_OPTIONS,
  LocalCluster,
  MembershipScenario,
  NetworkFaults,
  Prng,
  assertPortsFree,
  clusterPorts,
  clusterProcesses,
  faultFileEnv,
  formatReport,
  nowMs,
  runChaos,
} from '@triad/harness';
import { USAGE, parseChaosOptions, type ChaosOptions } from './chaos/chaos-options';

/** Two routers: the add-index fault cuts the second off from the catalog while the first runs UpdateTable. */
const ROUTERS = 2;
/** Kinds drawn before giving up when scenario faults cannot be planned. */
const FAULT_PICKS_MAX = 20;

async function main(): Promise<number> {
  let options: ChaosOptions | 'help';
  try {
    options = parseChaosOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const opts = options;
  try {
    // One storage node more: the spare that membership faults join and decommission.
    await assertPortsFree(clusterPorts({ routerPort: opts.routerPort, basePort: opts.basePort, storageNodes: opts.storageNodes + 1, routers: ROUTERS }), 'npm run chaos');
  } catch (error) {
    console.error(`${(error as Error).message}\nChoose others with --router-port and --base-port.`);
    return 2;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-chaos-'));
  const faultDir = path.join(dataDir, 'faults');
  const clocks = new ClockOffsets();
  const faultFiles = faultFileEnv(faultDir);
  const cluster = new LocalCluster({
    ...DEFAULT_OPTIONS,
    dataDir,
    routerPort: opts.routerPort,
    basePort: opts.basePort,
    partitions: opts.partitions,
    storageNodes: opts.storageNodes,
    routers: ROUTERS,
    env: { TRIAD_ANTI_ENTROPY_INTERVAL_MS: '1000' },
    envFor: (id) => ({ ...faultFiles(id), ...clocks.envFor(id) }),
  });
  // Their own generator: the clocks do not shift the choices the seed makes for the run.
  clocks.randomize([...cluster.layout.storageNodes.map((n) => n.id), ...cluster.routers.map((r) => r.id)], new Prng((opts.seed ^ 0x5eedc10c) >>> 0));
  const unexpectedExits: string[] = [];
  cluster.onUnexpectedExit = (id, code, signal) => unexpectedExits.push(`${id} code=${code} signal=${signal}`);

  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    (cleaned ??= (async () => {
      await cluster.stop().catch((error: unknown) => console.error(`stopping the cluster: ${String(error)}`));
      if (opts.keepData) console.log(`data and logs kept in ${dataDir}`);
      else fs.rmSync(dataDir, { recursive: true, force: true });
    })());
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    console.log(`\n${signal}: stopping the cluster and cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    console.log(`chaos: seed ${opts.seed}, ${opts.storageNodes} storage nodes, ${opts.partitions} partitions, ${opts.minutes} min of faults; data in ${dataDir}`);
    await cluster.start();
    if (interrupted) return 130;
    const network = new NetworkFaults(faultDir, clusterProcesses(cluster));
    const rng = new Prng(opts.seed);
    // The register clients use the first router: cutting its zone off makes the cluster unreachable for them by design.
    const protectedZones = [cluster.routers[0].zone];
    const runMs = opts.minutes * 60_000;
    let faultsStartedMs: number | undefined;
    let membership: MembershipScenario | undefined;
    const report = await runChaos({
      cluster,
      network,
      seed: opts.seed,
      workload: { clients: opts.clients },
      // One index writer per router.
      indexWorkload: { clients: ROUTERS },
      clocks,
      scenarios: (parts) => {
        membership = new MembershipScenario({ ...parts, clocks, rng: new Prng((opts.seed ^ 0x5a4e) >>> 0) });
        return { 'add-index': new AddIndexScenario(parts), membership };
      },
      nextFault: async (_i, injector) => {
        faultsStartedMs ??= nowMs();
        if (nowMs() - faultsStartedMs > runMs) return undefined;
        const kinds = opts.faults.filter((k) => injector.supports(k));
        if (kinds.length === 0) throw new Error(`none of the fault kinds ${opts.faults.join(', ')} can run on this cluster`);
        const durationMs = rng.between(opts.faultMsMin, opts.faultMsMax);
        // A scenario that cannot run now (say, no partition to move) gives way to another kind.
        for (let tries = 0; tries < FAULT_PICKS_MAX; tries++) {
          const spec = await injector.randomFault(rng.pick(kinds), rng, durationMs, protectedZones);
          if (spec) return spec;
        }
        throw new Error(`no fault among ${kinds.join(', ')} could be planned ${FAULT_PICKS_MAX} times in a row`);
      },
      healthyIntervalMs: () => rng.between(opts.healthyMsMin, opts.healthyMsMax),
      historyFile: opts.historyFile,
      stopped: () => interrupted,
      unexpectedExits: () => unexpectedExits,
      log: (line) => console.log(line),
    });
    membership?.close();
    if (interrupted) return 130;
    console.log(`\n${formatReport(report)}`);
    if (report.failures.length > 0) printLogTails(dataDir, report.unexpectedExits, report.faults.filter((f) => f.error).flatMap((f) => f.nodes));
    console.log(`(replay the same choices with --seed ${opts.seed})`);
    return report.failures.length === 0 ? 0 : 1;
  } catch (error) {
    if (interrupted) return 130;
    console.error(`chaos run failed: ${(error as Error).stack ?? String(error)}\n(logs in ${dataDir}/logs; use --keep-data to keep them)`);
    return 1;
  } finally {
    if (!interrupted) await cleanup();
  }
}

/** The data directory goes away at the end: show the last lines of the logs of the processes that misbehaved. */
function printLogTails(dataDir: string, unexpectedExits: readonly string[], faultedNodes: readonly string[], lines = 25): void {
  const ids = new Set([...unexpectedExits.map((e) => e.split(' ')[0]), ...faultedNodes]);
  for (const id of [...ids].sort()) {
    const file = path.join(dataDir, 'logs', `${id}.log`);
    if (!fs.existsSync(file)) continue;
    const tail = fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    console.log(`\n--- ${id} log (last ${lines} lines; the directory is deleted, --keep-data keeps it) ---\n${tail}`);
  }
}

main().then(
  (code) => {
    // A Ctrl-C in progress owns the exit (after its cleanup).
    if (code !== 130) process.exit(code);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
