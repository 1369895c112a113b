/**
 * `npm run sim -- --seeds N [--first S] [--steps M] [--workers W]`: runs seeds of the deterministic
 * simulation (packages/sim) in worker threads and prints a report; `SEED=n npm run sim` (or
 * `--seed n`) replays one seed in this thread and prints the trace of events that led to its end.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { focusTrace, formatSimReport, runSeed, summarize, type SimRunResult } from '@triad/sim';
import { USAGE, parseSimOptions, plantedBugsOf, type SimOptions } from './sim/sim-options';
import { bundleSimWorker } from './sim/sim-bundle';
import type { WorkerReply, WorkerRequest, WorkerSettings } from './sim/sim-worker';

process.env.TRIAD_LOG_LEVEL ??= 'error';

/**
 * A worker thread runs the bundle of sim-worker.ts (see sim-bundle.ts: a fifth less CPU a seed), or
 * with `--tsx` the TypeScript through tsx's require hook, as this script runs.
 */
function startWorker(settings: WorkerSettings, bundle: string | undefined): Worker {
  if (bundle !== undefined) return new Worker(bundle, { workerData: settings });
  const file = path.join(__dirname, 'sim', 'sim-worker.ts');
  return new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(file)});`, { eval: true, workerData: settings });
}

async function runMany(options: SimOptions): Promise<SimRunResult[]> {
  const bundle = options.tsx ? undefined : bundleSimWorker();
  try {
    return await runWorkers(options, bundle?.file);
  } finally {
    bundle?.dispose();
  }
}

async function runWorkers(options: SimOptions, bundle: string | undefined): Promise<SimRunResult[]> {
  const results: SimRunResult[] = [];
  let next = options.first;
  const last = options.first + options.seeds - 1;
  const record = (result: SimRunResult) => {
    results.push(result);
    const failed = result.failures.length > 0;
    if (failed || results.length % 10 === 0) console.log(`${results.length}/${options.seeds} seeds${failed ? ` — seed ${result.seed} FAILED` : ''}`);
  };
  const settings: WorkerSettings = { steps: options.steps, plantBugs: options.plantBugs, moves: options.moves, indexes: options.indexes, short: options.short };
  /**
   * One worker's turn at the seeds. A worker that dies with a seed in hand (code in the seed's
   * run ended the thread: process.exit, an uncaught exception) fails that seed, named, and
   * another worker takes the rest: a seed is never dropped from the count unseen.
   */
  const runOne = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const worker = startWorker(settings, bundle);
      let inHand: number | undefined;
      let death: string | undefined;
      const send = () => {
        inHand = next <= last ? next++ : undefined;
        worker.postMessage({ seed: inHand } satisfies WorkerRequest);
      };
      worker.on('message', (reply: WorkerReply) => {
        if ('result' in reply) {
          inHand = undefined;
          record(reply.result);
        }
        send();
      });
      worker.on('error', (error) => (death = `an uncaught ${error.name}: ${error.message}`));
      worker.on('exit', (code) => {
        if (inHand === undefined) return resolve();
        record(workerDied(inHand, death ?? `process.exit(${code}) or a thread exit`));
        resolve(runOne());
      });
    });
  await Promise.all(Array.from({ length: Math.min(options.workers, options.seeds) }, runOne));
  return results;
}

/** A seed whose worker thread ended before it could answer: a failure, replayable like any other. */
function workerDied(seed: number, how: string): SimRunResult {
  return {
    seed,
    simulatedMs: 0,
    operations: 0,
    outcomes: {},
    faults: {},
    faultPoints: {},
    faultPointsEnabled: [],
    leaderSamples: 0,
    failures: [`the simulation's thread ended during the seed (${how}): replay it with SEED=${seed}`],
  };
}

async function replay(options: SimOptions, seed: number): Promise<SimRunResult> {
  const result = await runSeed({ seed, steps: options.steps, plantedBugs: plantedBugsOf(options.plantBugs), scenarios: { moves: options.moves, indexes: options.indexes }, short: options.short, keepTrace: true });
  const trace = result.trace ?? [];
  console.log(`fault points enabled: ${result.faultPointsEnabled.join(', ') || 'none'}; planted: ${options.plantBugs.join(', ') || 'none'}`);
  console.log(`trace of seed ${seed} (the last ${Math.min(options.traceLines, trace.length)} of ${trace.length} events; --trace-lines for more):`);
  for (const line of options.traceLines > 0 ? trace.slice(-options.traceLines) : []) console.log(line);
  if (result.failures.length > 0) {
    const focused = focusTrace(trace, result.failures);
    console.log(`\nwhat led to the failures: every fault, and the calls and answers on the keys they name (${focused.length} events):`);
    for (const line of focused) console.log(line);
  }
  return result;
}

async function main(): Promise<number> {
  let options: SimOptions | 'help';
  try {
    options = parseSimOptions(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const started = Date.now();
  const results = options.replay === undefined ? await runMany(options) : [await replay(options, options.replay)];
  const report = summarize(results);
  const cpu = process.cpuUsage(); // every thread's, workers' included
  console.log(formatSimReport(report, Date.now() - started, options.replay === undefined ? 5 : Infinity, (cpu.user + cpu.system) / 1000));
  return report.failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
