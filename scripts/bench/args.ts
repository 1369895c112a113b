/** Command-line flags of scripts/bench.ts. */
import { parseArgs } from 'node:util';
import { WORKLOADS } from './workloads';
import { Distribution } from './zipfian';

export type TargetName = 'triad' | 'triad-auth' | 'triad-secure' | 'triad-plain' | 'triad-tree' | 'dynalite' | 'url';
const TARGET_NAMES: readonly TargetName[] = ['triad', 'triad-auth', 'triad-secure', 'triad-plain', 'triad-tree', 'dynalite', 'url'];

export interface BenchOptions {
  targets: TargetName[];
  endpoint?: string;
  records: number;
  workloads: string[];
  durationSec: number;
  warmupSec: number;
  slices: number;
  concurrency: number;
  consistentRead: boolean;
  distribution: Distribution;
  table: string;
  skipLoad: boolean;
  dynalitePath?: string;
  triadScript: string;
  /** Another checkout of Triad, for the triad-tree target, and extra flags for its launcher. */
  tree?: string;
  treeArgs: string[];
  requestTimeoutSec: number;
  startTimeoutSec: number;
  stopGraceSec: number;
  keepData: boolean;
  verbose: boolean;
  json?: string;
}

export const USAGE = `Usage: npm run bench -- [flags]      (or: npx tsx scripts/bench.ts [flags])

YCSB-style load generator for DynamoDB-compatible endpoints (JSON 1.0 over HTTP).
Loads N ~1 KB records into table "usertable", then runs workloads with
scrambled-zipfian key choice and a closed loop of --concurrency outstanding requests.

Targets
  --target T            triad | triad-auth | triad-secure | triad-plain | triad-tree | dynalite | both | url, or a
                        comma list (default: both = triad,dynalite; "url" when only
                        --endpoint is given). triad: the local cluster as npm start runs it
                        (open auth, HTTP, gRPC over mutual TLS, encryption at rest);
                        triad-auth: the same with --auth enforce (every request signed and
                        verified); triad-secure: enforce and HTTPS; triad-plain: with --grpc-insecure
                        and --encryption-at-rest off (what versions before mTLS and encryption ran);
                        triad-tree: the local cluster of the checkout --tree names, as its own
                        scripts/start-local-cluster.ts starts it (to compare two versions side by
                        side). All targets are started first; each workload then alternates
                        between them (--slices).
  --tree DIR            another checkout of Triad with its npm ci done (for --target triad-tree)
  --tree-args="FLAGS"   extra flags for that checkout's launcher (e.g. "--grpc-insecure --encryption-at-rest off"
                        to compare a newer commit with triad-plain)
  --endpoint URL        benchmark an already-running endpoint (implies --target url)
  --dynalite-path DIR   run dynalite on disk (its --path, LevelDB) instead of in memory
  --triad-script PATH   cluster launcher run as \`npx tsx PATH --data-dir D --port P\`
                        (default: scripts/start-local-cluster.ts)

Workload
  --records N           records to load (default 10000)
  --workloads LIST      comma list of A,B,C,W (default A,B,C)
                          A: 50% GetItem / 50% UpdateItem   B: 95% / 5%   C: 100% GetItem
                          W: 100% UpdateItem (not YCSB: writes alone, interleaved)
  --duration S          seconds per workload (default 20)
  --warmup S            unrecorded warm-up seconds before each workload (default 5)
  --slices N            split each workload into N slices that alternate between the
                        targets, so that the machine's changes of pace hit all alike (default 4)
  --concurrency N       outstanding requests = keep-alive sockets (default 64)
  --consistent-read     GetItem with ConsistentRead true (default false)
  --distribution D      zipfian (YCSB scrambled, theta 0.99) | uniform (default zipfian)
  --table NAME          table name (default usertable)
  --skip-load           do not create/load the table (it must already hold the records)

Misc
  --request-timeout S   per-request client timeout (default 10)
  --start-timeout S     max wait for a spawned server to become ready (default 180)
  --stop-grace S        wait after SIGINT before SIGKILL when stopping a server (default 30)
  --keep-data           keep triad's temporary data dir
  --json FILE           also write all results as JSON
  --verbose             stream spawned servers' output to stderr
  -h, --help            this help

Progress goes to stderr, the report to stdout.`;

export class UsageError extends Error {}

function positiveInt(name: string, v: string | undefined, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${v}"`);
  return n;
}

function positiveNumber(name: string, v: string | undefined, dflt: number, allowZero = false): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    throw new UsageError(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got "${v}"`);
  }
  return n;
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        target: { type: 'string' },
        endpoint: { type: 'string' },
        records: { type: 'string' },
        workloads: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        slices: { type: 'string' },
        concurrency: { type: 'string' },
        'consistent-read': { type: 'boolean' },
        distribution: { type: 'string' },
        table: { type: 'string' },
        'skip-load': { type: 'boolean' },
        'dynalite-path': { type: 'string' },
        'triad-script': { type: 'string' },
        tree: { type: 'string' },
        'tree-args': { type: 'string' },
        'request-timeout': { type: 'string' },
        'start-timeout': { type: 'string' },
        'stop-grace': { type: 'string' },
        'keep-data': { type: 'boolean' },
        json: { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const str = (k: string) => values[k] as string | undefined;

  const endpoint = str('endpoint');
  const targetArg = str('target') ?? (endpoint ? 'url' : 'both');
  const targets: TargetName[] = [];
  for (const raw of targetArg.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    const expanded = raw === 'both' ? ['triad', 'dynalite'] : [raw];
    for (const t of expanded) {
      if (!TARGET_NAMES.includes(t as TargetName)) {
        throw new UsageError(`--target must be ${TARGET_NAMES.join(', ')} or both, got "${raw}"`);
      }
      if (!targets.includes(t as TargetName)) targets.push(t as TargetName);
    }
  }
  if (!targets.length) throw new UsageError('--target is empty');
  if (targets.includes('url') && !endpoint) throw new UsageError('--target url needs --endpoint URL');
  if (endpoint && !targets.includes('url')) {
    throw new UsageError('--endpoint is only used with --target url (omit --target, or add url to the list)');
  }
  const tree = str('tree');
  if (targets.includes('triad-tree') !== (tree !== undefined)) {
    throw new UsageError('--target triad-tree and --tree DIR go together');
  }
  if (endpoint) {
    try {
      const u = new URL(endpoint);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
    } catch {
      throw new UsageError(`--endpoint must be an http(s) URL, got "${endpoint}"`);
    }
  }

  const workloads = (str('workloads') ?? 'A,B,C')
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  if (!workloads.length) throw new UsageError('--workloads is empty');
  for (const w of workloads) {
    if (!WORKLOADS[w]) throw new UsageError(`unknown workload "${w}" (known: ${Object.keys(WORKLOADS).join(', ')})`);
  }

  const distribution = (str('distribution') ?? 'zipfian').toLowerCase();
  if (distribution !== 'zipfian' && distribution !== 'uniform') {
    throw new UsageError(`--distribution must be zipfian or uniform, got "${distribution}"`);
  }

  const records = positiveInt('records', str('records'), 10_000);
  if (records >= 2 ** 26) throw new UsageError('--records must be below 67108864');
  const table = str('table') ?? 'usertable';
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(table)) throw new UsageError(`invalid table name "${table}"`);

  return {
    targets,
    endpoint,
    records,
    workloads,
    durationSec: positiveNumber('duration', str('duration'), 20),
    warmupSec: positiveNumber('warmup', str('warmup'), 5, true),
    slices: positiveInt('slices', str('slices'), 4),
    concurrency: positiveInt('concurrency', str('concurrency'), 64),
    consistentRead: !!values['consistent-read'],
    distribution,
    table,
    skipLoad: !!values['skip-load'],
    dynalitePath: str('dynalite-path'),
    triadScript: str('triad-script') ?? 'scripts/start-local-cluster.ts',
    tree,
    treeArgs: (str('tree-args') ?? '').split(/\s+/).filter(Boolean),
    requestTimeoutSec: positiveNumber('request-timeout', str('request-timeout'), 10),
    startTimeoutSec: positiveNumber('start-timeout', str('start-timeout'), 180),
    stopGraceSec: positiveNumber('stop-grace', str('stop-grace'), 30),
    keepData: !!values['keep-data'],
    verbose: !!values.verbose,
    json: str('json'),
  };
}
