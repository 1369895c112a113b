import { RegisterOperation } from './history';

/** Keys that must be checked together, and every operation on them. */
export interface CheckedObject {
  /** Sorted. One key, unless snapshot reads tie several together. */
  readonly keys: string[];
  /** In history order. */
  readonly operations: RegisterOperation[];
}

/**
 * Splits a history into the objects the checker searches one at a time. Linearizability is
 * compositional — a history is linearizable exactly when each object's sub-history is — but an
 * object is whatever one operation can touch: a snapshot read of several keys ties them into one
 * object (a register per key, read together). Only completed reads tie keys: a read that failed
 * or ended unknown is dropped by the checker and observed nothing. Objects come sorted by their
 * first key, so a run is deterministic.
 */
export function splitIntoObjects(history: readonly RegisterOperation[]): CheckedObject[] {
  const parent = new Map<string, string>();
  const find = (key: string): string => {
    let root = key;
    while (parent.get(root) !== root) root = parent.get(root) as string;
    // Path halving is not worth it at these sizes; compress the path walked.
    for (let k = key; k !== root; ) {
      const up = parent.get(k) as string;
      parent.set(k, root);
      k = up;
    }
    return root;
  };
  for (const op of history) if (!parent.has(op.key)) parent.set(op.key, op.key);
  const firstKeyOfSnapshot = new Map<string | number, string>();
  for (const op of history) {
    if (op.snapshot === undefined || op.kind !== 'read' || op.ok !== true) continue;
    const first = firstKeyOfSnapshot.get(op.snapshot);
    if (first === undefined) {
      firstKeyOfSnapshot.set(op.snapshot, op.key);
      continue;
    }
    const a = find(first);
    const b = find(op.key);
    if (a !== b) parent.set(a < b ? b : a, a < b ? a : b);
  }
  const byRoot = new Map<string, { keys: Set<string>; operations: RegisterOperation[] }>();
  for (const op of history) {
    const root = find(op.key);
    let object = byRoot.get(root);
    if (object === undefined) {
      object = { keys: new Set(), operations: [] };
      byRoot.set(root, object);
    }
    object.keys.add(op.key);
    object.operations.push(op);
  }
  return [...byRoot.values()]
    .map((o) => ({ keys: [...o.keys].sort(), operations: o.operations }))
    .sort((a, b) => (a.keys[0] < b.keys[0] ? -1 : a.keys[0] > b.keys[0] ? 1 : 0));
}
