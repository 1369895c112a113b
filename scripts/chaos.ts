/**
 * `npm run chaos -- --minutes N [--storage-nodes 3|6] [--seed S]`: a soak test. Starts a local
 * cluster in a temporary directory, injects random faults continuously (one at a time, the
 * cluster healthy in between) under a client workload for N minutes, then checks durability,
 * linearizability, convergence, hints and global index convergence, prints a report, and exits
 * non-zero if anything failed.
 * Stops its processes and deletes its directory when done, and on Ctrl-C.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_OPTIONS, LocalCluster } from './local-cluster/local-cluster';
import { USAGE, parseChaosOptions, type ChaosOptions } from './chaos/chaos-options';
import { runChaos } from '../test-cluster/chaos/chaos-run';
import { nowMs } from '../test-cluster/chaos/clock';
import { clusterProcesses } from '../test-cluster/chaos/cluster-probe';
import { FAULT_KINDS, NetworkFaults, faultFileEnv } from '../test-cluster/chaos/faults';
import { Prng } from '../test-cluster/chaos/prng';
import { assertPortsFree, clusterPorts } from '../test-cluster/chaos/ports';
import { formatReport } from '../test-cluster/chaos/report';

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
    await assertPortsFree(clusterPorts({ routerPort: opts.routerPort, basePort: opts.basePort, storageNodes: opts.storageNodes, routers: 1 }), 'npm run chaos');
  } catch (error) {
    console.error(`${(error as Error).message}\nChoose others with --router-port and --base-port.`);
    return 2;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-chaos-'));
  const faultDir = path.join(dataDir, 'faults');
  const cluster = new LocalCluster({
    ...DEFAULT_OPTIONS,
    dataDir,
    routerPort: opts.routerPort,
    basePort: opts.basePort,
    partitions: opts.partitions,
    storageNodes: opts.storageNodes,
    routers: 1,
    env: { TRIAD_ANTI_ENTROPY_INTERVAL_MS: '1000' },
    envFor: faultFileEnv(faultDir),
  });
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
    const routerZones = cluster.routers.map((r) => r.zone);
    const runMs = opts.minutes * 60_000;
    let faultsStartedMs: number | undefined;
    const report = await runChaos({
      cluster,
      network,
      seed: opts.seed,
      workload: { clients: opts.clients },
      nextFault: (_i, injector) => {
        faultsStartedMs ??= nowMs();
        if (nowMs() - faultsStartedMs > runMs) return undefined;
        return injector.randomFault(rng.pick(FAULT_KINDS), rng, rng.between(opts.faultMsMin, opts.faultMsMax), routerZones);
      },
      healthyIntervalMs: () => rng.between(opts.healthyMsMin, opts.healthyMsMax),
      historyFile: opts.historyFile,
      stopped: () => interrupted,
      unexpectedExits: () => unexpectedExits,
      log: (line) => console.log(line),
    });
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
