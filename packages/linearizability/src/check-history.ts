import { RegisterOperation, RegisterValue } from './history';
import { describeRegisterOperation, describeValue, registerModel } from './model';
import { CheckBudget, Verdict, checkOperations } from './wgl';

/** Why a key's history is not linearizable. */
export interface IllegalExplanation {
  readonly key: string;
  /** The longest prefix of a linearization the search found, in order. */
  readonly linearizedPrefix: RegisterOperation[];
  /** An operation that had completed but could not be placed after that prefix. */
  readonly blockedOperation: RegisterOperation;
  /** The register after the prefix (undefined: absent). */
  readonly stateAfterPrefix: RegisterValue | undefined;
  /** One paragraph for a test failure message. */
  readonly message: string;
}

export interface HistoryCheckResult {
  /** True only when every key is 'ok'. */
  readonly ok: boolean;
  /** 'illegal' if any key is, else 'unknown' if any key is, else 'ok'. */
  readonly verdict: Verdict;
  readonly perKey: Map<string, Verdict>;
  /** One entry per illegal key. */
  readonly explanations: Map<string, IllegalExplanation>;
  /** Search steps over all keys. */
  readonly stepsTotal: number;
}

function assertCall(op: RegisterOperation): void {
  if (typeof op.key !== 'string') throw new Error(`operation key must be a string, got ${String(op.key)}`);
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

/** Budget per key: the search of each key gets its own. */
export type CheckHistoryInit = CheckBudget;

/**
 * Checks a history of register operations (reads, writes, deletes, conditional writes) for
 * linearizability, key by key: linearizability is compositional, so a history is linearizable
 * exactly when each key's sub-history is. Keys are checked in sorted order, so a run is
 * deterministic.
 */
export function checkHistory(history: readonly RegisterOperation[], init: CheckHistoryInit = {}): HistoryCheckResult {
  const byKey = new Map<string, RegisterOperation[]>();
  for (const op of history) {
    assertCall(op);
    const list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, [op]);
    else list.push(op);
  }
  const perKey = new Map<string, Verdict>();
  const explanations = new Map<string, IllegalExplanation>();
  let stepsTotal = 0;
  for (const key of [...byKey.keys()].sort()) {
    const result = checkOperations(registerModel, byKey.get(key) as RegisterOperation[], init);
    stepsTotal += result.steps;
    perKey.set(key, result.verdict);
    if (result.verdict === 'illegal') {
      const prefix = result.longestPrefix as RegisterOperation[];
      const blocked = result.blocked as RegisterOperation;
      const last = prefix.length === 0 ? 'none' : describeRegisterOperation(prefix[prefix.length - 1]);
      const message =
        `key ${JSON.stringify(key)}: ${describeRegisterOperation(blocked)} cannot be placed after the longest ` +
        `linearizable prefix (${prefix.length} operations, last ${last}; register then ${describeValue(result.stateAfterPrefix)}), ` +
        `nor anywhere among the operations concurrent with it`;
      explanations.set(key, { key, linearizedPrefix: prefix, blockedOperation: blocked, stateAfterPrefix: result.stateAfterPrefix, message });
    }
  }
  const verdicts = [...perKey.values()];
  const verdict: Verdict = verdicts.includes('illegal') ? 'illegal' : verdicts.includes('unknown') ? 'unknown' : 'ok';
  return { ok: verdict === 'ok', verdict, perKey, explanations, stepsTotal };
}
