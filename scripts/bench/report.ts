/** Plain-text tables for the benchmark report. */
import * as os from 'node:os';
import { OpResult, PhaseResult } from './stats';

export interface TargetReport {
  name: string;
  endpoint?: string;
  details: string[];
  phases: PhaseResult[];
  error?: string;
}

type Align = 'l' | 'r';

export function table(headers: string[], rows: string[][], align?: Align[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => ((align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'l' ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const lines = [fmt(headers), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of rows) lines.push(fmt(r));
  return lines.join('\n');
}

export function ms(v: number): string {
  if (!Number.isFinite(v)) return '-';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function rate(v: number): string {
  if (!Number.isFinite(v)) return '-';
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function errorsCell(r: OpResult): string {
  const parts = Object.entries(r.errors)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}:${v}`);
  return parts.length ? parts.join(', ') : '0';
}

export function machineFacts(): string {
  const cpus = os.cpus();
  const models = [...new Set(cpus.map((c) => c.model.trim()))];
  return [
    'Machine',
    `  cpus:     ${cpus.length} x ${models.join(' / ') || 'unknown'}${
      typeof os.availableParallelism === 'function' ? ` (available parallelism ${os.availableParallelism()})` : ''
    }`,
    `  memory:   ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(os.freemem() / 2 ** 30).toFixed(1)} GiB free`,
    `  os:       ${os.type()} ${os.release()} ${os.arch()}`,
    `  node:     ${process.version}`,
    `  loadavg:  ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  ].join('\n');
}

export function phaseTable(p: PhaseResult): string {
  const headers = ['operation', 'count', 'ops/s', 'p50 ms', 'p99 ms', 'max ms', 'errors'];
  const row = (r: OpResult) => [
    r.op,
    String(r.count),
    rate(r.throughput),
    ms(r.latency.p50),
    ms(r.latency.p99),
    ms(r.latency.max),
    errorsCell(r),
  ];
  const rows = p.ops.map(row);
  if (p.ops.length > 1) rows.push(row(p.total));
  const notes: string[] = [];
  const cpu = [`client CPU ${p.clientCpuPct.toFixed(0)}%`];
  if (p.serverCpuPct !== undefined) cpu.push(`server CPU ${p.serverCpuPct.toFixed(0)}%`);
  if (p.machineCpuPct !== undefined) {
    cpu.push(`machine busy ${p.machineCpuPct.toFixed(0)}%`);
    if (p.serverCpuPct !== undefined) {
      const other = p.machineCpuPct - p.clientCpuPct - p.serverCpuPct;
      if (other >= 10) cpu.push(`other processes ~${other.toFixed(0)}%`);
    }
  }
  notes.push(`${p.elapsedSec.toFixed(1)} s; ${cpu.join(', ')} (100% = one core; ${os.cpus().length} cores)`);
  for (const r of p.ops) if (r.notFound) notes.push(`${r.op}: ${r.notFound} responses without an Item`);
  for (const r of p.ops) {
    for (const [type, msg] of Object.entries(r.errorSamples)) notes.push(`${r.op} ${type}, e.g.: ${msg || '(no message)'}`);
  }
  if (p.aborted) notes.push(`ABORTED: ${p.aborted}`);
  return `-- ${p.title}\n${table(headers, rows, ['l', 'r', 'r', 'r', 'r', 'r', 'l'])}\n${notes.map((n) => `   ${n}`).join('\n')}`;
}

export function targetSection(t: TargetReport): string {
  const head = `=== ${t.name}${t.endpoint ? ` @ ${t.endpoint}` : ''}${t.details.length ? ` (${t.details.join('; ')})` : ''} ===`;
  const parts = [head];
  for (const p of t.phases) parts.push(phaseTable(p));
  if (t.error) parts.push(`!! ${t.name} failed: ${t.error}`);
  if (!t.phases.length && !t.error) parts.push('(no results)');
  return parts.join('\n\n');
}

/** Side-by-side comparison of all targets, one row per (phase, operation). */
export function comparison(targets: TargetReport[]): string | undefined {
  const withData = targets.filter((t) => t.phases.length);
  if (withData.length < 2) return undefined;
  const phaseOrder: string[] = [];
  for (const t of withData) for (const p of t.phases) if (!phaseOrder.includes(p.phase)) phaseOrder.push(p.phase);
  const headers = ['phase', 'operation'];
  for (const t of withData) headers.push(`${t.name} ops/s`, `p50`, `p99`);
  const rows: string[][] = [];
  for (const phase of phaseOrder) {
    const opNames: string[] = [];
    for (const t of withData) {
      const p = t.phases.find((x) => x.phase === phase);
      for (const o of p?.ops ?? []) if (!opNames.includes(o.op)) opNames.push(o.op);
    }
    const multi = opNames.length > 1;
    for (const op of multi ? [...opNames, 'total'] : opNames) {
      const row = [phase, op];
      for (const t of withData) {
        const p = t.phases.find((x) => x.phase === phase);
        const r = op === 'total' ? p?.total : p?.ops.find((o) => o.op === op);
        if (r) row.push(rate(r.throughput), ms(r.latency.p50), ms(r.latency.p99));
        else row.push('-', '-', '-');
      }
      rows.push(row);
    }
  }
  const align: Align[] = headers.map((_, i) => (i < 2 ? 'l' : 'r'));
  return `=== comparison (ops/s; p50 and p99 latencies in ms) ===\n${table(headers, rows, align)}`;
}

export function summaryLine(targets: TargetReport[], phase = 'C'): string {
  const vals = targets
    .map((t) => ({ name: t.name, p: t.phases.find((p) => p.phase === phase && !p.aborted) }))
    .filter((x): x is { name: string; p: PhaseResult } => !!x.p);
  if (!vals.length) return `summary: workload ${phase} was not completed on any target`;
  const parts = vals.map((v) => `${v.name} ${rate(v.p.total.throughput)} ops/s (p99 ${ms(v.p.total.latency.p99)} ms)`);
  let line = `summary: workload ${phase} throughput: ${parts.join(' vs ')}`;
  if (vals.length >= 2 && vals[1].p.total.throughput > 0) {
    const ratio = vals[0].p.total.throughput / vals[1].p.total.throughput;
    line += ` -> ${vals[0].name}/${vals[1].name} = ${ratio.toFixed(2)}x`;
  }
  const missing = targets.filter((t) => !vals.some((v) => v.name === t.name)).map((t) => t.name);
  if (missing.length) line += `; no result for ${missing.join(', ')}`;
  return line;
}
