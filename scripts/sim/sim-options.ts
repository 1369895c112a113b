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
  /**
   * Bugs to plant (to see the checks catch them), as `PlantedBugs` names (\`--plant-bug
   * stale-term-appends\` or \`staleTermAppends\`); a bare \`--plant-bug\` is followerAckBeforeSync.
   */
  plantedBugs: Record<string, boolean>;
  /** Short seeds (as `npm test` runs them): one fault, early and briefly held. */
  short: boolean;
  /** Lines of the trace a replay prints (the newest, up to the end of the run). */
  traceLines: number;
}

export const USAGE = `usage: npm run sim -- --seeds N [--first S] [--steps M] [--workers W] [--short] [--plant-bug NAME]...
       SEED=n npm run sim [-- --steps M] [--trace-lines L]     (or --seed n: replay one seed)

Runs N seeds of the deterministic simulation (packages/sim): three storage nodes and two routers
in one process on simulated time, a register workload of concurrent clients, and a seeded fault
schedule (crashes, power losses, graceful stops, wiped disks, partitions, one-way cuts, lossy
links, clock steps and drift); then checks linearizability, no acknowledged write lost, counters,
replica convergence, hints drained and one leader per term. Seeds run in parallel worker threads.
Prints a report; exits 1 if any seed failed, 2 on bad usage. A replay prints the trace of the
run (network messages, faults, client calls and answers) and its failures.

--short runs short seeds, as npm test does (one fault, early, held half as long; use a small
--steps, e.g. 6). --plant-bug NAME plants a bug of StorageNodeConfig.plantedBugs in every node (kebab or camel case:
follower-ack-before-sync, strong-reads-see-uncommitted, stale-term-appends, wiped-node-votes, ...).
A replay needs the same --steps and --plant-bug as the run that found the seed.`;

/** \`stale-term-appends\` → \`staleTermAppends\`. */
function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The --plant-bug values (a bare flag, parsed as \`true\` by the argv pre-pass, is the first planted bug). */
function plantedBugsOf(names: readonly string[]): Record<string, boolean> {
  return Object.fromEntries(names.map((n) => [n === '' ? 'followerAckBeforeSync' : camelCase(n), true]));
}

function nonNegativeInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${flag} must be a non-negative integer, got ${text}`);
  return value;
}

export function parseSimOptions(argv: string[], env: NodeJS.ProcessEnv): SimOptions | 'help' {
  // A bare --plant-bug (the flag before another flag, or last) is the first planted bug.
  const args = argv.flatMap((a, i) => (a === '--plant-bug' && (i === argv.length - 1 || argv[i + 1]!.startsWith('--')) ? ['--plant-bug='] : [a]));
  const { values } = parseArgs({
    args,
    options: {
      seeds: { type: 'string', default: '10' },
      first: { type: 'string', default: '1' },
      seed: { type: 'string' },
      steps: { type: 'string', default: '60' },
      workers: { type: 'string' },
      'plant-bug': { type: 'string', multiple: true, default: [] },
      'trace-lines': { type: 'string', default: '400' },
      short: { type: 'boolean', default: false },
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
    plantedBugs: plantedBugsOf(values['plant-bug']),
    short: values.short,
    traceLines: nonNegativeInteger(values['trace-lines'], '--trace-lines'),
  };
}
