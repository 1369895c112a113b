import type { SimRunResult } from './sim-run';

/** What `npm run sim` prints: seeds run, simulated time, operations, faults by kind, failures with their seeds. */
export interface SimReport {
  seeds: number;
  simulatedMs: number;
  operations: number;
  outcomes: Record<string, number>;
  faults: Record<string, number>;
  /** Fault points that struck, by name. */
  faultPoints: Record<string, number>;
  leaderSamples: number;
  failed: { seed: number; failures: string[] }[];
}

function add(into: Record<string, number>, from: Partial<Record<string, number>>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + (v ?? 0);
}

export function summarize(results: readonly SimRunResult[]): SimReport {
  const report: SimReport = { seeds: 0, simulatedMs: 0, operations: 0, outcomes: {}, faults: {}, faultPoints: {}, leaderSamples: 0, failed: [] };
  for (const r of results) {
    report.seeds++;
    report.simulatedMs += r.simulatedMs;
    report.operations += r.operations;
    report.leaderSamples += r.leaderSamples;
    add(report.outcomes, r.outcomes);
    add(report.faults, r.faults);
    add(report.faultPoints, r.faultPoints ?? {});
    if (r.failures.length > 0) report.failed.push({ seed: r.seed, failures: r.failures });
  }
  report.failed.sort((a, b) => a.seed - b.seed);
  return report;
}

function formatSimulated(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s (${(ms / 3_600_000).toFixed(3)} h)`;
}

function pairs(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k} ${v}`).join(', ');
}

/**
 * The report as text; `failureLinesMax` lines per failed seed; with `cpuMs` (the process's CPU
 * time, every thread), the CPU a seed took on average.
 */
export function formatSimReport(report: SimReport, wallMs: number, failureLinesMax = 5, cpuMs?: number): string {
  const lines = [
    `seeds run:       ${report.seeds} (${report.failed.length} failed)`,
    `simulated time:  ${formatSimulated(report.simulatedMs)} in ${(wallMs / 1000).toFixed(1)} s of wall time`,
    `operations:      ${report.operations} (${pairs(report.outcomes)})`,
    `faults by kind:  ${pairs(report.faults)}`,
    `fault points:    ${pairs(report.faultPoints)}`,
    `leader samples:  ${report.leaderSamples}`,
  ];
  if (cpuMs !== undefined) lines.splice(2, 0, `cpu time:        ${(cpuMs / 1000).toFixed(1)} s (${(cpuMs / 1000 / Math.max(1, report.seeds)).toFixed(3)} s a seed, start-up included)`);
  for (const f of report.failed) {
    lines.push(`FAILED seed ${f.seed} (replay: SEED=${f.seed} npm run sim):`);
    for (const failure of f.failures.slice(0, failureLinesMax)) lines.push(`  - ${failure.split('\n')[0]}`);
    if (f.failures.length > failureLinesMax) lines.push(`  … ${f.failures.length - failureLinesMax} more`);
  }
  return lines.join('\n');
}

/** The registers and counters failures name (`key g0#s1:`, `counter c0 is`, `lost: g0#s1 reads`). */
export function keysOfFailures(failures: readonly string[]): Set<string> {
  const keys = new Set<string>();
  for (const f of failures) for (const m of f.matchAll(/(?:key "?|counter |lost: )([\w#]+)/g)) keys.add(m[1]!);
  return keys;
}

/**
 * The lines of a run's trace that led to its failures: every fault (and heal and restart), and
 * every call and answer on the keys the failures name (a Query on their group included).
 */
export function focusTrace(trace: readonly string[], failures: readonly string[]): string[] {
  const keys = keysOfFailures(failures);
  const groups = new Set([...keys].map((k) => k.split('#')[0]!));
  return trace.filter((line) => {
    if (line.includes(' FAULT  ')) return true;
    // `<time> call   <client> <key> <operation …>` (and `answer`): the key comes right after the client.
    const m = /^\s*\S+ (?:call|answer) +\S+ (\S+)/.exec(line);
    if (!m) return false;
    return keys.has(m[1]!) || groups.has(m[1]!) || m[1] === '*'; // a Scan reads every key
  });
}
