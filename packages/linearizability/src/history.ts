/**
 * What a chaos test records: one entry per operation a client attempted.
 */

/**
 * How an operation ended. `true`: it completed and `output` is its result (a cas that found
 * another value completed too, with output false: that is a result, not a failure). `false`: it
 * definitely did not take effect (a validation error, a request refused before it was applied) —
 * the checker drops it. `'unknown'`: a timeout, a crash, a lost connection — it may or may not have
 * taken effect, at any time after its invocation.
 */
export type Outcome = true | false | 'unknown';

/** When an operation ran, and how it ended; enough for the checker to order operations. */
export interface TimedOperation {
  /** When the client sent the request (any monotonic clock shared by all clients). */
  readonly invokeMs: number;
  /** When the client got the answer; required when `ok` is true, ignored when it is 'unknown'. */
  readonly completeMs?: number;
  readonly ok: Outcome;
}

/** A register value: what a DynamoDB item or attribute looks like once parsed from JSON. */
export type RegisterValue = string | number | boolean | null | Uint8Array | readonly RegisterValue[] | { readonly [name: string]: RegisterValue };

/**
 * cas(expected, value): if the register holds `expected` (undefined: it is absent, i.e.
 * attribute_not_exists) set it to `value` (undefined: delete it) and return true, else return false.
 */
export interface CasInput {
  readonly expected: RegisterValue | undefined;
  readonly value: RegisterValue | undefined;
}

export type RegisterCall =
  /** read() returns the current value, undefined when absent. */
  | { readonly kind: 'read'; readonly input?: undefined; readonly output?: RegisterValue | undefined }
  /** write(v) sets the value. */
  | { readonly kind: 'write'; readonly input: RegisterValue; readonly output?: undefined }
  /** delete() makes the register absent. */
  | { readonly kind: 'delete'; readonly input?: undefined; readonly output?: undefined }
  | { readonly kind: 'cas'; readonly input: CasInput; readonly output?: boolean };

/** One operation on one key (one DynamoDB item) by one client. */
export type RegisterOperation = TimedOperation &
  RegisterCall & {
    /** Who issued it: only for explanations; the checker does not assume clients are sequential. */
    readonly clientId: string | number;
    /** Operations on different keys are checked independently, unless a snapshot read ties them. */
    readonly key: string;
    /**
     * Reads only: reads that carry the same snapshot id were answered at one instant (one
     * strongly consistent Query of several items, or one partition's part of a Scan), so the
     * checker places them together, as a single read of several registers. Their keys are then
     * checked as one object. Reads of one snapshot share their interval and outcome.
     */
    readonly snapshot?: string | number;
  };
