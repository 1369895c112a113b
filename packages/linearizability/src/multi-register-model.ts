import { RegisterOperation, RegisterValue, TimedOperation } from './history';
import { Model, describeRegisterOperation, describeValue, registerModel, valueHash, valuesEqual } from './model';

/**
 * One step of an object made of several registers (keys tied together by snapshot reads): an
 * operation on one of its keys, or every read of one snapshot, placed together.
 */
export type RegistersStep = TimedOperation &
  (
    | { readonly kind: 'single'; readonly index: number; readonly op: RegisterOperation }
    | { readonly kind: 'snapshot'; readonly snapshot: string | number; readonly indexes: readonly number[]; readonly reads: readonly RegisterOperation[] }
  );

/** The registers' values, in the order of the object's (sorted) keys; undefined: absent. */
export type RegistersState = readonly (RegisterValue | undefined)[];

/**
 * The steps of an object's history: each operation by itself, except the completed reads of a
 * snapshot, which become one step. A snapshot's instant must lie inside the interval of each of
 * its reads, so the step spans the latest invocation to the earliest completion among them (one
 * request's reads all share one interval, so this is that interval). Reads of a snapshot that did
 * not complete are left as they are (the checker drops them).
 */
export function registersSteps(keys: readonly string[], operations: readonly RegisterOperation[]): RegistersStep[] {
  const indexOf = new Map(keys.map((k, i) => [k, i]));
  const index = (op: RegisterOperation): number => {
    const i = indexOf.get(op.key);
    if (i === undefined) throw new Error(`operation on key ${JSON.stringify(op.key)}, which is not one of the object's keys`);
    return i;
  };
  const steps: RegistersStep[] = [];
  const snapshots = new Map<string | number, RegisterOperation[]>();
  for (const op of operations) {
    if (op.snapshot !== undefined && op.kind === 'read' && op.ok === true) {
      const reads = snapshots.get(op.snapshot);
      if (reads === undefined) snapshots.set(op.snapshot, [op]);
      else reads.push(op);
      continue;
    }
    steps.push({ kind: 'single', index: index(op), op, invokeMs: op.invokeMs, completeMs: op.completeMs, ok: op.ok });
  }
  for (const [snapshot, reads] of snapshots) {
    const invokeMs = Math.max(...reads.map((r) => r.invokeMs));
    const completeMs = Math.min(...reads.map((r) => r.completeMs as number));
    if (completeMs < invokeMs) {
      throw new Error(`the reads of snapshot ${JSON.stringify(snapshot)} have no instant in common: invoked up to ${invokeMs}, completed from ${completeMs}`);
    }
    // Two reads of one key in one snapshot are both checked against the one state: they must agree.
    const indexes = reads.map(index);
    steps.push({ kind: 'snapshot', snapshot, indexes, reads, invokeMs, completeMs, ok: true });
  }
  return steps;
}

/** e.g. `client 3: snapshot #7 read(a, b) → ("x", absent) [10, 12]`. */
export function describeRegistersStep(step: RegistersStep, keys: readonly string[]): string {
  if (step.kind === 'single') return `${describeRegisterOperation(step.op)} on ${JSON.stringify(keys[step.index])}`;
  const first = step.reads[0];
  const names = step.indexes.map((i) => JSON.stringify(keys[i])).join(', ');
  const values = step.reads.map((r) => describeValue(r.output)).join(', ');
  return `client ${first.clientId}: snapshot ${JSON.stringify(step.snapshot)} read(${names}) → (${values}) [${step.invokeMs}, ${step.completeMs}]`;
}

/**
 * Several registers, one per key, whose reads may be taken together at one instant (a Query or
 * a partition of a Scan). A single operation steps its register as `registerModel` does; a
 * snapshot is legal only if every register it read held exactly what it returned.
 */
export function registersModel(keys: readonly string[]): Model<RegistersState, RegistersStep> {
  return {
    init: () => keys.map(() => undefined),
    step(state, step) {
      if (step.kind === 'snapshot') {
        for (let j = 0; j < step.reads.length; j++) {
          if (!valuesEqual(state[step.indexes[j]], step.reads[j].output)) return { legal: false };
        }
        return { legal: true, state };
      }
      const result = registerModel.step(state[step.index], step.op);
      if (!result.legal) return result;
      if (result.state === state[step.index]) return { legal: true, state };
      const next = state.slice();
      next[step.index] = result.state;
      return { legal: true, state: next };
    },
    equal(a, b) {
      for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i], b[i])) return false;
      return true;
    },
    hash(state) {
      let h = 0x811c9dc5;
      for (const v of state) h = valueHash(v, h);
      return h;
    },
    readOnly: (step) => step.kind === 'snapshot' || step.op.kind === 'read',
    describeOperation: (step) => describeRegistersStep(step, keys),
    describeState: (state) => `(${keys.map((k, i) => `${JSON.stringify(k)}: ${describeValue(state[i])}`).join(', ')})`,
  };
}
