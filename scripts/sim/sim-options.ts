import type { PlantedBugs } from '@triad/storage-node';
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
  /** Bugs to plant (PlantedBugs keys, to see the checks catch them); each brings the scenario it needs. */
  plantBugs: PlantedBugName[];
  /** Scenarios beside the register workload: joins and decommissions, a global index added. */
  moves: boolean;
  indexes: boolean;
  /** Short seeds (as `npm test` runs them): one fault, early and briefly held. */
  short: boolean;
  /** Lines of the trace a replay prints (the newest, up to the end of the run). */
  traceLines: number;
  /** Workers run the TypeScript through tsx rather than a bundle of it (slower; see sim-bundle.ts). */
  tsx: boolean;
}

/** The bugs `--plant-bug` knows, by flag name, with the PlantedBugs switch each sets and the scenario it needs. */
export const PLANTED_BUGS = {
  'follower-ack-before-sync': { key: 'followerAckBeforeSync', needs: {} },
  'strong-reads-see-uncommitted': { key: 'strongReadsSeeUncommitted', needs: {} },
  'stale-term-appends': { key: 'staleTermAppends', needs: {} },
  'wiped-node-votes': { key: 'wipedNodeVotes', needs: {} },
  'move-switch-without-log': { key: 'moveSwitchWithoutLog', needs: { moves: true } },
  'move-swaps-voters-at-once': { key: 'moveSwapsVotersAtOnce', needs: { moves: true } },
  'stale-index-list-admitted': { key: 'staleIndexListAdmitted', needs: { indexes: true } },
} as const satisfies Record<string, { key: keyof PlantedBugs; needs: { moves?: boolean; indexes?: boolean } }>;
export type PlantedBugName = keyof typeof PLANTED_BUGS;

/** The PlantedBugs switches for the named bugs (undefined for none). */
export function plantedBugsOf(names: readonly PlantedBugName[]): PlantedBugs | undefined {
  if (names.length === 0) return undefined;
  return Object.fromEntries(names.map((n) => [PLANTED_BUGS[n].key, true])) as PlantedBugs;
}

export const USAGE = `usage: npm run sim -- --seeds N [--first S] [--steps M] [--workers W] [--short] [--moves] [--indexes] [--plant-bug NAME]...
       SEED=n npm run sim [-- --steps M] [--trace-lines L]     (or --seed n: replay one seed)

Runs N seeds of the deterministic simulation (packages/sim): three storage nodes and two routers
in one process on simulated time, a register workload of concurrent clients, and a seeded fault
schedule (crashes, power losses, graceful stops, wiped disks, partitions, one-way cuts, lossy
links, clock steps and drift); then checks linearizability, no acknowledged write lost, counters,
replica convergence, hints drained and one leader per term. Seeds run in parallel worker threads.
Prints a report; exits 1 if any seed failed, 2 on bad usage. A replay prints the trace of the
run (network messages, faults, client calls and answers) and its failures.
--moves: storage nodes join and one is decommissioned during the run (the CLI's change runner),
with splits {leader, incoming} | {staying, leaving} around moves; checks every record on exactly its
replicas. --indexes: a global index added by UpdateTable while a router is cut off from the catalog;
checks every index equals its table. --plant-bug NAME (repeatable): ${Object.keys(PLANTED_BUGS).join(', ')}
(each turns on the scenario it needs). --short runs short seeds, as npm test does (one fault, early,
held half as long; use a small --steps, e.g. 6). A replay needs the same flags as the run.
Workers run an esbuild bundle of the simulator (under dist/sim/, removed at the end); --tsx runs
the TypeScript through tsx instead (about a fifth slower).`;

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
      'plant-bug': { type: 'string', multiple: true, default: [] },
      moves: { type: 'boolean', default: false },
      indexes: { type: 'boolean', default: false },
      short: { type: 'boolean', default: false },
      'trace-lines': { type: 'string', default: '400' },
      tsx: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const replayText = values.seed ?? env.SEED;
  const plantBugs = values['plant-bug'].map((name) => {
    if (!(name in PLANTED_BUGS)) throw new Error(`--plant-bug must be one of ${Object.keys(PLANTED_BUGS).join(', ')}, got ${name}`);
    return name as PlantedBugName;
  });
  return {
    first: nonNegativeInteger(values.first, '--first'),
    seeds: Math.max(1, nonNegativeInteger(values.seeds, '--seeds')),
    replay: replayText === undefined ? undefined : nonNegativeInteger(replayText, 'SEED'),
    steps: Math.max(1, nonNegativeInteger(values.steps, '--steps')),
    workers: Math.max(1, values.workers === undefined ? Math.max(1, os.availableParallelism() - 1) : nonNegativeInteger(values.workers, '--workers')),
    plantBugs,
    moves: values.moves || plantBugs.some((n) => 'moves' in PLANTED_BUGS[n].needs),
    indexes: values.indexes || plantBugs.some((n) => 'indexes' in PLANTED_BUGS[n].needs),
    short: values.short,
    traceLines: nonNegativeInteger(values['trace-lines'], '--trace-lines'),
    tsx: values.tsx,
  };
}
