/**
 * The history of a set of independent registers (one item per key) as clients saw it: writes with
 * their outcome and strong reads with what they returned, each with its start and end time on one
 * monotonic clock. Pure: the tests record, `checkRegisterHistory` judges.
 *
 * Writes of one key never overlap in these tests (each starts after the previous one ended) and
 * every write puts a value no other write of that key puts, so a read's value names the write it
 * saw. That makes linearizability of one key a matter of three rules, checked per read:
 *   - no read returns a value that was never written, or one whose write had not yet started;
 *   - no read returns a value older than a write acknowledged before the read started (stale);
 *   - reads never go back: a read that starts after another ended returns the same write or a
 *     later one. A write with an unknown outcome may take effect late — a read may see it after
 *     an earlier read did not — but once seen (or once a later write is seen) it may not vanish.
 */

/** An item's value; null when the item does not exist. */
export type Value = string | null;

/** ok: acknowledged. unknown: no answer, or a 5xx (it may or may not have taken effect). refused: a 4xx, which must have had no effect. */
export type WriteOutcome = 'ok' | 'unknown' | 'refused';

export interface WriteRecord {
  key: string;
  value: Value;
  startMs: number;
  /** Infinity while pending (a write never answered is unknown). */
  endMs: number;
  outcome: WriteOutcome | 'pending';
}

export interface ReadRecord {
  key: string;
  value: Value;
  startMs: number;
  endMs: number;
  /** How the value was read (GetItem, Query, Scan), for messages. */
  via: string;
}

export class RegisterHistory {
  readonly writes: WriteRecord[] = [];
  readonly reads: ReadRecord[] = [];

  /** Records a write's start; settle it with `end`. */
  begin(key: string, value: Value, startMs: number): WriteRecord {
    const previous = this.lastWrite(key);
    if (previous && previous.endMs === Infinity) throw new Error(`a write of ${key} starts while another is pending: the checks need them one at a time`);
    if (this.writes.some((w) => w.key === key && w.value === value)) throw new Error(`value ${String(value)} written twice to ${key}`);
    const record: WriteRecord = { key, value, startMs, endMs: Infinity, outcome: 'pending' };
    this.writes.push(record);
    return record;
  }

  end(record: WriteRecord, outcome: WriteOutcome, endMs: number): void {
    record.outcome = outcome;
    record.endMs = endMs;
  }

  read(record: ReadRecord): void {
    this.reads.push(record);
  }

  lastWrite(key: string): WriteRecord | undefined {
    for (let i = this.writes.length - 1; i >= 0; i--) if (this.writes[i].key === key) return this.writes[i];
    return undefined;
  }

  /** The value of the last acknowledged write of the key (null if none). */
  acknowledgedValue(key: string): Value {
    for (let i = this.writes.length - 1; i >= 0; i--) {
      const w = this.writes[i];
      if (w.key === key && w.outcome === 'ok') return w.value;
    }
    return null;
  }

  keys(): string[] {
    return [...new Set([...this.writes.map((w) => w.key), ...this.reads.map((r) => r.key)])].sort();
  }
}

const show = (value: Value) => (value === null ? 'no item' : JSON.stringify(value));

/**
 * Every violation of the rules above, one line each (at most `perKeyMax` per key), empty when the
 * history is linearizable per key. Items absent at the start are the initial state of every key.
 * Times in messages are seconds since `originMs`.
 */
export function checkRegisterHistory(history: RegisterHistory, options: { perKeyMax?: number; originMs?: number } = {}): string[] {
  const perKeyMax = options.perKeyMax ?? 5;
  const violations: string[] = [];
  for (const [key, found] of violationsByKey(history, options.originMs ?? 0)) {
    violations.push(...found.slice(0, perKeyMax));
    if (found.length > perKeyMax) violations.push(`${key}: ${found.length - perKeyMax} more`);
  }
  return violations;
}

/** The keys whose history breaks a rule above. */
export function keysWithViolations(history: RegisterHistory): string[] {
  return [...violationsByKey(history, 0).keys()];
}

/** Every violation, by key (only keys with some). */
function violationsByKey(history: RegisterHistory, originMs: number): Map<string, string[]> {
  const at = (ms: number) => `${((ms - originMs) / 1000).toFixed(3)} s`;
  const violations = new Map<string, string[]>();
  for (const key of history.keys()) {
    // Index 0: the initial state (no item), "written" before anything and acknowledged.
    const writes = [
      { key, value: null as Value, startMs: -Infinity, endMs: -Infinity, outcome: 'ok' as const },
      ...history.writes.filter((w) => w.key === key && w.outcome !== 'refused'),
    ];
    const refused = history.writes.filter((w) => w.key === key && w.outcome === 'refused');
    const reads = history.reads.filter((r) => r.key === key).sort((a, b) => a.startMs - b.startMs);
    const indexOf = (value: Value) => {
      // The latest write of that value: null may be the initial state or (in principle) a later delete.
      for (let i = writes.length - 1; i >= 0; i--) if (writes[i].value === value) return i;
      return -1;
    };
    const found: string[] = [];
    for (const read of reads) {
      const i = indexOf(read.value);
      const what = `${key}: ${read.via} [${at(read.startMs)}, ${at(read.endMs)}] returned ${show(read.value)}`;
      if (i < 0) {
        const wasRefused = refused.some((w) => w.value === read.value);
        found.push(`${what}, ${wasRefused ? 'the value of a write that was refused (it must have had no effect)' : 'a value never written'}`);
        continue;
      }
      if (writes[i].startMs > read.endMs) {
        found.push(`${what}, whose write started only at ${at(writes[i].startMs)}`);
        continue;
      }
      // The latest write acknowledged before the read began, if it is newer than what the read saw.
      let newer = -1;
      for (let j = writes.length - 1; j > i && newer < 0; j--) if (writes[j].outcome === 'ok' && writes[j].endMs < read.startMs) newer = j;
      if (newer > 0) {
        found.push(`${what}: stale, ${show(writes[newer].value)} was acknowledged at ${at(writes[newer].endMs)}`);
        continue;
      }
      // Reads that ended before this one started must not have seen a later write.
      const earlier = reads.filter((r) => r.endMs < read.startMs).map((r) => ({ r, j: indexOf(r.value) }));
      const ahead = earlier.filter((e) => e.j > i).sort((a, b) => b.j - a.j)[0];
      if (ahead) {
        found.push(`${what} after ${ahead.r.via} [${at(ahead.r.startMs)}, ${at(ahead.r.endMs)}] had returned ${show(ahead.r.value)}: the value went back`);
      }
    }
    if (found.length > 0) violations.set(key, found);
  }
  return violations;
}
