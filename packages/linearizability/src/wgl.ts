import { TimedOperation } from './history';
import { CHECK_STEPS_PER_KEY_MAX_DEFAULT, CLOCK_READ_EVERY_STEPS, OPERATIONS_PER_KEY_MAX } from './limits';
import { Model } from './model';

export type Verdict = 'ok' | 'illegal' | 'unknown';

/** How much search one object's history may cost before the answer is 'unknown'. */
export interface CheckBudget {
  /** Search steps; default CHECK_STEPS_PER_KEY_MAX_DEFAULT (2,000,000). */
  stepsMax?: number;
  /** Wall-clock budget in ms, enforced only with a `clock` (this package reads no clock itself). */
  timeMsMax?: number;
  /** Milliseconds from any fixed origin, e.g. `() => performance.now()`. */
  clock?: () => number;
}

export interface ObjectCheckResult<State, Op> {
  readonly verdict: Verdict;
  /** Search steps taken. */
  readonly steps: number;
  /** 'ok': a complete linearization (dropped operations excluded). */
  readonly linearization?: Op[];
  /** 'illegal': the longest prefix of a linearization the search found… */
  readonly longestPrefix?: Op[];
  /** …the operation that could not be placed after it, though it had completed by then… */
  readonly blocked?: Op;
  /** …and the state after the prefix. */
  readonly stateAfterPrefix?: State;
}

const NIL = -1;
/** Bound once: a global lookup per call is slow inside jest's vm context. */
const imul = Math.imul;

/** A per-operation 32-bit value: the XOR of a set's members is the set's hash, updatable in O(1). */
function memberHash(i: number): number {
  let h = imul(i + 1, 0x9e3779b1);
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

interface MemoEntry<State> {
  readonly linearized: Uint32Array;
  readonly state: State;
}

function assertTiming(op: TimedOperation): void {
  if (typeof op.invokeMs !== 'number' || !Number.isFinite(op.invokeMs)) {
    throw new Error(`invokeMs must be a finite number, got ${String(op.invokeMs)}`);
  }
  if (op.ok === true) {
    if (typeof op.completeMs !== 'number' || !Number.isFinite(op.completeMs) || op.completeMs < op.invokeMs) {
      throw new Error(`a completed operation needs completeMs >= invokeMs (${op.invokeMs}), got ${String(op.completeMs)}`);
    }
  } else if (op.ok !== 'unknown' && op.ok !== false) {
    throw new Error(`ok must be true, false or 'unknown', got ${String(op.ok)}`);
  }
}

/**
 * Checks one object's history against a sequential model: the Wing & Gong search with Lowe's
 * memoisation, as in Porcupine. Operations are turned into call and return events sorted by time
 * (a call before a return at equal times, so touching intervals count as concurrent) and kept in
 * a doubly linked list. The search walks the list: at a call it tries to linearize that operation
 * next (the model accepts its output from the current state, and the configuration — set of
 * linearized operations plus state — has not been explored before), removing its call and return
 * from the list and restarting from the head; at a return it has met an operation that completed
 * before any remaining one could be placed, so it backtracks the last choice. An empty list is a
 * linearization; backtracking past the first choice proves there is none.
 *
 * Operations with `ok: false` are dropped; those with `ok: 'unknown'` return at +∞; unknown
 * read-only operations are dropped (they neither change the state nor were observed).
 */
export function checkOperations<State, Op extends TimedOperation>(
  model: Model<State, Op>,
  history: readonly Op[],
  budget: CheckBudget = {},
): ObjectCheckResult<State, Op> {
  for (const op of history) assertTiming(op);
  const ops = history.filter((op) => op.ok === true || (op.ok === 'unknown' && !model.readOnly(op)));
  const n = ops.length;
  if (n > OPERATIONS_PER_KEY_MAX) throw new Error(`at most ${OPERATIONS_PER_KEY_MAX} operations per object, got ${n}`);
  const stepsMax = budget.stepsMax ?? CHECK_STEPS_PER_KEY_MAX_DEFAULT;
  const clock = budget.clock;
  const deadlineMs = clock !== undefined && budget.timeMsMax !== undefined ? clock() + budget.timeMsMax : Infinity;

  // Events: e < n is the call of operation e, e >= n the return of operation e - n.
  const time = (e: number): number => {
    if (e < n) return ops[e].invokeMs;
    const op = ops[e - n];
    return op.ok === 'unknown' ? Infinity : (op.completeMs as number);
  };
  const events = Array.from({ length: 2 * n }, (_, e) => e);
  events.sort((a, b) => {
    const ta = time(a);
    const tb = time(b);
    if (ta !== tb) return ta < tb ? -1 : 1;
    const ra = a >= n ? 1 : 0;
    const rb = b >= n ? 1 : 0;
    if (ra !== rb) return ra - rb; // calls first
    return a - b;
  });

  // The linked list over positions 0..2n-1 in time order; HEAD = 2n is a sentinel before them.
  const HEAD = 2 * n;
  const next = new Int32Array(2 * n + 1);
  const prev = new Int32Array(2 * n + 1);
  const opAt = new Int32Array(2 * n); // position → operation
  const isCall = new Uint8Array(2 * n);
  const returnPos = new Int32Array(n); // operation → position of its return
  for (let p = 0; p < 2 * n; p++) {
    const e = events[p];
    isCall[p] = e < n ? 1 : 0;
    opAt[p] = e < n ? e : e - n;
    if (e >= n) returnPos[e - n] = p;
    next[p] = p + 1 < 2 * n ? p + 1 : NIL;
    prev[p] = p === 0 ? HEAD : p - 1;
  }
  next[HEAD] = n === 0 ? NIL : 0;
  prev[HEAD] = NIL;

  const unlink = (p: number): void => {
    next[prev[p]] = next[p];
    if (next[p] !== NIL) prev[next[p]] = prev[p];
  };
  const relink = (p: number): void => {
    next[prev[p]] = p;
    if (next[p] !== NIL) prev[next[p]] = p;
  };
  // Dancing links: remove call then return; restore in the reverse order.
  const lift = (callPos: number): void => {
    unlink(callPos);
    unlink(returnPos[opAt[callPos]]);
  };
  const unlift = (callPos: number): void => {
    relink(returnPos[opAt[callPos]]);
    relink(callPos);
  };

  const linearized = new Uint32Array((n + 31) >>> 5);
  let setHash = 0;
  const memo = new Map<number, MemoEntry<State>[]>();
  const memoKey = (h: number, state: State): number => (h ^ imul(model.hash(state), 0x27d4eb2f)) | 0;
  const seen = (key: number, state: State): boolean => {
    const bucket = memo.get(key);
    if (bucket === undefined) return false;
    for (const m of bucket) {
      if (!model.equal(m.state, state)) continue;
      let same = true;
      for (let w = 0; w < linearized.length && same; w++) same = m.linearized[w] === linearized[w];
      if (same) return true;
    }
    return false;
  };
  const remember = (key: number, state: State): void => {
    const entry = { linearized: linearized.slice(), state };
    const bucket = memo.get(key);
    if (bucket === undefined) memo.set(key, [entry]);
    else bucket.push(entry);
  };

  /** The choices made so far: position of each linearized call, and the state before it. */
  const stackPos: number[] = [];
  const stackState: State[] = [];
  let state = model.init();
  let best: { prefix: number[]; blocked: number; state: State } | undefined;
  let steps = 0;

  let p = next[HEAD];
  while (next[HEAD] !== NIL) {
    steps++;
    if (steps > stepsMax || (clock !== undefined && steps % CLOCK_READ_EVERY_STEPS === 0 && clock() > deadlineMs)) {
      return { verdict: 'unknown', steps };
    }
    if (isCall[p] === 1) {
      const i = opAt[p];
      const result = model.step(state, ops[i]);
      let placed = false;
      if (result.legal) {
        const bit = 1 << (i & 31);
        linearized[i >>> 5] |= bit;
        const h = setHash ^ memberHash(i);
        const key = memoKey(h, result.state);
        if (!seen(key, result.state)) {
          remember(key, result.state);
          stackPos.push(p);
          stackState.push(state);
          state = result.state;
          setHash = h;
          lift(p);
          p = next[HEAD];
          placed = true;
        } else {
          linearized[i >>> 5] &= ~bit;
        }
      }
      if (!placed) p = next[p];
    } else {
      // Operation opAt[p] completed before any remaining operation could be placed.
      if (best === undefined || stackPos.length > best.prefix.length) {
        best = { prefix: stackPos.map((q) => opAt[q]), blocked: opAt[p], state };
      }
      if (stackPos.length === 0) {
        return {
          verdict: 'illegal',
          steps,
          longestPrefix: best.prefix.map((i) => ops[i]),
          blocked: ops[best.blocked],
          stateAfterPrefix: best.state,
        };
      }
      const q = stackPos.pop() as number;
      state = stackState.pop() as State;
      const i = opAt[q];
      linearized[i >>> 5] &= ~(1 << (i & 31));
      setHash ^= memberHash(i);
      unlift(q);
      p = next[q];
    }
  }
  return { verdict: 'ok', steps, linearization: stackPos.map((q) => ops[opAt[q]]) };
}
