import { RegisterOperation, RegisterValue } from './history';
import { DESCRIPTION_CHARS_MAX } from './limits';

export type StepResult<State> = { readonly legal: true; readonly state: State } | { readonly legal: false };

/**
 * A sequential specification: what one object does when operations run one at a time. The
 * checker searches for an order of the history's operations, consistent with real time, in which
 * this specification explains every observed output.
 */
export interface Model<State, Op> {
  init(): State;
  /**
   * Runs `op` against `state`. For an operation with a known outcome, legal only if the
   * specification produces the observed output from this state. For one with an unknown outcome
   * (`ok: 'unknown'`), always legal: the specification's effect applies, and whatever it would
   * have returned is unobserved. ("It never took effect" needs no special case: the checker may
   * place it after everything else, where its effect is invisible.)
   */
  step(state: State, op: Op): StepResult<State>;
  equal(a: State, b: State): boolean;
  /** Consistent with `equal`; speeds up the memo of visited configurations. */
  hash(state: State): number;
  /** True for an operation that never changes the state (a read): one with an unknown outcome can be dropped. */
  readOnly(op: Op): boolean;
  describeOperation(op: Op): string;
  describeState(state: State): string;
}

/** Bound once: a global lookup per call is slow inside jest's vm context, and hashing is hot. */
const imul = Math.imul;

/** Structural equality of register values; undefined means absent and equals only itself. */
export function valuesEqual(a: RegisterValue | undefined, b: RegisterValue | undefined): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return a !== a && b !== b; // NaN
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i] as RegisterValue, b[i] as RegisterValue)) return false;
    return true;
  }
  const ao = a as { readonly [name: string]: RegisterValue };
  const bo = b as { readonly [name: string]: RegisterValue };
  const keys = Object.keys(ao);
  if (keys.length !== Object.keys(bo).length) return false;
  for (const k of keys) {
    if (!Object.prototype.hasOwnProperty.call(bo, k) || !valuesEqual(ao[k], bo[k])) return false;
  }
  return true;
}

function hashString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** A 32-bit hash consistent with valuesEqual (object keys are hashed in sorted order). */
export function valueHash(v: RegisterValue | undefined, h = 0x811c9dc5): number {
  if (v === undefined) return imul(h ^ 0x75, 0x01000193);
  if (v === null) return imul(h ^ 0x6e, 0x01000193);
  switch (typeof v) {
    case 'string':
      return hashString(imul(h ^ 0x73, 0x01000193), v);
    case 'number':
      return hashString(imul(h ^ 0x64, 0x01000193), v !== v ? 'NaN' : String(v));
    case 'boolean':
      return imul(h ^ (v ? 0x74 : 0x66), 0x01000193);
  }
  if (v instanceof Uint8Array) {
    h = imul(h ^ 0x62, 0x01000193);
    for (let i = 0; i < v.length; i++) h = imul(h ^ v[i], 0x01000193);
    return h;
  }
  if (Array.isArray(v)) {
    h = imul(h ^ 0x5b, 0x01000193);
    for (const x of v as readonly RegisterValue[]) h = valueHash(x, h);
    return imul(h ^ 0x5d, 0x01000193);
  }
  const o = v as { readonly [name: string]: RegisterValue };
  h = imul(h ^ 0x7b, 0x01000193);
  for (const k of Object.keys(o).sort()) h = valueHash(o[k], hashString(h, k));
  return imul(h ^ 0x7d, 0x01000193);
}

function clip(s: string): string {
  return s.length <= DESCRIPTION_CHARS_MAX ? s : `${s.slice(0, DESCRIPTION_CHARS_MAX - 1)}…`;
}

/** A value for humans: JSON, bytes in hex, undefined as "absent". */
export function describeValue(v: RegisterValue | undefined): string {
  if (v === undefined) return 'absent';
  return clip(
    JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? `0x${Array.from(x, (b) => b.toString(16).padStart(2, '0')).join('')}` : x)),
  );
}

function describeTime(op: RegisterOperation): string {
  const end = op.ok === 'unknown' ? '?' : String(op.completeMs);
  return `[${op.invokeMs}, ${end}]`;
}

/** e.g. `client 3: cas(absent → "b") → true [10, 12]`; a read of a snapshot names it. */
export function describeRegisterOperation(op: RegisterOperation): string {
  let call: string;
  let result: string;
  switch (op.kind) {
    case 'read':
      call = 'read()';
      result = describeValue(op.output);
      break;
    case 'write':
      call = `write(${describeValue(op.input)})`;
      result = 'ok';
      break;
    case 'delete':
      call = 'delete()';
      result = 'ok';
      break;
    case 'cas':
      call = `cas(${describeValue(op.input.expected)} → ${describeValue(op.input.value)})`;
      result = String(op.output);
      break;
  }
  if (op.ok === 'unknown') result = 'unknown';
  const snapshot = op.snapshot === undefined ? '' : ` in snapshot ${JSON.stringify(op.snapshot)}`;
  return `client ${op.clientId}: ${call} → ${result} ${describeTime(op)}${snapshot}`;
}

/**
 * A register per key: write sets, delete makes absent, read returns the value, cas(expected, v)
 * is a conditional write (DynamoDB's ConditionExpression on one item, with attribute_not_exists
 * as expected = undefined).
 */
export const registerModel: Model<RegisterValue | undefined, RegisterOperation> = {
  init: () => undefined,
  step(state, op) {
    const known = op.ok !== 'unknown';
    switch (op.kind) {
      case 'read':
        return !known || valuesEqual(state, op.output) ? { legal: true, state } : { legal: false };
      case 'write':
        return { legal: true, state: op.input };
      case 'delete':
        return { legal: true, state: undefined };
      case 'cas': {
        const matches = valuesEqual(state, op.input.expected);
        if (known && op.output !== matches) return { legal: false };
        return { legal: true, state: matches ? op.input.value : state };
      }
    }
  },
  equal: valuesEqual,
  hash: (state) => valueHash(state),
  readOnly: (op) => op.kind === 'read',
  describeOperation: describeRegisterOperation,
  describeState: describeValue,
};
