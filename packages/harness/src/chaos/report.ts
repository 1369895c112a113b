/**
 * What a chaos run found, and its text form: the same report for the jest test's failure message
 * and for `npm run chaos`.
 */
import {
  describeIndexDifference,
  type ConvergenceResult,
  type DurabilityResult,
  type FailoverSample,
  type HintsResult,
  type IndexConvergenceResult,
  type LinearizabilityResult,
  type OutcomeName,
} from './checks';
import type { FaultKind, FaultRecord } from './faults';

export interface ChaosReport {
  seed: number;
  /** How long the workload ran. */
  workloadMs: number;
  /** The processes' clock offsets at the end (TRIAD_CLOCK_OFFSET_MS), if they had any. */
  clockOffsets?: string;
  /** Strong Query and Scan reads that completed (logical operations). */
  rangeReads: number;
  faults: FaultRecord[];
  faultsByKind: Partial<Record<FaultKind, number>>;
  /** Attempts by logical kind and outcome (`gsi-*`: writes to the global index's table). */
  operations: Record<string, Record<OutcomeName, number>>;
  durability: DurabilityResult;
  linearizability: LinearizabilityResult;
  convergence: ConvergenceResult;
  hints: HintsResult;
  globalIndex: GlobalIndexReport;
  failover: { samples: FailoverSample[]; writeP50Ms?: number; writeMaxMs?: number; readP50Ms?: number; readMaxMs?: number };
  /** Storage counters at the end, summed over nodes (they restart at 0 with a process, so lower bounds). */
  counters: Record<string, number | undefined>;
  unexpectedExits: string[];
  /** One line per failed check; empty when the run passed. */
  failures: string[];
}

/** Check (e) and what it ran on. */
export interface GlobalIndexReport {
  /** Writes to the global index's table that were acknowledged. */
  acknowledgedWrites: number;
  items: number;
  groups: number;
  convergence: IndexConvergenceResult;
  /** triad_gsi_replication_lag_seconds summed over the nodes (restarted processes start again from 0). */
  lag?: { deliveries: number; meanMs: number; maxBoundMs: number };
}

const ms = (v: number | undefined) => (v === undefined ? '—' : v === Infinity ? '∞' : `${Math.round(v)} ms`);

export function formatReport(r: ChaosReport): string {
  const lines: string[] = [];
  lines.push(`=== chaos report (seed ${r.seed}) ===`);
  lines.push(`workload ran ${(r.workloadMs / 1000).toFixed(1)} s`);
  if (r.clockOffsets) lines.push(`clock offsets: ${r.clockOffsets}`);
  lines.push('');
  lines.push(`faults injected: ${r.faults.length} — ${Object.entries(r.faultsByKind).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
  const failoverById = new Map(r.failover.samples.map((s) => [s.faultId, s]));
  for (const f of r.faults) {
    const s = failoverById.get(f.id);
    const recovered = f.healthyMs !== undefined && f.healedMs !== undefined ? `healthy ${ms(f.healthyMs - f.healedMs)} after heal` : 'NOT healthy after heal';
    lines.push(
      `  #${f.id} ${f.description} [${Math.round(f.startMs)}–${Math.round(f.healedMs ?? NaN)} ms]: write failover ${ms(s?.writeFailoverMs)}, ` +
        `strong-read failover ${ms(s?.readFailoverMs)}, ${s?.failedAttempts ?? 0} failed/unknown attempts, ${recovered}` +
        `${s && s.unrecovered > 0 ? `, ${s.unrecovered} writes gave up` : ''}${f.error ? `, ERROR ${f.error}` : ''}`,
    );
    for (const note of f.notes ?? []) lines.push(`      ${note}`);
    if (f.unhealthy) lines.push(`      still wrong: ${f.unhealthy.join('; ')}`);
  }
  lines.push('');
  lines.push('operations (attempts):        ok  cond-false     failed    unknown');
  for (const [kind, c] of Object.entries(r.operations).sort()) {
    lines.push(`  ${kind.padEnd(12)} ${String(c.ok).padStart(12)} ${String(c['condition-false']).padStart(11)} ${String(c.failed).padStart(10)} ${String(c.unknown).padStart(10)}`);
  }
  const d = r.durability;
  lines.push('');
  lines.push(`acknowledged writes: ${d.acknowledgedWrites} (of which ${d.acknowledgedInserts} insert-only keys)`);
  lines.push(`acknowledged writes lost: ${d.lostInserts.length + d.lostWrites.length} (inserts missing: ${d.lostInserts.length}, keys rolled back: ${d.lostWrites.length})`);
  for (const line of [...d.lostInserts, ...d.lostWrites].slice(0, 20)) lines.push(`  ${line}`);
  if (d.unreadable.length > 0) lines.push(`keys no strong read could read after the run: ${d.unreadable.length} (${d.unreadable.slice(0, 10).join(', ')})`);
  const l = r.linearizability;
  lines.push('');
  lines.push(
    `linearizability (GetItem, Query, Scan, writes, conditional writes): ${l.verdict} — ${l.keysChecked} keys, ${l.illegalKeys.length} violations, ` +
      `${l.inconclusiveKeys.length} inconclusive (${l.stepsTotal} steps, ${ms(l.checkMs)}); ${r.rangeReads} strong Query/Scan reads completed`,
  );
  for (const e of l.explanations.slice(0, 5)) lines.push(e);
  if (l.explanations.length > 5) lines.push(`  … and ${l.explanations.length - 5} more violating keys: ${l.illegalKeys.slice(5, 30).join(', ')}`);
  if (l.inconclusiveKeys.length > 0) lines.push(`  inconclusive keys (search budget spent): ${l.inconclusiveKeys.slice(0, 20).join(', ')}`);
  lines.push('');
  const gaveUp = r.failover.samples.filter((x) => x.unrecovered > 0);
  if (gaveUp.length > 0) {
    lines.push(`availability: during ${gaveUp.length} faults some clients gave up on a write after retrying for the whole retry time (faults ${gaveUp.map((x) => `#${x.faultId}`).join(', ')})`);
  }
  lines.push(`failover time (writes): p50 ${ms(r.failover.writeP50Ms)}, max ${ms(r.failover.writeMaxMs)}; (strong reads): p50 ${ms(r.failover.readP50Ms)}, max ${ms(r.failover.readMaxMs)}`);
  lines.push(`time to converge (identical Merkle roots on every replica set): ${r.convergence.converged ? ms(r.convergence.timeMs) : `NOT converged after ${ms(r.convergence.timeMs)}`}`);
  for (const line of r.convergence.divergent.slice(0, 10)) lines.push(`  ${line}`);
  lines.push(...formatGlobalIndex(r.globalIndex));
  lines.push(`hints pending: ${r.hints.drained ? `none (drained in ${ms(r.hints.timeMs)})` : `NOT drained: ${JSON.stringify(r.hints.pending)}`}`);
  lines.push(`counters: ${Object.entries(r.counters).map(([k, v]) => `${k}=${v ?? 'n/a'}`).join(', ')}`);
  if (r.unexpectedExits.length > 0) lines.push(`processes that exited unexpectedly: ${r.unexpectedExits.join('; ')}`);
  lines.push('');
  lines.push(r.failures.length === 0 ? 'RESULT: PASS' : `RESULT: FAIL\n${r.failures.map((f) => `  - ${f}`).join('\n')}`);
  return lines.join('\n');
}

function formatGlobalIndex(g: GlobalIndexReport): string[] {
  const c = g.convergence;
  const contents = `${c.entriesExpected} entries in ${c.groupsExpected} groups of ${c.indexes.length} indexes (${c.indexes.join(', ')}) for the table's ${c.tableItems} items`;
  const lines: string[] = [];
  if (c.converged) {
    lines.push(
      `global index (writes to ${g.items} items in ${g.groups} groups: ${g.acknowledgedWrites} acknowledged): all matched their table in ${ms(c.timeMs)} ` +
        `(${c.polls === 1 ? '1 poll' : `${c.polls} polls`}) — ${contents}; no updates pending`,
    );
  } else {
    const pending = Object.entries(c.pending).filter(([, n]) => n !== 0);
    lines.push(
      `global index (writes to ${g.items} items in ${g.groups} groups: ${g.acknowledgedWrites} acknowledged): NOT matching their table after ${ms(c.timeMs)} ` +
        `— ${c.differences.length} groups differ (${contents})` +
        `${pending.length > 0 ? `; updates pending ${JSON.stringify(Object.fromEntries(pending))}` : ''}${c.readError ? `; last read failed: ${c.readError}` : ''}`,
    );
    for (const d of c.differences.slice(0, 10)) lines.push(`  ${describeIndexDifference(d)}`);
  }
  if (g.lag) {
    const bound = g.lag.maxBoundMs === Infinity ? 'some beyond the last bucket' : `every one within ${ms(g.lag.maxBoundMs)}`;
    lines.push(`global index lag (item committed → entries on a majority): mean ${ms(g.lag.meanMs)}, ${bound} (${g.lag.deliveries} deliveries counted)`);
  }
  return lines;
}
