/**
 * Per-operation latency and error accounting. Latencies (ms, doubles) are kept
 * in a growable Float64Array; percentiles come from sorting a copy once at the
 * end, so recording costs one array store per operation.
 */

export class OpStats {
  private lat: Float64Array;
  private n = 0;
  /** Error count by DynamoDB __type (short form) or client error code. */
  readonly errors = new Map<string, number>();
  /** First message seen per error type. */
  readonly errorSamples = new Map<string, string>();
  /** GetItem calls that succeeded but returned no Item. */
  notFound = 0;

  constructor(readonly op: string, initialCapacity = 1 << 16) {
    this.lat = new Float64Array(initialCapacity);
  }

  record(latencyMs: number): void {
    if (this.n === this.lat.length) {
      const bigger = new Float64Array(this.lat.length * 2);
      bigger.set(this.lat);
      this.lat = bigger;
    }
    this.lat[this.n++] = latencyMs;
  }

  error(type: string, message?: string): void {
    this.errors.set(type, (this.errors.get(type) ?? 0) + 1);
    if (!this.errorSamples.has(type)) this.errorSamples.set(type, (message ?? '').slice(0, 300));
  }

  get count(): number {
    return this.n;
  }

  get errorCount(): number {
    let s = 0;
    for (const v of this.errors.values()) s += v;
    return s;
  }

  latencies(): Float64Array {
    return this.lat.subarray(0, this.n);
  }
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile on a sorted array. */
function rank(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export function summarize(latencyArrays: Float64Array[]): LatencySummary {
  let total = 0;
  for (const a of latencyArrays) total += a.length;
  const all = new Float64Array(total);
  let off = 0;
  let sum = 0;
  for (const a of latencyArrays) {
    all.set(a, off);
    off += a.length;
  }
  for (let i = 0; i < total; i++) sum += all[i];
  all.sort();
  return {
    count: total,
    mean: total ? sum / total : NaN,
    p50: rank(all, 50),
    p95: rank(all, 95),
    p99: rank(all, 99),
    max: total ? all[total - 1] : NaN,
  };
}

/** Serializable result of one operation type within a phase. */
export interface OpResult {
  op: string;
  count: number;
  throughput: number;
  latency: LatencySummary;
  errors: Record<string, number>;
  /** First message seen per error type. */
  errorSamples: Record<string, string>;
  errorCount: number;
  notFound: number;
}

/** Result of one phase (the load, or one workload) against one target. */
export interface PhaseResult {
  phase: string; // "load", "A", "B", ...
  title: string;
  elapsedSec: number;
  ops: OpResult[];
  total: OpResult;
  /** Load generator CPU, percent of one core. */
  clientCpuPct: number;
  /** Server process tree CPU, percent of one core (only for targets we spawned, on Linux). */
  serverCpuPct?: number;
  /** Whole-machine busy CPU, percent of one core (Linux /proc/stat): shows interference from other processes. */
  machineCpuPct?: number;
  aborted?: string;
}

export function opResult(op: string, stats: OpStats[], elapsedSec: number): OpResult {
  const latency = summarize(stats.map((s) => s.latencies()));
  const errors: Record<string, number> = {};
  const errorSamples: Record<string, string> = {};
  let errorCount = 0;
  let notFound = 0;
  for (const s of stats) {
    for (const [k, v] of s.errors) errors[k] = (errors[k] ?? 0) + v;
    for (const [k, v] of s.errorSamples) if (!(k in errorSamples)) errorSamples[k] = v;
    errorCount += s.errorCount;
    notFound += s.notFound;
  }
  return {
    op,
    count: latency.count,
    throughput: elapsedSec > 0 ? latency.count / elapsedSec : 0,
    latency,
    errors,
    errorSamples,
    errorCount,
    notFound,
  };
}
