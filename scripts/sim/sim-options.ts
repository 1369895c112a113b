import { parseArgs } from 'node:util';
import os from 'node:os';

/** Settings of `npm run sim`, from its flags (and SEED). */
export interface SimOptions {
  /** The first seed, and how many from it; or one seed replayed with its trace. */
  first: number;
  seeds: number;
  replay?: number;
  /** Attempts per simulated client. */
  steps: number;
  workers: number;
  /** Plant the follower-acknowledges-before-sync bug (to see the checks catch it). */
  plantBug: boolean;
  /** Lines of the trace a replay prints (the newest, up to the end of the run). */
  traceLines: number;
}

export const USAGE = `usage: npm run sim -- --seeds N [--first S] [--steps M] [--workers W] [--plant-bug]
       SEED=n npm run sim [-- --steps M] [--trace-lines L]     (or --seed n: replay one seed)

Runs N seeds of the deterministic simulation (packages/sim): three storage nodes and two routers
in one process on simulated time, a register workload of concurrent clients, and a seeded fault
schedule (crashes, power losses, graceful stops, wiped disks, partitions, one-way cuts, lossy
links, clock steps and drift); then checks linearizability, no acknowledged write lost, counters,
replica convergence, hints drained and one leader per term. Seeds run in parallel worker threads.
Prints a report; exits 1 if any seed failed, 2 on bad usage. A replay prints the trace of the
run (network messages, faults, client calls and answers) and its failures.`;

function nonNegativeInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${flag} must be a non-negative integer, got ${text}`);
  return value;
}

export function parseSimOptions(argv: string[], env: NodeJS.ProcessEnv): SimOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      seeds: { type: 'string', default: '10' },
      first: { type: 'string', default: '1' },
      seed: { type: 'string' },
      steps: { type: 'string', default: '60' },
      workers: { type: 'string' },
      'plant-bug': { type: 'boolean', default: false },
      'trace-lines': { type: 'string', default: '400' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const replayText = values.seed ?? env.SEED;
  return {
    first: nonNegativeInteger(values.first, '--first'),
    seeds: Math.max(1, nonNegativeInteger(values.seeds, '--seeds')),
    replay: replayText === undefined ? undefined : nonNegativeInteger(replayText, 'SEED'),
    steps: Math.max(1, nonNegativeInteger(values.steps, '--steps')),
    workers: Math.max(1, values.workers === undefined ? Math.max(1, os.availableParallelism() - 1) : nonNegativeInteger(values.workers, '--workers')),
    plantBug: values['plant-bug'],
    traceLines: nonNegativeInteger(values['trace-lines'], '--trace-lines'),
  };
}
