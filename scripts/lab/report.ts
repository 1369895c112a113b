import type { FaultRecord } from './faults';
import { quantile, type ErrorTally, type OpCounters, type PhaseStats, type VerifyResult } from './load';
import type { TeardownReport } from './network';
import type { LabOptions } from './options';
import type { ClusterPlan } from './plan';

export type Verdict = 'PASS' | 'FAIL' | 'INCOMPLETE' | 'ERROR' | 'INTERRUPTED';

export const EXIT_CODES: Record<Verdict, number> = { PASS: 0, FAIL: 1, ERROR: 2, INCOMPLETE: 3, INTERRUPTED: 130 };

export interface LabSummary {
  verdict: Verdict;
  reasons: string[];
  kind: ClusterPlan['kind'];
  fallbackReason?: string;
  options: LabOptions;
  topology: string[];
  loadSeconds?: number;
  faults: FaultRecord[];
  totals?: OpCounters;
  phases: Array<[string, PhaseStats]>;
  /** How the fault window was laid out. */
  schedule?: string;
  errors: Array<[string, ErrorTally]>;
  anomalies: string[];
  verify?: VerifyResult;
  unexpectedExits: string[];
  traffic: string[];
  teardown?: TeardownReport;
  processesStopped: number;
  error?: string;
  dataDir: string;
  dataKept: boolean;
}

/** `interrupted`: why the run was cut short (a signal, the watchdog), if it was. */
export function verdictOf(s: Pick<LabSummary, 'verify' | 'totals' | 'error'>, interrupted: string | undefined): { verdict: Verdict; reasons: string[] } {
  if (interrupted?.startsWith('watchdog')) return { verdict: 'ERROR', reasons: [`${interrupted}; acked writes not checked`] };
  if (interrupted) return { verdict: 'INTERRUPTED', reasons: [`${interrupted} before the end; acked writes not checked`] };
  if (s.error || !s.verify || !s.totals) return { verdict: 'ERROR', reasons: [s.error ?? 'the lab did not get to the final check'] };
  const reasons: string[] = [];
  if (s.verify.lost.length > 0) reasons.push(`${s.verify.lost.length} acknowledged write(s) lost`);
  if (s.totals.stale > 0) reasons.push(`${s.totals.stale} stale strong read(s)`);
  if (s.totals.bogus > 0) reasons.push(`${s.totals.bogus} read(s) of values never written`);
  if (reasons.length > 0) return { verdict: 'FAIL', reasons };
  if (s.verify.keysUnreadable.length > 0) {
    return { verdict: 'INCOMPLETE', reasons: [`${s.verify.keysUnreadable.length} key(s) could not be read at the end (${s.verify.unverified} acked writes unchecked)`] };
  }
  return { verdict: 'PASS', reasons: ['no acknowledged write lost, no stale strong read'] };
}

const pad = (text: string | number, width: number) => String(text).padEnd(width);
const padLeft = (text: string | number, width: number) => String(text).padStart(width);

export function printSummary(s: LabSummary): void {
  const o = s.options;
  const lines: string[] = [];
  lines.push('', '================ Triad fault lab: summary ================');
  lines.push(
    `setup      ${s.kind} mode, ${o.storageNodes} storage nodes in zones ${o.zones.join(',')}, ${o.routers} router(s), ${o.partitions} partitions; ` +
      `scenario ${o.scenario}, seed ${o.seed}, ${o.clients} clients x ${o.keysPerClient} keys`,
  );
  if (s.fallbackReason) lines.push(`           (network namespaces not available: ${s.fallbackReason})`);
  for (const t of s.topology) lines.push(`           ${t}`);
  if (s.loadSeconds !== undefined) {
    lines.push(`load       ran ${s.loadSeconds.toFixed(1)} s, the last ${o.settleSeconds} s without faults`);
  }

  lines.push(`faults     ${s.faults.length}${s.schedule ? ` (${s.schedule})` : ''}`);
  for (const f of s.faults) {
    const healed = f.healSeconds !== undefined ? `lifted +${f.healSeconds.toFixed(1)}s` : 'not lifted';
    lines.push(`  #${f.n} +${f.startSeconds.toFixed(1)}s ${pad(f.phase.replace(/^#\d+ /, ''), 34)} ${healed}; ${f.outcome || '-'}`);
    lines.push(`       how: ${f.how}`);
  }

  if (s.totals) {
    const t = s.totals;
    lines.push(`operations put ${t.putOk} ok / ${t.putErr} failed; strong get ${t.getOk} ok / ${t.getErr} failed; stale strong reads ${t.stale}; bogus reads ${t.bogus}`);
    lines.push('by phase   (operations counted in the phase they started in; latency of every operation, ok or not)');
    lines.push(
      `           ${pad('phase', 34)} ${padLeft('put ok', 7)} ${padLeft('put err', 7)} ${padLeft('get ok', 7)} ${padLeft('get err', 7)} ${padLeft('stale', 6)}` +
        `  ${padLeft('p50 ms', 7)} ${padLeft('p99 ms', 7)} ${padLeft('max ms', 7)}`,
    );
    for (const [phase, { counters: c, latencyMs }] of s.phases) {
      lines.push(
        `           ${pad(phase, 34)} ${padLeft(c.putOk, 7)} ${padLeft(c.putErr, 7)} ${padLeft(c.getOk, 7)} ${padLeft(c.getErr, 7)} ${padLeft(c.stale, 6)}` +
          `  ${padLeft(quantile(latencyMs, 0.5), 7)} ${padLeft(quantile(latencyMs, 0.99), 7)} ${padLeft(quantile(latencyMs, 1), 7)}`,
      );
    }
  }
  lines.push(`errors     ${s.errors.length === 0 ? 'none' : 'by type (count, first message):'}`);
  for (const [type, tally] of [...s.errors].sort((a, b) => b[1].count - a[1].count)) {
    lines.push(`  ${pad(type, 44)} ${padLeft(tally.count, 6)}  "${tally.example}"`);
  }
  if (s.anomalies.length > 0) {
    lines.push('anomalies');
    for (const a of s.anomalies) lines.push(`  ${a}`);
  }

  const v = s.verify;
  if (v) {
    lines.push(
      `acked      ${v.ackedWrites} acknowledged writes on ${v.keysChecked + v.keysUnreadable.length} keys; final strong read of every key: ` +
        `${v.keysChecked} read, ${v.keysUnreadable.length} unreadable${v.keysUnreadable.length ? ` (${v.keysUnreadable.join(', ')}; ${v.unverified} acked writes unchecked)` : ''}`,
    );
    lines.push(`           LOST acknowledged writes: ${v.lost.length}`);
    for (const l of v.lost.slice(0, 10)) lines.push(`             ${l.key} write #${l.seq} acknowledged, but the key holds #${l.finalSeq}`);
    if (v.landedUnacked > 0) lines.push(`           ${v.landedUnacked} key(s) end with a write the client saw fail or time out (it landed anyway: allowed)`);
  } else {
    lines.push('acked      not checked');
  }
  lines.push(`processes  ${s.unexpectedExits.length === 0 ? 'no unexpected exits' : `unexpected exits: ${s.unexpectedExits.join('; ')}`}`);
  for (const t of s.traffic) lines.push(`traffic    ${t}`);
  if (s.teardown) {
    const kinds: Record<string, string> = { netns: 'namespaces', link: 'links (bridge, veths)', process: 'stray processes' };
    const counts = new Map<string, number>();
    const other: string[] = [];
    for (const r of s.teardown.removed) {
      const kind = kinds[r.split(' ')[0]];
      if (kind) counts.set(kind, (counts.get(kind) ?? 0) + 1);
      else other.push(r);
    }
    const removed = [...[...counts.entries()].map(([k, n]) => `${n} ${k}`), ...other].join(', ') || 'nothing';
    lines.push(`cleanup    stopped ${s.processesStopped} processes; removed ${removed}; left behind: ${s.teardown.leftovers.length === 0 ? 'nothing' : s.teardown.leftovers.join(', ')}`);
  }
  if (s.error) lines.push(`error      ${s.error}`);
  lines.push(`data       ${s.dataDir} (${s.dataKept ? 'kept: logs in logs/' : 'removed'})`);
  lines.push(`RESULT     ${s.verdict}: ${s.reasons.join('; ')}`);
  console.log(lines.join('\n'));
}
