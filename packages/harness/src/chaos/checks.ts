/**
 * The checks after a chaos run, once faults have stopped and the cluster is whole again:
 *
 * (a) durability — every acknowledged insert is there (strong reads), and no key's final value
 *     undoes an acknowledged write: the final value must have been written by the last
 *     acknowledged change or by something that may have come after it;
 * (b) linearizability — the whole history (every attempt, the final reads included) against a
 *     register per key (keys that a Query or Scan read at one instant checked together), with an
 *     explanation per illegal key;
 * (c) convergence — the three replicas of every partition reach identical Merkle roots within a
 *     bounded time;
 * (d) hints — no hint left pending on any node;
 * (e) global index convergence — every group's entries in a global index are exactly the items
 *     the table puts in that group, with the item's projected attributes, and no node has index
 *     updates left to deliver;
 * plus failover times per fault, measured from the clients' side.
 */
import { checkHistory, describeRegisterOperation, splitIntoObjects, type IllegalExplanation, type Verdict } from '@triad/linearizability';
import type { Ring } from '@triad/ring';
import { nowMs, sleepUnless } from './clock';
import type { ClusterProbe } from './cluster-probe';
import type { Value } from './dynamo-register';
import type { FaultKind, FaultRecord } from './faults';
import type { GlobalIndexShape, IndexSnapshot, Item } from './global-index-workload';
import { mayHaveWritten, valueWritten, type History, type LogicalKind, type RecordedOperation } from './history';
import type { FinalReads, RegisterWorkload } from './workload';

// ---------------------------------------------------------------------------------------------
// (a) durability

export interface DurabilityResult {
  /** Insert-only keys whose write was acknowledged. */
  acknowledgedInserts: number;
  /** Acknowledged inserts that a strong read did not find (or found with another value). */
  lostInserts: string[];
  /** Acknowledged changes of all keys (writes, deletes, conditional writes that applied). */
  acknowledgedWrites: number;
  /** Keys whose final value undoes an acknowledged change, or was never written: one line each. */
  lostWrites: string[];
  /** Keys no strong read could read after the run. */
  unreadable: string[];
}

export function checkDurability(workload: RegisterWorkload, finals: FinalReads): DurabilityResult {
  const history = workload.history;
  const acknowledged = history.acknowledgedWrites();
  const ackedInsertKeys = new Set(acknowledged.filter((op) => workload.inserts.has(op.key)).map((op) => op.key));
  const lostInserts: string[] = [];
  for (const key of [...ackedInsertKeys].sort()) {
    if (!finals.values.has(key)) continue; // reported as unreadable
    const found = finals.values.get(key);
    const wanted = workload.inserts.get(key);
    if (found !== wanted) lostInserts.push(`${key}: acknowledged ${JSON.stringify(wanted)}, strong read found ${found === undefined ? 'nothing' : JSON.stringify(found)}`);
  }
  return {
    acknowledgedInserts: ackedInsertKeys.size,
    lostInserts,
    acknowledgedWrites: acknowledged.length,
    lostWrites: checkFinalValues(history.operations, finals.values),
    unreadable: finals.unreadable,
  };
}

/**
 * For each key read at the end: every acknowledged change W must be the final value's writer, or
 * be followed by an operation that wrote the final value and may come after W in real time (it
 * was unknown, or it ended after W began). The register starts absent, which follows nothing.
 * Sound for any history: a linearizable one never fails it. Simpler than (b), and it names the
 * write that was lost.
 */
export function checkFinalValues(operations: readonly RecordedOperation[], finals: ReadonlyMap<string, Value>): string[] {
  const byKey = new Map<string, RecordedOperation[]>();
  for (const op of operations) {
    if (!mayHaveWritten(op)) continue;
    const list = byKey.get(op.key);
    if (list) list.push(op);
    else byKey.set(op.key, [op]);
  }
  const problems: string[] = [];
  for (const [key, final] of [...finals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const changes = byKey.get(key) ?? [];
    const writers = changes.filter((op) => valueWritten(op) === final);
    if (final !== undefined && writers.length === 0) {
      // Operations that carried the value but claim they did not write it: a cas that reported its condition false, or a definite failure.
      const claimed = operations.filter((op) => op.key === key && op.kind !== 'read' && valueWritten(op) === final);
      problems.push(
        `${key}: the final read found ${JSON.stringify(final)}, which no operation wrote` +
          (claimed.length > 0 ? ` — but ${claimed.map((op) => describeRegisterOperation(op)).join('; ')} reported that it did not take effect, and it did` : ''),
      );
      continue;
    }
    // The latest time the final value's write may have taken effect: -∞ for the initial absence.
    const latestWriterMs = writers.reduce((t, op) => Math.max(t, op.ok === 'unknown' ? Infinity : (op.completeMs as number)), -Infinity);
    const lost = changes.filter((op) => op.ok === true && valueWritten(op) !== final && op.invokeMs > latestWriterMs);
    if (lost.length > 0) {
      const last = lost.reduce((a, b) => ((a.completeMs as number) > (b.completeMs as number) ? a : b));
      const found = final === undefined ? 'the item absent' : JSON.stringify(final);
      problems.push(
        `${key}: the final read found ${found}, but ${describeRegisterOperation(last)} began after every operation that could leave ${found} ` +
          `had completed: that acknowledged change was lost or rolled back${lost.length > 1 ? ` (${lost.length} such changes)` : ''}`,
      );
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// (b) linearizability

export interface LinearizabilityResult {
  verdict: Verdict;
  keysChecked: number;
  illegalKeys: string[];
  /** Keys whose search ran out of budget. */
  inconclusiveKeys: string[];
  /** Per illegal key: the checker's explanation, then the operations around the one it could not place. */
  explanations: string[];
  checkMs: number;
  stepsTotal: number;
}

export interface LinearizabilityInit {
  /** Search steps per key in the full check; default 5,000,000. */
  stepsMax?: number;
  /** Wall-clock budget per key in the full check; default 10,000 ms. */
  timeMsMax?: number;
  /** Wall-clock budget of the whole full check; keys left when it is spent are inconclusive. Default 60,000 ms. */
  totalTimeMsMax?: number;
  faults?: readonly FaultRecord[];
}

/**
 * The history without the unknown-outcome writes (and conditional writes) whose value nobody
 * observed: no read returned it and no conditional write that applied expected it. Each such
 * operation may be placed last in any linearization ("it never took effect"), so if the reduced
 * history is linearizable, so is the full one. The converse does not hold (a conditional write
 * that failed may need one of them to explain it), so a reduced history that fails is checked
 * again in full. Unknown writes are what makes the search exponential: a fault leaves dozens.
 */
export function withoutUnobservedUnknownWrites(operations: readonly RecordedOperation[]): RecordedOperation[] {
  const observed = new Set<string>();
  const mark = (key: string, value: Value) => {
    if (value !== undefined) observed.add(`${key}\u0000${value}`);
  };
  for (const op of operations) {
    if (op.ok !== true) continue;
    if (op.kind === 'read') mark(op.key, op.output as Value);
    if (op.kind === 'cas' && op.output === true) mark(op.key, op.input.expected as Value);
  }
  return operations.filter((op) => {
    if (op.ok !== 'unknown' || (op.kind !== 'write' && op.kind !== 'cas')) return true;
    const value = valueWritten(op);
    return value === undefined || observed.has(`${op.key}\u0000${value}`);
  });
}

export function checkLinearizability(history: History, init: LinearizabilityInit = {}): LinearizabilityResult {
  const started = nowMs();
  // Stage 1: the reduced history, object by object (a key, or the keys snapshot reads tie). Objects that pass are done.
  const reduced = checkHistory(withoutUnobservedUnknownWrites(history.operations), { stepsMax: 2_000_000, timeMsMax: 5_000, clock: nowMs });
  const perKey = new Map(reduced.perKey);
  let stepsTotal = reduced.stepsTotal;
  const retry = splitIntoObjects(history.operations).filter((object) => object.keys.some((k) => reduced.perKey.get(k) !== 'ok'));
  // Stage 2: the full history of each object that did not pass, while the total budget lasts.
  const fullExplanations: IllegalExplanation[] = [];
  const stage2Deadline = nowMs() + (init.totalTimeMsMax ?? 60_000);
  for (const object of retry) {
    if (nowMs() > stage2Deadline) break; // stays 'unknown' (or whatever stage 1 said, if not ok)
    const full = checkHistory(object.operations, { stepsMax: init.stepsMax ?? 5_000_000, timeMsMax: init.timeMsMax ?? 10_000, clock: nowMs });
    stepsTotal += full.stepsTotal;
    for (const key of object.keys) perKey.set(key, full.perKey.get(key) ?? 'ok');
    fullExplanations.push(...full.explanations.values());
  }
  // An object stage 1 called illegal that stage 2 did not explain (its budget ran out) is inconclusive.
  for (const object of retry) {
    if (object.keys.some((k) => perKey.get(k) === 'illegal') && !fullExplanations.some((e) => object.keys.includes(e.key))) {
      for (const key of object.keys) perKey.set(key, 'unknown');
    }
  }
  const explanations: string[] = [];
  for (const explanation of fullExplanations) {
    const keys = new Set(explanation.keys);
    const blocked = explanation.blockedOperation as RecordedOperation;
    const from = blocked.invokeMs - 3_000;
    const to = (blocked.completeMs ?? blocked.invokeMs) + 500;
    const nearby = history.operations
      .filter((op) => keys.has(op.key) && op.invokeMs <= to && (op.ok === 'unknown' || (op.completeMs ?? Infinity) >= from))
      .sort((a, b) => a.invokeMs - b.invokeMs);
    const shown = nearby.slice(-25);
    const many = keys.size > 1;
    const lines = shown.map(
      (op) => `      ${op === blocked ? '>>' : '  '} ${many ? `${op.key}: ` : ''}${describeRegisterOperation(op)}${op.error ? ` (${op.error})` : ''}`,
    );
    const active = (init.faults ?? []).filter((f) => f.startMs <= to && (f.healedMs ?? Infinity) >= from);
    explanations.push(
      [
        `  ${explanation.message}`,
        `    partition ${blocked.partition}; faults around then: ${active.length === 0 ? 'none' : active.map((f) => `#${f.id} ${f.description} [${Math.round(f.startMs)}, ${Math.round(f.healedMs ?? Infinity)}]`).join('; ')}`,
        `    operations on ${many ? `the keys ${[...keys].join(', ')}` : 'the key'} from ${Math.round(from)} to ${Math.round(to)} ms (unknown ones from any time)${nearby.length > shown.length ? `, last ${shown.length} of ${nearby.length}` : ''}:`,
        ...lines,
      ].join('\n'),
    );
  }
  const verdicts = [...perKey];
  const illegalKeys = verdicts.filter(([, v]) => v === 'illegal').map(([k]) => k);
  const inconclusiveKeys = verdicts.filter(([, v]) => v === 'unknown').map(([k]) => k);
  return {
    verdict: illegalKeys.length > 0 ? 'illegal' : inconclusiveKeys.length > 0 ? 'unknown' : 'ok',
    keysChecked: verdicts.length,
    illegalKeys,
    inconclusiveKeys,
    explanations,
    checkMs: nowMs() - started,
    stepsTotal,
  };
}

// ---------------------------------------------------------------------------------------------
// (c) convergence and (d) hints

export interface ConvergenceResult {
  converged: boolean;
  /** From the start of the wait until every partition's replicas had identical roots. */
  timeMs: number;
  /** At the timeout: partition → why it differs. */
  divergent: string[];
}

/** Polls Merkle roots until every partition's replicas agree, or `timeoutMs` passes. */
export async function awaitConvergence(probe: ClusterProbe, timeoutMs: number, pollMs = 500): Promise<ConvergenceResult> {
  const started = nowMs();
  let divergent = new Map<number, string>();
  for (;;) {
    divergent = await probe.divergentPartitions();
    if (divergent.size === 0) return { converged: true, timeMs: nowMs() - started, divergent: [] };
    if (nowMs() - started > timeoutMs) break;
    await sleepUnless(pollMs, () => false);
  }
  return { converged: false, timeMs: nowMs() - started, divergent: [...divergent].map(([p, why]) => `partition ${p}: ${why}`) };
}

export interface HintsResult {
  drained: boolean;
  timeMs: number;
  /** At the end of the wait: pending hints by node ('?' for a node that did not answer). */
  pending: Record<string, number | '?'>;
}

/** Polls triad_hints_pending on every storage node until the sum is 0 everywhere, or `timeoutMs` passes. */
export async function awaitHintsDrained(probe: ClusterProbe, timeoutMs: number, pollMs = 500): Promise<HintsResult> {
  const started = nowMs();
  for (;;) {
    const pending = await probe.hintsPending();
    const view: Record<string, number | '?'> = {};
    for (const [id, n] of pending) view[id] = n ?? '?';
    const drained = [...pending.values()].every((n) => n === 0);
    if (drained || nowMs() - started > timeoutMs) return { drained, timeMs: nowMs() - started, pending: view };
    await sleepUnless(pollMs, () => false);
  }
}

// ---------------------------------------------------------------------------------------------
// (e) global index convergence

/** How one group's entries differ from the table, by table key. */
export interface IndexGroupDifference {
  /** The index, when several are compared. */
  index?: string;
  group: string;
  /** Items the table puts in the group that the index does not list. */
  missing: string[];
  /** Entries of items the table does not put in the group, and where each item is instead. */
  stale: { key: string; now: string }[];
  /** Items listed more than once in the group (an entry of an old sort key left behind, or paging that repeats). */
  duplicated: string[];
  /** Entries whose attributes are not the item's projection: what the index and the table hold. */
  wrongAttributes: { key: string; index: string; table: string }[];
}

export interface IndexComparison {
  /** Only the groups that differ, by group name. */
  differences: IndexGroupDifference[];
  /** Entries the table calls for (items with every index key attribute), and in how many groups. */
  entriesExpected: number;
  groupsExpected: number;
}

/**
 * Compares a global index with its table, group by group. What the index must hold is derived
 * from the table alone — each item that has every index key attribute, reduced to the projection
 * — so the check needs no knowledge of which of the workload's writes took effect. Pure.
 */
export function compareGlobalIndex(snapshot: IndexSnapshot, shape: GlobalIndexShape): IndexComparison {
  const indexKeys = shape.sortKey ? [shape.partitionKey, shape.sortKey] : [shape.partitionKey];
  const projectedNames = [shape.tableKey, ...indexKeys, ...shape.projected];
  const keyOf = (item: Item) => attributeText(item[shape.tableKey]);
  // Sparse: an item without an index key attribute has no entry.
  const groupOf = (item: Item) => (indexKeys.every((name) => item[name] !== undefined) ? attributeText(item[shape.partitionKey]) : undefined);
  const projection = (item: Item) => canonicalJson(Object.fromEntries(projectedNames.filter((n) => item[n] !== undefined).map((n) => [n, item[n]])));

  const tableByKey = new Map(snapshot.table.map((item) => [keyOf(item), item]));
  const expected = new Map<string, Map<string, string>>(); // group → table key → projection
  for (const [key, item] of tableByKey) {
    const group = groupOf(item);
    if (group === undefined) continue;
    if (!expected.has(group)) expected.set(group, new Map());
    expected.get(group)!.set(key, projection(item));
  }
  const whereNow = (key: string): string => {
    const item = tableByKey.get(key);
    if (!item) return 'deleted';
    const group = groupOf(item);
    if (group !== undefined) return `in ${group}`;
    return `without ${indexKeys.filter((n) => item[n] === undefined).join(', ')}`;
  };

  const differences: IndexGroupDifference[] = [];
  const groups = [...new Set([...expected.keys(), ...snapshot.index.keys()])].sort(byText);
  for (const group of groups) {
    const want = expected.get(group) ?? new Map<string, string>();
    const seen = new Map<string, number>();
    const d: IndexGroupDifference = { group, missing: [], stale: [], duplicated: [], wrongAttributes: [] };
    for (const entry of snapshot.index.get(group) ?? []) {
      const key = keyOf(entry);
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (seen.get(key) === 2) d.duplicated.push(key);
      const wanted = want.get(key);
      if (wanted === undefined) {
        if (seen.get(key) === 1) d.stale.push({ key, now: whereNow(key) });
      } else if (canonicalJson(entry) !== wanted) {
        d.wrongAttributes.push({ key, index: canonicalJson(entry), table: wanted });
      }
    }
    for (const key of want.keys()) if (!seen.has(key)) d.missing.push(key);
    d.missing.sort(byText);
    d.stale.sort((a, b) => byText(a.key, b.key));
    d.duplicated.sort(byText);
    d.wrongAttributes.sort((a, b) => byText(a.key, b.key));
    if (d.missing.length + d.stale.length + d.duplicated.length + d.wrongAttributes.length > 0) differences.push(d);
  }
  let entriesExpected = 0;
  for (const keys of expected.values()) entriesExpected += keys.size;
  return { differences, entriesExpected, groupsExpected: expected.size };
}

/** One line per differing group, with at most `examplesMax` keys of each kind. */
export function describeIndexDifference(d: IndexGroupDifference, examplesMax = 5): string {
  const list = (items: readonly string[]) => `${items.slice(0, examplesMax).join(', ')}${items.length > examplesMax ? `, … (${items.length - examplesMax} more)` : ''}`;
  const parts: string[] = [];
  if (d.missing.length > 0) parts.push(`${d.missing.length} missing (${list(d.missing)})`);
  if (d.stale.length > 0) parts.push(`${d.stale.length} stale (${list(d.stale.map((s) => `${s.key} now ${s.now}`))})`);
  if (d.duplicated.length > 0) parts.push(`${d.duplicated.length} listed twice or more (${list(d.duplicated)})`);
  if (d.wrongAttributes.length > 0) parts.push(`${d.wrongAttributes.length} with other attributes than the item's (${list(d.wrongAttributes.map((w) => `${w.key}: index ${w.index}, table ${w.table}`))})`);
  return `${d.index ? `index ${d.index} ` : ''}group ${d.group}: ${parts.join('; ')}`;
}

export interface IndexConvergenceResult {
  converged: boolean;
  /** From the start of the wait until every index matched the table and nothing was pending. */
  timeMs: number;
  polls: number;
  /** The indexes compared (at the last poll). */
  indexes: string[];
  /** At the last comparison: items in the table, entries the indexes had to hold, and in how many groups (over all indexes). */
  tableItems: number;
  entriesExpected: number;
  groupsExpected: number;
  /** At the last comparison: the groups that differ, each naming its index. */
  differences: IndexGroupDifference[];
  /** At the end of the wait: triad_gsi_pending_updates by node ('?' for a node that did not answer). */
  pending: Record<string, number | '?'>;
  /** Why the last poll could not read the table or an index, if it could not. */
  readError?: string;
}

/** A table and every global index it has, read whole. */
export interface IndexSnapshotSource {
  snapshots(): Promise<{ name: string; shape: GlobalIndexShape; snapshot: IndexSnapshot }[]>;
}

/**
 * Polls until every index matches the table (compareGlobalIndex finds nothing) and every storage
 * node reports no index updates pending, or `timeoutMs` passes. Both are needed: the gauge only
 * counts outboxes a leader knows of, and an index that matches may still have deliveries to come.
 */
export async function awaitIndexConvergence(
  source: IndexSnapshotSource,
  pendingUpdates: () => Promise<Map<string, number | undefined>>,
  timeoutMs: number,
  pollMs = 500,
): Promise<IndexConvergenceResult> {
  const started = nowMs();
  let last: IndexComparison = { differences: [], entriesExpected: 0, groupsExpected: 0 };
  let tableItems = 0;
  let indexes: string[] = [];
  for (let polls = 1; ; polls++) {
    let readError: string | undefined;
    const [snapshots, pending] = await Promise.all([
      source.snapshots().catch((error: unknown) => {
        readError = `${(error as Error).name}: ${(error as Error).message}`;
        return undefined;
      }),
      pendingUpdates(),
    ]);
    if (snapshots) {
      last = { differences: [], entriesExpected: 0, groupsExpected: 0 };
      for (const { name, shape, snapshot } of snapshots) {
        const comparison = compareGlobalIndex(snapshot, shape);
        last.differences.push(...comparison.differences.map((d) => ({ index: name, ...d })));
        last.entriesExpected += comparison.entriesExpected;
        last.groupsExpected += comparison.groupsExpected;
        tableItems = snapshot.table.length;
      }
      indexes = snapshots.map((x) => x.name);
    }
    const view: Record<string, number | '?'> = {};
    for (const [id, n] of pending) view[id] = n ?? '?';
    const converged = snapshots !== undefined && last.differences.length === 0 && [...pending.values()].every((n) => n === 0);
    if (converged || nowMs() - started > timeoutMs) {
      return { converged, timeMs: nowMs() - started, polls, indexes, tableItems, ...last, pending: view, ...(readError ? { readError } : {}) };
    }
    await sleepUnless(pollMs, () => false);
  }
}

/** A key or group attribute as text: its string or number, else its JSON. */
function attributeText(value: Item[string] | undefined): string {
  return value?.S ?? value?.N ?? canonicalJson(value);
}

/** JSON with object keys sorted, so that equal attribute maps give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object).filter((k) => object[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(object[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// ---------------------------------------------------------------------------------------------
// failover

const WRITE_KINDS: ReadonlySet<LogicalKind> = new Set(['write', 'cas', 'delete', 'insert']);

export interface FailoverSample {
  faultId: number;
  kind: FaultKind;
  description: string;
  /** Data partitions with a replica among the fault's nodes. */
  affectedPartitions: number;
  /**
   * The longest a client waited, retrying, for a write to an affected partition during the fault:
   * from the later of the fault's start and its first attempt, to the attempt that completed.
   * Undefined when no write touched an affected partition.
   */
  writeFailoverMs?: number;
  /** The same for strong reads. */
  readFailoverMs?: number;
  /** Attempts to affected partitions during the fault that failed or ended unknown. */
  failedAttempts: number;
  /** Logical writes that gave up without any attempt completing (retry time up, or the run stopped). */
  unrecovered: number;
}

export function failoverSamples(faults: readonly FaultRecord[], history: History, ring: Ring): FailoverSample[] {
  return faults.map((fault) => {
    // The partitions recorded when the fault began (a join or decommission changes replica sets later), else those of `ring`.
    const affected = new Set<number>(fault.partitions ?? []);
    if (!fault.partitions) {
      for (let p = 0; p < ring.partitionCount; p++) {
        if (ring.replicaSet(p).some((n) => fault.nodes.includes(n.id))) affected.add(p);
      }
    }
    const endMs = fault.healedMs ?? Infinity;
    const during = history.logical.filter((op) => affected.has(op.partition) && op.firstInvokeMs <= endMs && op.endMs >= fault.startMs);
    const waited = (kinds: (k: LogicalKind) => boolean): number | undefined => {
      const ops = during.filter((op) => kinds(op.kind));
      if (ops.length === 0) return undefined;
      return Math.max(...ops.map((op) => op.endMs - Math.max(op.firstInvokeMs, fault.startMs)));
    };
    const ids = new Set(during.map((op) => op.id));
    return {
      faultId: fault.id,
      kind: fault.kind,
      description: fault.description,
      affectedPartitions: affected.size,
      writeFailoverMs: waited((k) => WRITE_KINDS.has(k)),
      readFailoverMs: waited((k) => k === 'read'),
      failedAttempts: history.operations.filter((op) => ids.has(op.logicalId) && op.ok !== true).length,
      unrecovered: during.filter((op) => WRITE_KINDS.has(op.kind) && !op.completed).length,
    };
  });
}

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

// ---------------------------------------------------------------------------------------------
// operation counts

export type OutcomeName = 'ok' | 'condition-false' | 'failed' | 'unknown';

/** Attempts by logical kind ('final-read' for the checks' reads) and outcome; a Query or Scan counts once, whatever it read. */
export function operationCounts(history: History): Record<string, Record<OutcomeName, number>> {
  const counts: Record<string, Record<OutcomeName, number>> = {};
  const counted = new Set<number>();
  for (const op of history.operations) {
    if (counted.has(op.attemptId)) continue;
    counted.add(op.attemptId);
    const kind = op.logicalId < 0 ? 'final-read' : history.logical[op.logicalId].kind;
    const outcome: OutcomeName = op.ok === 'unknown' ? 'unknown' : op.ok === false ? 'failed' : op.kind === 'cas' && op.output === false ? 'condition-false' : 'ok';
    counts[kind] ??= { ok: 0, 'condition-false': 0, failed: 0, unknown: 0 };
    counts[kind][outcome]++;
  }
  return counts;
}
