/**
 * YCSB-style data set, request bodies and closed-loop phase runners.
 *
 * Records: key "user" + 10-digit zero-padded number, ten string attributes
 * field0..field9 of 100 random printable characters each (~1 KB per item).
 * Request bodies are built by string concatenation; the random text alphabet
 * excludes '"' and '\' so no JSON escaping is ever needed.
 */
import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { DynamoHttpClient, CallResult } from './http-client';
import { KeyChooser } from './zipfian';
import { OpStats, PhaseResult, opResult } from './stats';

export const FIELD_COUNT = 10;
export const FIELD_LENGTH = 100;
export const FIELDS = Array.from({ length: FIELD_COUNT }, (_, i) => `field${i}`);
export const KEY_ATTRIBUTE = 'ycsb_key';

export function keyName(i: number): string {
  return 'user' + String(i).padStart(10, '0');
}

export interface WorkloadSpec {
  name: string;
  title: string;
  readProportion: number; // GetItem; the rest is UpdateItem
}

export const WORKLOADS: Record<string, WorkloadSpec> = {
  A: { name: 'A', title: 'update heavy: 50% GetItem / 50% UpdateItem', readProportion: 0.5 },
  B: { name: 'B', title: 'read mostly: 95% GetItem / 5% UpdateItem', readProportion: 0.95 },
  C: { name: 'C', title: 'read only: 100% GetItem', readProportion: 1 },
  // Not one of YCSB's: writes alone, interleaved like the others (the load is not), to compare write paths.
  W: { name: 'W', title: 'write only: 100% UpdateItem', readProportion: 0 },
};

/** Printable ASCII 0x20..0x7e except '"' and '\'. */
const ALPHABET = (() => {
  const codes: number[] = [];
  for (let c = 0x20; c <= 0x7e; c++) if (c !== 0x22 && c !== 0x5c) codes.push(c);
  return Uint8Array.from(codes);
})();

/** Random printable text, drawn from a pre-mapped pool refilled 64 KB at a time. */
export class RandomText {
  private readonly pool = Buffer.allocUnsafe(1 << 16);
  private offset = this.pool.length;

  private refill(): void {
    randomFillSync(this.pool);
    const n = ALPHABET.length;
    for (let i = 0; i < this.pool.length; i++) this.pool[i] = ALPHABET[this.pool[i] % n];
    this.offset = 0;
  }

  next(length: number): string {
    if (this.offset + length > this.pool.length) this.refill();
    const s = this.pool.toString('latin1', this.offset, this.offset + length);
    this.offset += length;
    return s;
  }
}

/** Hand-built DynamoDB JSON request bodies. */
export class RequestBuilder {
  private readonly keyPrefix: string;
  private readonly getSuffix: string;
  private readonly updatePrefix: string;
  private readonly putPrefix: string;

  constructor(readonly table: string, consistentRead: boolean) {
    const t = JSON.stringify(table);
    this.keyPrefix = `{"TableName":${t},"Key":{"${KEY_ATTRIBUTE}":{"S":"`;
    this.getSuffix = `"}},"ConsistentRead":${consistentRead}}`;
    this.updatePrefix = this.keyPrefix;
    this.putPrefix = `{"TableName":${t},"Item":{"${KEY_ATTRIBUTE}":{"S":"`;
  }

  getItem(key: string): string {
    return this.keyPrefix + key + this.getSuffix;
  }

  updateItem(key: string, field: string, value: string): string {
    return (
      this.updatePrefix +
      key +
      '"}},"UpdateExpression":"SET #f = :v","ExpressionAttributeNames":{"#f":"' +
      field +
      '"},"ExpressionAttributeValues":{":v":{"S":"' +
      value +
      '"}}}'
    );
  }

  putItem(key: string, text: RandomText): string {
    let s = this.putPrefix + key + '"}';
    for (let i = 0; i < FIELD_COUNT; i++) s += ',"' + FIELDS[i] + '":{"S":"' + text.next(FIELD_LENGTH) + '"}';
    return s + '}}';
  }

  createTable(): string {
    return JSON.stringify({
      TableName: this.table,
      AttributeDefinitions: [{ AttributeName: KEY_ATTRIBUTE, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: KEY_ATTRIBUTE, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
  }

  describeTable(): string {
    return JSON.stringify({ TableName: this.table });
  }
}

/** Shared stop flag: set on SIGINT or when the target process dies. */
export class RunControl {
  stopped = false;
  reason?: string;
  private readonly listeners: Array<(reason: string) => void> = [];

  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.reason = reason;
    for (const l of this.listeners.splice(0)) l(reason);
  }

  onStop(l: (reason: string) => void): void {
    if (this.stopped) l(this.reason ?? 'stopped');
    else this.listeners.push(l);
  }
}

export interface PhaseContext {
  client: DynamoHttpClient;
  requests: RequestBuilder;
  text: RandomText;
  concurrency: number;
  control: RunControl;
  /** Cumulative CPU seconds of the server process tree, if measurable. */
  serverCpuSeconds?: () => number | undefined;
  /** Progress lines (stderr). */
  log: (line: string) => void;
}

const ITEM_MARKER = Buffer.from('"Item"');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** After a transport-level failure (no HTTP status) pause briefly so a dead server is not spun on. */
async function noteFailure(stats: OpStats, r: CallResult, control: RunControl): Promise<void> {
  if (control.stopped) return; // failures caused by our own abort are not the server's
  stats.error(r.errorType ?? 'Unknown', r.message);
  if (r.status === 0) await sleep(10);
}

/** CPU and wall time spent in one or more measured intervals; sums over the slices of a phase. */
class Measured {
  elapsedSec = 0;
  clientCpuSec = 0;
  serverCpuSec: number | undefined = 0;
  /** Busy core-seconds of the whole machine. */
  machineCpuSec: number | undefined = 0;

  async measure(ctx: PhaseContext, body: () => Promise<void>): Promise<void> {
    const cpu0 = process.cpuUsage();
    const srv0 = ctx.serverCpuSeconds?.();
    const m0 = machineJiffies();
    const t0 = performance.now();
    await body();
    const elapsedSec = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const srv1 = ctx.serverCpuSeconds?.();
    const m1 = machineJiffies();
    this.elapsedSec += elapsedSec;
    this.clientCpuSec += (cpu.user + cpu.system) / 1e6;
    this.serverCpuSec = this.serverCpuSec !== undefined && srv0 !== undefined && srv1 !== undefined ? this.serverCpuSec + (srv1 - srv0) : undefined;
    this.machineCpuSec =
      this.machineCpuSec !== undefined && m0 && m1 && m1.total > m0.total
        ? this.machineCpuSec + ((m1.busy - m0.busy) / (m1.total - m0.total)) * cpus().length * elapsedSec
        : undefined;
  }

  /** Percent of one core over the measured time. */
  percents(): Pick<PhaseResult, 'clientCpuPct' | 'serverCpuPct' | 'machineCpuPct'> {
    const pct = (sec: number | undefined) => (sec === undefined || this.elapsedSec <= 0 ? undefined : (sec / this.elapsedSec) * 100);
    return { clientCpuPct: pct(this.clientCpuSec) ?? 0, serverCpuPct: pct(this.serverCpuSec), machineCpuPct: pct(this.machineCpuSec) };
  }
}

/** Busy and total jiffies of the whole machine from /proc/stat (Linux), or undefined. */
function machineJiffies(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0];
    const v = line.trim().split(/\s+/).slice(1, 9).map(Number); // user nice system idle iowait irq softirq steal
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - v[3] - v[4], total };
  } catch {
    return undefined;
  }
}

function progressTicker(ctx: PhaseContext, label: string, count: () => number, everyMs = 5000): () => void {
  const t0 = performance.now();
  let last = 0;
  let lastT = t0;
  const timer = setInterval(() => {
    const now = performance.now();
    const c = count();
    const rate = ((c - last) / (now - lastT)) * 1000;
    ctx.log(`${label}: ${((now - t0) / 1000).toFixed(0)} s, ${c} ops, ${rate.toFixed(0)} ops/s`);
    last = c;
    lastT = now;
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Load phase: PutItem records [0, records) with `concurrency` outstanding requests; each put is tried up to 3 times. */
export async function runLoad(ctx: PhaseContext, records: number, label: string): Promise<PhaseResult> {
  const put = new OpStats('PutItem', Math.max(1024, records));
  let next = 0;
  let failedRecords = 0;
  const worker = async (): Promise<void> => {
    while (!ctx.control.stopped) {
      const i = next++;
      if (i >= records) return;
      const body = ctx.requests.putItem(keyName(i), ctx.text);
      let done = false;
      for (let attempt = 0; attempt < 3 && !done && !ctx.control.stopped; attempt++) {
        const r = await ctx.client.call('PutItem', body);
        if (r.ok) {
          put.record(r.latencyMs);
          done = true;
        } else {
          await noteFailure(put, r, ctx.control);
        }
      }
      if (!done) failedRecords++;
    }
  };
  const stopTicker = progressTicker(ctx, `${label} load`, () => put.count);
  const m = new Measured();
  await m.measure(ctx, async () => {
    await Promise.all(Array.from({ length: Math.min(ctx.concurrency, records) }, worker));
  });
  stopTicker();
  const total = opResult('PutItem', [put], m.elapsedSec);
  return {
    phase: 'load',
    title: `load ${records} records (~${FIELD_COUNT * FIELD_LENGTH} B each)` + (failedRecords ? `, ${failedRecords} records NOT loaded` : ''),
    elapsedSec: m.elapsedSec,
    ops: [total],
    total,
    ...m.percents(),
    aborted: ctx.control.stopped ? ctx.control.reason : undefined,
  };
}

/**
 * One closed-loop workload against one target, run as one or more timed slices (the benchmark
 * alternates slices between targets, so that changes in the machine's speed during a run affect
 * every target alike); the result covers all slices.
 */
export class WorkloadRun {
  private readonly get = new OpStats('GetItem');
  private readonly update = new OpStats('UpdateItem');
  private readonly measured = new Measured();

  constructor(
    private readonly ctx: PhaseContext,
    private readonly spec: WorkloadSpec,
    private readonly chooser: KeyChooser,
    private readonly label: string,
  ) {}

  /** Runs the workload unrecorded, to warm up connections, caches and the JIT. */
  async warmUp(seconds: number): Promise<void> {
    if (seconds <= 0 || this.ctx.control.stopped) return;
    this.ctx.log(`${this.label} workload ${this.spec.name}: warming up ${seconds} s (not recorded)`);
    await this.runFor(seconds, new OpStats('GetItem', 1024), new OpStats('UpdateItem', 1024));
  }

  /** Runs the workload for `seconds`, recorded, and logs the slice's rate (and progress during a long one). */
  async runSlice(seconds: number): Promise<void> {
    const label = `${this.label} workload ${this.spec.name}`;
    const count = () => this.get.count + this.update.count;
    const before = count();
    const stopTicker = seconds > 10 ? progressTicker(this.ctx, label, () => count() - before) : () => undefined;
    const elapsedBefore = this.measured.elapsedSec;
    await this.measured.measure(this.ctx, () => this.runFor(seconds, this.get, this.update));
    stopTicker();
    const ops = count() - before;
    this.ctx.log(`${label}: slice of ${ops} ops, ${(ops / (this.measured.elapsedSec - elapsedBefore)).toFixed(0)} ops/s`);
  }

  result(): PhaseResult {
    const { spec, get, update } = this;
    const elapsedSec = this.measured.elapsedSec;
    const ops = [];
    if (spec.readProportion > 0) ops.push(opResult('GetItem', [get], elapsedSec));
    if (spec.readProportion < 1) ops.push(opResult('UpdateItem', [update], elapsedSec));
    return {
      phase: spec.name,
      title: `workload ${spec.name} (${spec.title}), ${this.chooser.description}`,
      elapsedSec,
      ops,
      total: opResult('total', [get, update], elapsedSec),
      ...this.measured.percents(),
      aborted: this.ctx.control.stopped ? this.ctx.control.reason : undefined,
    };
  }

  private async runFor(seconds: number, get: OpStats, update: OpStats): Promise<void> {
    const deadline = performance.now() + seconds * 1000;
    const { client, requests, text, control } = this.ctx;
    const { readProportion } = this.spec;
    const chooser = this.chooser;
    const worker = async (): Promise<void> => {
      while (!control.stopped && performance.now() < deadline) {
        const key = keyName(chooser.next());
        if (readProportion >= 1 || Math.random() < readProportion) {
          const r = await client.call('GetItem', requests.getItem(key), ITEM_MARKER);
          if (r.ok) {
            get.record(r.latencyMs);
            if (!r.hasMarker) get.notFound++;
          } else {
            await noteFailure(get, r, control);
          }
        } else {
          const field = FIELDS[Math.floor(Math.random() * FIELD_COUNT)];
          const r = await client.call('UpdateItem', requests.updateItem(key, field, text.next(FIELD_LENGTH)));
          if (r.ok) update.record(r.latencyMs);
          else await noteFailure(update, r, control);
        }
      }
    };
    await Promise.all(Array.from({ length: this.ctx.concurrency }, worker));
  }
}
