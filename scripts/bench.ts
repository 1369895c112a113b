/**
 * YCSB-style benchmark for DynamoDB-compatible endpoints: Triad's local
 * cluster, dynalite, or any running endpoint.  `npm run bench -- --help`
 *
 * Every target is started and loaded (table usertable, ycsb_key S,
 * PAY_PER_REQUEST, N ~1 KB records), then each workload A/B/C (scrambled-zipfian
 * keys, a closed loop of --concurrency outstanding requests) runs on the targets
 * in alternating slices. The report (stdout) has a table per target and
 * workload, a side by side comparison and a one-line workload C summary.
 * Progress goes to stderr.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BenchOptions, TargetName, USAGE, UsageError, parseOptions } from './bench/args';
import { DynamoCallError, DynamoHttpClient } from './bench/http-client';
import { TargetReport, comparison, machineFacts, rate, ms, summaryLine, targetSection } from './bench/report';
import { PhaseResult } from './bench/stats';
import {
  RunningTarget,
  TargetOptions,
  killAllChildrenSync,
  startDynalite,
  startTriad,
  useEndpoint,
} from './bench/targets';
import {
  FIELD_COUNT,
  FIELD_LENGTH,
  PhaseContext,
  RandomText,
  RequestBuilder,
  RunControl,
  WORKLOADS,
  keyName,
  WorkloadRun,
  runLoad,
} from './bench/workloads';
import { describeSkew, makeKeyChooser } from './bench/zipfian';

const repoRoot = path.resolve(__dirname, '..');
const log = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};
const out = (text = ''): void => {
  process.stdout.write(text + '\n');
};
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// interruption: first SIGINT/SIGTERM stops gracefully, a second one kills

const interrupt = new AbortController();
const globalControl = new RunControl();
let signalCount = 0;

function onSignal(sig: NodeJS.Signals): void {
  signalCount++;
  if (signalCount === 1) {
    log(`${sig}: stopping the run and shutting down servers (again to force)`);
    interrupt.abort();
    globalControl.stop(`interrupted (${sig})`);
  } else {
    log(`${sig} again: killing servers and exiting`);
    killAllChildrenSync();
    process.exit(130);
  }
}

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('SIGHUP', onSignal);
process.on('exit', () => killAllChildrenSync());
process.on('uncaughtException', (err) => {
  log(`uncaught exception: ${err.stack ?? err}`);
  killAllChildrenSync();
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  log(`unhandled rejection: ${(err as Error)?.stack ?? err}`);
  killAllChildrenSync();
  process.exit(1);
});

// ---------------------------------------------------------------------------

async function ensureTable(client: DynamoHttpClient, requests: RequestBuilder, label: string, control: RunControl): Promise<void> {
  try {
    await client.json('CreateTable', requests.createTable());
    log(`${label} created table ${requests.table}`);
  } catch (err) {
    if (err instanceof DynamoCallError && err.type === 'ResourceInUseException') {
      log(`${label} table ${requests.table} already exists; reusing it (records are overwritten by the load)`);
    } else {
      throw err;
    }
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (control.stopped) throw new Error(control.reason ?? 'stopped');
    const d = await client.json<{ Table?: { TableStatus?: string } }>('DescribeTable', requests.describeTable());
    const status = d.Table?.TableStatus;
    if (status === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${requests.table} not ACTIVE after 60 s (status ${status})`);
    await sleep(100);
  }
}

async function startTarget(name: TargetName, opts: BenchOptions, base: TargetOptions): Promise<RunningTarget> {
  switch (name) {
    case 'triad':
      return startTriad({ ...base, script: opts.triadScript });
    case 'triad-auth':
      return startTriad({ ...base, script: opts.triadScript, variant: 'auth' });
    case 'triad-secure':
      return startTriad({ ...base, script: opts.triadScript, variant: 'secure' });
    case 'triad-plain':
      return startTriad({ ...base, script: opts.triadScript, variant: 'plain' });
    case 'triad-tree':
      return startTriad({ ...base, repoRoot: path.resolve(opts.tree!), script: 'scripts/start-local-cluster.ts', variant: 'tree', extraArgs: opts.treeArgs });
    case 'dynalite':
      return startDynalite({ ...base, dataPath: opts.dynalitePath });
    case 'url':
      return useEndpoint(opts.endpoint!, base);
  }
}

function oneLine(label: string, p: PhaseResult): string {
  const t = p.total;
  return (
    `${label} ${p.phase === 'load' ? 'load' : `workload ${p.phase}`} done: ${t.count} ops in ${p.elapsedSec.toFixed(1)} s, ` +
    `${rate(t.throughput)} ops/s, p50 ${ms(t.latency.p50)} ms, p99 ${ms(t.latency.p99)} ms, ${t.errorCount} errors`
  );
}

/** A target taking part in the run: its server, client and report. */
interface Contestant {
  report: TargetReport;
  target?: RunningTarget;
  client?: DynamoHttpClient;
  ctx?: PhaseContext;
  label: string;
}

/** Starts a target, creates and loads its table. A failure is recorded in its report. */
async function openContestant(name: TargetName, opts: BenchOptions): Promise<Contestant> {
  const report: TargetReport = { name: name === 'url' ? opts.endpoint! : name, details: [], phases: [] };
  const contestant: Contestant = { report, label: `[${report.name}]` };
  const base: TargetOptions = {
    repoRoot,
    verbose: opts.verbose,
    startTimeoutSec: opts.startTimeoutSec,
    stopGraceSec: opts.stopGraceSec,
    keepData: opts.keepData,
    log,
    signal: interrupt.signal,
  };
  try {
    const target = await startTarget(name, opts, base);
    contestant.target = target;
    report.name = target.name;
    report.endpoint = target.endpoint;
    report.details = target.details;
    contestant.label = `[${report.name}]`;

    const control = new RunControl();
    globalControl.onStop((why) => control.stop(why));
    target.onUnexpectedExit((why) => {
      log(why);
      control.stop(why);
    });
    const client = new DynamoHttpClient(target.endpoint, opts.concurrency, opts.requestTimeoutSec * 1000, target.credentials);
    contestant.client = client;
    control.onStop(() => client.close()); // abort in-flight requests right away

    const requests = new RequestBuilder(opts.table, opts.consistentRead);
    const ctx: PhaseContext = {
      client,
      requests,
      text: new RandomText(),
      concurrency: opts.concurrency,
      control,
      serverCpuSeconds: target.cpuSeconds,
      log,
    };
    contestant.ctx = ctx;

    if (!opts.skipLoad) {
      await ensureTable(client, requests, contestant.label, control);
      log(`${contestant.label} loading ${opts.records} records with ${opts.concurrency} outstanding PutItem`);
      const load = await runLoad(ctx, opts.records, contestant.label);
      report.phases.push(load);
      if (load.aborted) throw new Error(load.aborted);
      log(oneLine(contestant.label, load));
    }
  } catch (err) {
    fail(contestant, err);
  }
  return contestant;
}

function fail(contestant: Contestant, err: unknown): void {
  contestant.report.error = err instanceof Error ? err.message : String(err);
  contestant.ctx = undefined;
  log(`${contestant.label} ${contestant.report.error}`);
}

/**
 * Runs each workload on every target in turn, split into --slices slices that alternate between
 * the targets (ABBA order), so that a slower or faster spell of the shared machine falls on all
 * targets alike instead of on whichever happened to run then.
 */
async function runWorkloads(contestants: Contestant[], opts: BenchOptions): Promise<void> {
  const sliceSec = opts.durationSec / opts.slices;
  for (const w of opts.workloads) {
    const spec = WORKLOADS[w];
    const runs = new Map<Contestant, WorkloadRun>();
    for (const c of contestants) {
      if (!c.ctx) continue;
      log(`${c.label} workload ${w}: ${spec.title}, ${opts.durationSec} s in ${opts.slices} slice(s)`);
      runs.set(c, new WorkloadRun(c.ctx, spec, makeKeyChooser(opts.distribution, opts.records), c.label));
    }
    for (const [c, run] of runs) await run.warmUp(opts.warmupSec).catch((err: unknown) => fail(c, err));
    for (let slice = 0; slice < opts.slices; slice++) {
      const order = slice % 2 === 0 ? [...runs] : [...runs].reverse();
      for (const [c, run] of order) {
        if (!c.ctx || globalControl.stopped) continue;
        try {
          await run.runSlice(sliceSec);
        } catch (err) {
          fail(c, err);
        }
      }
    }
    for (const [c, run] of runs) {
      const res = run.result();
      c.report.phases.push(res);
      if (res.aborted && !c.report.error) fail(c, new Error(res.aborted));
      else log(oneLine(c.label, res));
    }
    if (globalControl.stopped) return;
  }
}

async function closeContestant(c: Contestant): Promise<void> {
  c.client?.close();
  if (!c.target) return;
  try {
    await c.target.stop();
  } catch (err) {
    log(`${c.label} stop failed: ${(err as Error).message}`);
  }
}

function header(opts: BenchOptions): string {
  const chooser = makeKeyChooser(opts.distribution, opts.records);
  const lines = [
    `Triad YCSB-style benchmark, ${new Date().toISOString()}`,
    '',
    machineFacts(),
    '',
    'Parameters',
    `  targets:      ${opts.targets.map((t) => (t === 'url' ? `url ${opts.endpoint}` : t)).join(', ')} (all up at once; each workload alternates between them in ${opts.slices} slices)`,
    `  table:        ${opts.table} (ycsb_key S, PAY_PER_REQUEST)${opts.skipLoad ? ', load skipped' : ''}`,
    `  records:      ${opts.records} x ~${FIELD_COUNT * FIELD_LENGTH} B (${FIELD_COUNT} fields x ${FIELD_LENGTH} B), keys ${keyName(0)}..${keyName(opts.records - 1)}`,
    `  workloads:    ${opts.workloads.join(', ')}; ${opts.durationSec} s each per target${opts.warmupSec ? ` after ${opts.warmupSec} s unrecorded warm-up` : ''}`,
    `  concurrency:  ${opts.concurrency} outstanding requests (closed loop, keep-alive maxSockets ${opts.concurrency})`,
    `  key choice:   ${chooser.description}`,
    `                sampled skew: ${describeSkew(chooser, opts.records)}`,
    `  GetItem:      ConsistentRead ${opts.consistentRead}; UpdateItem: SET #f = :v on one random field`,
    `  dynalite:     ${opts.targets.includes('dynalite') ? (opts.dynalitePath ? `on disk at ${opts.dynalitePath}` : 'in memory') : 'not run'}`,
    `  timeouts:     request ${opts.requestTimeoutSec} s, server start ${opts.startTimeoutSec} s, server stop grace ${opts.stopGraceSec} s`,
  ];
  return lines.join('\n');
}

async function main(): Promise<number> {
  let parsed: BenchOptions | 'help';
  try {
    parsed = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`bench: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed === 'help') {
    out(USAGE);
    return 0;
  }
  const opts = parsed;
  const startedAt = new Date().toISOString();
  out(header(opts));
  out();

  const contestants: Contestant[] = [];
  try {
    for (const t of opts.targets) {
      if (globalControl.stopped) break;
      log(`=== target ${t} ===`);
      contestants.push(await openContestant(t, opts));
    }
    if (!globalControl.stopped) await runWorkloads(contestants, opts);
  } finally {
    for (const c of contestants) await closeContestant(c);
  }
  const reports = contestants.map((c) => c.report);

  out('Results');
  out();
  for (const r of reports) {
    out(targetSection(r));
    out();
  }
  const cmp = comparison(reports);
  if (cmp) {
    out(cmp);
    out();
  }
  const summaryPhase = opts.workloads.includes('C') ? 'C' : opts.workloads[opts.workloads.length - 1];
  out(summaryLine(reports, summaryPhase));
  if (globalControl.stopped) out(`(run ${globalControl.reason}; results are partial)`);

  if (opts.json) {
    const doc = {
      startedAt,
      finishedAt: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        totalMemBytes: os.totalmem(),
        os: `${os.type()} ${os.release()} ${os.arch()}`,
        node: process.version,
      },
      options: opts,
      targets: reports,
    };
    fs.mkdirSync(path.dirname(path.resolve(opts.json)), { recursive: true });
    fs.writeFileSync(opts.json, JSON.stringify(doc, null, 2) + '\n');
    log(`wrote ${opts.json}`);
  }

  if (globalControl.stopped) return 130;
  return reports.some((r) => r.error) ? 1 : 0;
}

main().then(
  (code) => {
    killAllChildrenSync();
    process.exitCode = code;
    // Nothing should be left running, but never hang on a stray handle.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err) => {
    log(`fatal: ${(err as Error)?.stack ?? err}`);
    killAllChildrenSync();
    process.exit(1);
  },
);
