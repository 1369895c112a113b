/**
 * What a chaos run records: every attempt as one operation of the linearizability history (a
 * Query or a Scan as one read per register it covers, tied by a snapshot id when they were read at
 * one instant), and every logical operation (a client's intent, retried over several attempts)
 * for failover times.
 */
import type { RegisterOperation } from '@triad/linearizability';
import { nowMs } from './clock';
import { classifyError, splitRegisterKey, type DynamoRegister, type RangeReadResult, type Value } from './dynamo-register';

/** One attempt, as the checker sees it, plus where it went and why it failed. */
export type RecordedOperation = RegisterOperation & {
  /** The logical operation this attempt belongs to (-1 for the checks' own reads). */
  readonly logicalId: number;
  /** The attempt: the reads of one Query or Scan share it. */
  readonly attemptId: number;
  readonly partition: number;
  /** The error of a failed or unknown attempt (name, code, HTTP status). */
  readonly error?: string;
};

/** What a client meant to do; retried until an attempt completes, or it gives up. */
export type LogicalKind = 'read' | 'write' | 'cas' | 'delete' | 'insert' | 'query' | 'scan';

export interface LogicalOperation {
  readonly id: number;
  readonly clientId: string;
  readonly kind: LogicalKind;
  readonly key: string;
  readonly partition: number;
  /** When the first attempt was sent. */
  readonly firstInvokeMs: number;
  /** When the last attempt ended (the completing one, or the last before giving up). */
  endMs: number;
  attempts: number;
  /** Whether an attempt completed (a cas whose condition failed counts: the leader answered). */
  completed: boolean;
}

/** The call of one attempt, decided before it is sent. */
export type AttemptCall =
  | { kind: 'read' }
  | { kind: 'write'; value: string }
  | { kind: 'delete' }
  | { kind: 'cas'; expected: Value; value: string };

/**
 * A strong read of several registers of the range table: a Query of one group (partition key),
 * or a Scan of the whole table. `keys` are the registers the read covers (those of the groups in
 * use; a register it does not return is absent), by partition key.
 */
export type RangeReadCall = { kind: 'query'; pk: string; keys: string[] } | { kind: 'scan'; keys: Map<string, string[]> };

/** What one attempt observed, for the client's own knowledge of the key. */
export interface AttemptResult {
  ok: true | false | 'unknown';
  /** read: the value; cas: whether it applied. */
  output?: Value | boolean;
  /** A failed cas: the value the item had, if the router returned it. */
  seenValue?: Value;
  seen: boolean;
}

/**
 * The shared record of a run. Operations are appended as they end, so the history is in order of
 * completion; the checker sorts by time itself.
 */
export class History {
  readonly operations: RecordedOperation[] = [];
  readonly logical: LogicalOperation[] = [];
  private attempts = 0;

  beginLogical(clientId: string, kind: LogicalKind, key: string, partition: number): LogicalOperation {
    const op: LogicalOperation = { id: this.logical.length, clientId, kind, key, partition, firstInvokeMs: nowMs(), endMs: 0, attempts: 0, completed: false };
    this.logical.push(op);
    return op;
  }

  /** Runs one attempt against the register, records it, and reports what it saw. */
  async attempt(
    register: DynamoRegister,
    clientId: string,
    key: string,
    partition: number,
    call: AttemptCall,
    logical?: LogicalOperation,
  ): Promise<AttemptResult> {
    const base = { clientId, key, partition, logicalId: logical?.id ?? -1, attemptId: this.attempts++ };
    const invokeMs = nowMs();
    let result: AttemptResult;
    try {
      switch (call.kind) {
        case 'read': {
          const value = await register.read(key);
          this.operations.push({ ...base, kind: 'read', output: value, invokeMs, completeMs: nowMs(), ok: true });
          result = { ok: true, output: value, seen: true, seenValue: value };
          break;
        }
        case 'write':
          await register.write(key, call.value);
          this.operations.push({ ...base, kind: 'write', input: call.value, invokeMs, completeMs: nowMs(), ok: true });
          result = { ok: true, seen: true, seenValue: call.value };
          break;
        case 'delete':
          await register.delete(key);
          this.operations.push({ ...base, kind: 'delete', invokeMs, completeMs: nowMs(), ok: true });
          result = { ok: true, seen: true, seenValue: undefined };
          break;
        case 'cas':
          await register.cas(key, call.expected, call.value);
          this.operations.push({ ...base, kind: 'cas', input: { expected: call.expected, value: call.value }, output: true, invokeMs, completeMs: nowMs(), ok: true });
          result = { ok: true, output: true, seen: true, seenValue: call.value };
          break;
      }
    } catch (error) {
      const completeMs = nowMs();
      const classified = classifyError(error);
      if (classified.kind === 'condition-failed' && call.kind === 'cas') {
        this.operations.push({ ...base, kind: 'cas', input: { expected: call.expected, value: call.value }, output: false, invokeMs, completeMs, ok: true });
        result = { ok: true, output: false, seen: classified.oldValue !== undefined, seenValue: classified.oldValue };
      } else {
        const ok = classified.kind === 'failed' ? false : 'unknown';
        const errorName = classified.name;
        switch (call.kind) {
          case 'read':
            this.operations.push({ ...base, kind: 'read', invokeMs, completeMs, ok, error: errorName });
            break;
          case 'write':
            this.operations.push({ ...base, kind: 'write', input: call.value, invokeMs, completeMs, ok, error: errorName });
            break;
          case 'delete':
            this.operations.push({ ...base, kind: 'delete', invokeMs, completeMs, ok, error: errorName });
            break;
          case 'cas':
            this.operations.push({ ...base, kind: 'cas', input: { expected: call.expected, value: call.value }, invokeMs, completeMs, ok, error: errorName });
            break;
        }
        result = { ok, seen: false };
      }
    }
    if (logical) {
      logical.attempts++;
      logical.endMs = nowMs();
      if (result.ok === true) logical.completed = true;
    }
    return result;
  }

  /**
   * Runs one Query or Scan of the range table and records one read per register it covers. The
   * reads of one group get one snapshot id — one storage read of one partition answered them —
   * unless a page boundary fell inside the group (then each read stands alone: still a read of
   * that register inside the attempt's interval). A failed or unknown attempt records its reads
   * with that outcome (the checker drops them). Resolves with what was seen, by register.
   */
  async attemptRangeRead(
    register: DynamoRegister,
    clientId: string,
    call: RangeReadCall,
    partitionOf: (pk: string) => number,
    logical?: LogicalOperation,
  ): Promise<{ ok: true | false | 'unknown'; seen: Map<string, Value> }> {
    const attemptId = this.attempts++;
    const logicalId = logical?.id ?? -1;
    const groups = call.kind === 'query' ? new Map([[call.pk, call.keys]]) : call.keys;
    const invokeMs = nowMs();
    let read: RangeReadResult | undefined;
    let outcome: { ok: false | 'unknown'; error: string } | undefined;
    try {
      read = call.kind === 'query' ? await register.query(call.pk) : await register.scan();
    } catch (error) {
      const classified = classifyError(error);
      outcome = { ok: classified.kind === 'failed' ? false : 'unknown', error: classified.name };
    }
    const completeMs = nowMs();
    const seen = new Map<string, Value>();
    for (const [pk, keys] of groups) {
      const partition = partitionOf(pk);
      const atomic = read !== undefined && !read.splitGroups.has(pk);
      const snapshot = atomic ? `${attemptId}:${pk}` : undefined;
      for (const key of keys) {
        if (splitRegisterKey(key).pk !== pk) throw new Error(`register ${key} is not in group ${pk}`);
        const base = { clientId, key, partition, logicalId, attemptId, kind: 'read' as const, invokeMs };
        if (read) {
          const value = read.values.get(key);
          seen.set(key, value);
          this.operations.push({ ...base, output: value, completeMs, ok: true, ...(snapshot ? { snapshot } : {}) });
        } else {
          this.operations.push({ ...base, completeMs, ok: outcome!.ok, error: outcome!.error });
        }
      }
    }
    if (logical) {
      logical.attempts++;
      logical.endMs = nowMs();
      if (read) logical.completed = true;
    }
    return { ok: read ? true : outcome!.ok, seen };
  }

  /** Every key the history touches. */
  keys(): Set<string> {
    return new Set(this.operations.map((op) => op.key));
  }

  /** Acknowledged changes: writes and deletes that completed, and conditional writes that applied. */
  acknowledgedWrites(): RecordedOperation[] {
    return this.operations.filter((op) => op.ok === true && (op.kind === 'write' || op.kind === 'delete' || (op.kind === 'cas' && op.output === true)));
  }
}

/** The value a change leaves in the register (undefined for a delete); undefined for a read. */
export function valueWritten(op: RegisterOperation): Value {
  switch (op.kind) {
    case 'write':
      return op.input as string;
    case 'cas':
      return op.input.value as Value;
    default:
      return undefined;
  }
}

/** Whether the operation may have changed the register (a read never does; a cas that found another value did not). */
export function mayHaveWritten(op: RegisterOperation): boolean {
  if (op.ok === false || op.kind === 'read') return false;
  if (op.kind === 'cas' && op.ok === true) return op.output === true;
  return true;
}
