import { RegisterOperation, RegisterValue } from './history';
import { describeRegisterOperation, describeValue, registerModel } from './model';
import { RegistersState, RegistersStep, describeRegistersStep, registersModel, registersSteps } from './multi-register-model';
import { splitIntoObjects } from './objects';
import { CheckBudget, Verdict, checkOperations } from './wgl';

/** Why a key's history is not linearizable. */
export interface IllegalExplanation {
  readonly key: string;
  /** The keys checked together with it (snapshot reads tie keys into one object); just `[key]` otherwise. */
  readonly keys: readonly string[];
  /** The longest prefix of a linearization the search found, in order (a snapshot's reads one after another). */
  readonly linearizedPrefix: RegisterOperation[];
  /** An operation that had completed but could not be placed after that prefix (of a snapshot: its read of `key`). */
  readonly blockedOperation: RegisterOperation;
  /** The register `key` after the prefix (undefined: absent). */
  readonly stateAfterPrefix: RegisterValue | undefined;
  /** One paragraph for a test failure message. */
  readonly message: string;
}

export interface HistoryCheckResult {
  /** True only when every key is 'ok'. */
  readonly ok: boolean;
  /** 'illegal' if any key is, else 'unknown' if any key is, else 'ok'. */
  readonly verdict: Verdict;
  /** Keys checked together (tied by snapshot reads) share their verdict. */
  readonly perKey: Map<string, Verdict>;
  /** One entry per illegal object, under the key of its blocked operation. */
  readonly explanations: Map<string, IllegalExplanation>;
  /** Search steps over all keys. */
  readonly stepsTotal: number;
}

function assertCall(op: RegisterOperation): void {
  if (typeof op.key !== 'string') throw new Error(`operation key must be a string, got ${String(op.key)}`);
  if (op.snapshot !== undefined && op.kind !== 'read') throw new Error(`only reads belong to a snapshot, got a ${String(op.kind)} in ${JSON.stringify(op.snapshot)}`);
  switch (op.kind) {
    case 'read':
    case 'write':
    case 'delete':
      return;
    case 'cas':
      if (op.input === undefined || typeof op.input !== 'object') throw new Error('cas needs input { expected, value }');
      if (op.ok === true && typeof op.output !== 'boolean') throw new Error(`a completed cas needs a boolean output, got ${String(op.output)}`);
      return;
    default:
      throw new Error(`unknown operation kind ${String((op as { kind: unknown }).kind)}`);
  }
}

/** Budget per object: the search of each gets its own. */
export type CheckHistoryInit = CheckBudget;

/**
 * Checks a history of register operations (reads, writes, deletes, conditional writes, and reads
 * of several keys at one instant) for linearizability, object by object: linearizability is
 * compositional, so a history is linearizable exactly when each object's sub-history is. An
 * object is one key, or the keys that snapshot reads tie together (see splitIntoObjects). Objects
 * are checked in sorted order, so a run is deterministic.
 */
export function checkHistory(history: readonly RegisterOperation[], init: CheckHistoryInit = {}): HistoryCheckResult {
  for (const op of history) assertCall(op);
  const perKey = new Map<string, Verdict>();
  const explanations = new Map<string, IllegalExplanation>();
  let stepsTotal = 0;
  for (const object of splitIntoObjects(history)) {
    const result = object.keys.length === 1 ? checkOneKey(object.keys[0], object.operations, init) : checkKeys(object.keys, object.operations, init);
    stepsTotal += result.steps;
    for (const key of object.keys) perKey.set(key, result.verdict);
    if (result.explanation) explanations.set(result.explanation.key, result.explanation);
  }
  const verdicts = [...perKey.values()];
  const verdict: Verdict = verdicts.includes('illegal') ? 'illegal' : verdicts.includes('unknown') ? 'unknown' : 'ok';
  return { ok: verdict === 'ok', verdict, perKey, explanations, stepsTotal };
}

interface ObjectResult {
  verdict: Verdict;
  steps: number;
  explanation?: IllegalExplanation;
}

/** One key: a register (a snapshot read of one key is just a read). */
function checkOneKey(key: string, operations: RegisterOperation[], init: CheckBudget): ObjectResult {
  const result = checkOperations(registerModel, operations, init);
  if (result.verdict !== 'illegal') return { verdict: result.verdict, steps: result.steps };
  const prefix = result.longestPrefix as RegisterOperation[];
  const blocked = result.blocked as RegisterOperation;
  const last = prefix.length === 0 ? 'none' : describeRegisterOperation(prefix[prefix.length - 1]);
  const message =
    `key ${JSON.stringify(key)}: ${describeRegisterOperation(blocked)} cannot be placed after the longest ` +
    `linearizable prefix (${prefix.length} operations, last ${last}; register then ${describeValue(result.stateAfterPrefix)}), ` +
    `nor anywhere among the operations concurrent with it`;
  return {
    verdict: 'illegal',
    steps: result.steps,
    explanation: { key, keys: [key], linearizedPrefix: prefix, blockedOperation: blocked, stateAfterPrefix: result.stateAfterPrefix, message },
  };
}

/** Several keys tied by snapshot reads: one register each, snapshots read together. */
function checkKeys(keys: string[], operations: RegisterOperation[], init: CheckBudget): ObjectResult {
  const model = registersModel(keys);
  const result = checkOperations<RegistersState, RegistersStep>(model, registersSteps(keys, operations), init);
  if (result.verdict !== 'illegal') return { verdict: result.verdict, steps: result.steps };
  const prefix = result.longestPrefix as RegistersStep[];
  const blocked = result.blocked as RegistersStep;
  const state = result.stateAfterPrefix as RegistersState;
  const blockedOperation = blocked.kind === 'single' ? blocked.op : blocked.reads[0];
  const index = keys.indexOf(blockedOperation.key);
  const last = prefix.length === 0 ? 'none' : describeRegistersStep(prefix[prefix.length - 1], keys);
  const message =
    `key ${JSON.stringify(blockedOperation.key)} (checked with ${keys.filter((k) => k !== blockedOperation.key).map((k) => JSON.stringify(k)).join(', ')}, ` +
    `which snapshot reads tie to it): ${describeRegistersStep(blocked, keys)} cannot be placed after the longest linearizable prefix ` +
    `(${prefix.length} steps, last ${last}; registers then ${model.describeState(state)}), nor anywhere among the operations concurrent with it`;
  return {
    verdict: 'illegal',
    steps: result.steps,
    explanation: {
      key: blockedOperation.key,
      keys,
      linearizedPrefix: prefix.flatMap((s) => (s.kind === 'single' ? [s.op] : [...s.reads])),
      blockedOperation,
      stateAfterPrefix: state[index],
      message,
    },
  };
}
