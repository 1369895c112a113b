/**
 * Runs many seeds of the log simulator (log-workload.ts) on several processes, and sums up.
 *
 *   npx tsx packages/replication/test/sim/run-log-seeds.ts --count 100000            seeds 1..100000 on every core
 *   npx tsx packages/replication/test/sim/run-log-seeds.ts --from 5000 --count 200 --workers 1
 *   npx tsx packages/replication/test/sim/run-log-seeds.ts --count 200 --bug leader-counts-unsynced [--no-persist-checks]
 *
 * Prints the wall and CPU time, the simulated time and what happened, and for each failing seed
 * the first line of its failure (replay one with `SEED=n npx jest packages/replication/test/log-simulation`).
 * With `--bug`, failures are the point: it counts the seeds that found the planted bug, by the
 * invariant that caught it. Exits non-zero if any seed failed without a planted bug.
 */
import { execFileSync, fork } from 'node:child_process';
import { cpus } from 'node:os';
import { runLogSeed, type LogSeedResult } from './log-workload';
import { PLANTED_BUGS, type PlantedBug } from './planted-bugs';

/** Seeds handed to a worker at once: small enough to balance the load, big enough that messages cost nothing. */
const CHUNK_SEEDS = 50;
/** Full failure texts kept (the rest are counted by their first line). */
const FAILURE_TEXTS_MAX = 3;

interface Options {
  from: number;
  count: number;
  workers: number;
  bugs: PlantedBug[];
  persistChecks: boolean;
}

interface ChunkResult {
  seeds: number;
  sums: Record<string, number>;
  maxServedMs: number;
  maxConvergedMs: number;
  failures: { seed: number; first: string; text: string }[];
  cpuMs: number;
}

function parse(argv: string[]): Options {
  const options: Options = { from: 1, count: 1000, workers: Math.max(1, cpus().length), bugs: [], persistChecks: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i];
    if (arg === '--from') options.from = Number(value());
    else if (arg === '--count') options.count = Number(value());
    else if (arg === '--workers') options.workers = Number(value());
    else if (arg === '--bug') {
      const bug = value() as PlantedBug;
      if (!PLANTED_BUGS.includes(bug)) throw new Error(`unknown bug ${bug}; one of ${PLANTED_BUGS.join(', ')}`);
      options.bugs.push(bug);
    } else if (arg === '--no-persist-checks') options.persistChecks = false;
    else if (arg !== '--worker') throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

function runChunk(from: number, count: number, options: Options): ChunkResult {
  const started = process.cpuUsage();
  const result: ChunkResult = { seeds: 0, sums: {}, maxServedMs: 0, maxConvergedMs: 0, failures: [], cpuMs: 0 };
  for (let seed = from; seed < from + count; seed++) {
    result.seeds++;
    try {
      const r: LogSeedResult = runLogSeed(seed, { wireCheck: seed % 10 === 0, bugs: options.bugs, persistChecks: options.persistChecks });
      for (const [key, value] of Object.entries(r)) if (key !== 'seed') result.sums[key] = (result.sums[key] ?? 0) + value;
      result.maxServedMs = Math.max(result.maxServedMs, r.servedAfterMs);
      result.maxConvergedMs = Math.max(result.maxConvergedMs, r.convergedAfterMs);
    } catch (error) {
      const text = (error as Error).stack ?? String(error);
      const first = text.split('\n')[0].replace(/^(Error: )?seed \d+ failed \(replay with SEED=\d+\): /, '');
      result.failures.push({ seed, first, text });
    }
  }
  const used = process.cpuUsage(started);
  result.cpuMs = (used.user + used.system) / 1000;
  return result;
}

/** Worker: runs the chunks the parent sends until it sends `null`. */
function worker(options: Options): void {
  process.on('message', (chunk: { from: number; count: number } | 'stop') => {
    if (chunk === 'stop') process.exit(0);
    process.send!(runChunk(chunk.from, chunk.count, options));
  });
  process.send!('ready');
}

/** The commit the run is of (with `+changes` if the work tree differs from it), for the record. */
function codeVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--untracked-files=no').length > 0;
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? '+changes' : ''}`;
  } catch {
    return 'unknown commit';
  }
}

/** The kind of invariant a failure broke: its first line without numbers and names. */
function kindOf(first: string): string {
  return first
    .replace(/\b(n|p|t|@)\d+\b/g, '$1#')
    .replace(/\d+(\.\d+)?/g, '#')
    .slice(0, 140);
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  const startedMs = Date.now();
  console.log(`run-log-seeds ${process.argv.slice(2).join(' ')} at ${codeVersion()}, started ${new Date(startedMs).toISOString()}`);
  const total: ChunkResult = { seeds: 0, sums: {}, maxServedMs: 0, maxConvergedMs: 0, failures: [], cpuMs: 0 };
  let next = options.from;
  const end = options.from + options.count;
  let lastReportMs = startedMs;
  const merge = (r: ChunkResult) => {
    total.seeds += r.seeds;
    for (const [key, value] of Object.entries(r.sums)) total.sums[key] = (total.sums[key] ?? 0) + value;
    total.maxServedMs = Math.max(total.maxServedMs, r.maxServedMs);
    total.maxConvergedMs = Math.max(total.maxConvergedMs, r.maxConvergedMs);
    total.failures.push(...r.failures);
    for (const f of r.failures) if (options.bugs.length === 0) console.log(`seed ${f.seed} failed: ${f.first}`);
    total.cpuMs += r.cpuMs;
    if (Date.now() - lastReportMs > 30_000) {
      lastReportMs = Date.now();
      console.log(`… ${total.seeds}/${options.count} seeds, ${total.failures.length} failed, ${((Date.now() - startedMs) / 1000).toFixed(0)} s`);
    }
  };
  const args = process.argv.slice(2).concat('--worker');
  await Promise.all(
    Array.from({ length: Math.min(options.workers, Math.ceil(options.count / CHUNK_SEEDS)) }, () => {
      return new Promise<void>((resolve, reject) => {
        const child = fork(process.argv[1], args, { execArgv: process.execArgv });
        const dispatch = () => {
          if (next >= end) {
            child.send('stop');
            return;
          }
          const count = Math.min(CHUNK_SEEDS, end - next);
          child.send({ from: next, count });
          next += count;
        };
        child.on('message', (message: ChunkResult | 'ready') => {
          if (message !== 'ready') merge(message);
          dispatch();
        });
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
      });
    }),
  );

  const wallS = (Date.now() - startedMs) / 1000;
  const s = total.sums;
  const n = (key: string) => (s[key] ?? 0).toLocaleString('en-US');
  const bugs = options.bugs.length > 0 ? ` with planted bug(s) ${options.bugs.join(', ')}${options.persistChecks ? '' : ' (no persist checks)'}` : '';
  console.log(`seeds ${options.from}..${end - 1}${bugs}: ${total.seeds} run, ${total.failures.length} failed`);
  console.log(`wall ${wallS.toFixed(0)} s on ${options.workers} worker(s), CPU ${(total.cpuMs / 1000).toFixed(0)} s, simulated ${((s.simulatedMs ?? 0) / 3_600_000).toFixed(1)} h`);
  console.log(
    `${n('steps')} steps, ${n('messagesSent')} messages, ${n('elections')} elections, ${n('transfers')} transfers, ${n('crashes')} crashes, ${n('wipes')} wipes, ` +
      `${n('snapshots')} snapshots, ${n('truncations')} truncations, ${n('promotions')} promotions`,
  );
  console.log(
    `replica-set changes: ${n('configChanges')} configuration entries proposed; moves: ${n('movesStarted')} started, ${n('movesDone')} done, ${n('movesGivenUp')} given up; ` +
      `${n('removals')} removals learned from the log, ${n('cleanups')} strays (joins given up) cleaned up by the driver`,
  );
  console.log(`writes: ${n('proposed')} proposed, ${n('acknowledged')} acknowledged, ${n('failed')} failed, ${n('unknown')} unknown; ${n('reads')} strong reads`);
  if (total.seeds > total.failures.length) console.log(`served at most ${total.maxServedMs.toFixed(0)} ms after healing, converged at most ${total.maxConvergedMs.toFixed(0)} ms after that`);
  if (total.failures.length > 0) {
    total.failures.sort((a, b) => a.seed - b.seed);
    const kinds = new Map<string, number[]>();
    for (const f of total.failures) {
      const kind = kindOf(f.first);
      if (!kinds.has(kind)) kinds.set(kind, []);
      kinds.get(kind)!.push(f.seed);
    }
    console.log(`failing seeds: ${total.failures.map((f) => f.seed).join(', ')}`);
    console.log('failures by kind:');
    for (const [kind, seeds] of [...kinds].sort((a, b) => b[1].length - a[1].length)) console.log(`  ${seeds.length} × ${kind}  (seeds ${seeds.slice(0, 8).join(', ')}${seeds.length > 8 ? ', …' : ''})`);
    if (options.bugs.length === 0) {
      for (const f of total.failures.slice(0, FAILURE_TEXTS_MAX)) console.log(`\n${f.text}`);
      process.exitCode = 1;
    }
  }
}

if (process.argv.includes('--worker')) worker(parse(process.argv.slice(2)));
else void main();
