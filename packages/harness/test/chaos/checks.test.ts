/**
 * The chaos checks' own logic on hand-written histories (no cluster): the final-value check, the
 * reduced-history shortcut of the linearizability check, the global index comparison, failover
 * samples, outcome classes. (That the index comparison reports missing and stale entries is in
 * checker-detects-violation.test.ts.)
 */
import { Ring } from '@triad/ring';
import { checkFinalValues, checkLinearizability, compareGlobalIndex, describeIndexDifference, failoverSamples, operationCounts, withoutUnobservedUnknownWrites } from '../../src/chaos/checks';
import { classifyError, splitRegisterKey, valueOf } from '../../src/chaos/dynamo-register';
import type { FaultRecord } from '../../src/chaos/faults';
import { INDEX_SHAPE, type Item } from '../../src/chaos/global-index-workload';
import { History, type RecordedOperation } from '../../src/chaos/history';

let next = 0;
const base = (key: string, invokeMs: number, completeMs: number | undefined, clientId = 'c1') => ({ clientId, key, partition: 0, logicalId: next, attemptId: next++, invokeMs, completeMs });
const write = (key: string, value: string, t0: number, t1: number, ok: true | 'unknown' = true): RecordedOperation => ({ ...base(key, t0, t1), kind: 'write', input: value, ok });
const read = (key: string, value: string | undefined, t0: number, t1: number): RecordedOperation => ({ ...base(key, t0, t1), kind: 'read', output: value, ok: true });
const cas = (key: string, expected: string | undefined, value: string, output: boolean | undefined, t0: number, t1: number): RecordedOperation => ({
  ...base(key, t0, t1),
  kind: 'cas',
  input: { expected, value },
  output,
  ok: output === undefined ? 'unknown' : true,
});

function historyOf(ops: RecordedOperation[]): History {
  const h = new History();
  h.operations.push(...ops);
  return h;
}

describe('checkFinalValues', () => {
  test('the last acknowledged write, or one that may follow it, is a legal final value', () => {
    const ops = [write('k', 'a', 0, 10), write('k', 'b', 20, 30), write('k', 'c', 25, 40, 'unknown')];
    expect(checkFinalValues(ops, new Map([['k', 'b']]))).toEqual([]);
    expect(checkFinalValues(ops, new Map([['k', 'c']]))).toEqual([]);
  });

  test('a value from before the last acknowledged write is a lost write', () => {
    const ops = [write('k', 'a', 0, 10), write('k', 'b', 20, 30)];
    const problems = checkFinalValues(ops, new Map([['k', 'a']]));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/write\("b"\).*lost or rolled back/);
  });

  test('a write concurrent with the last acknowledged one may win', () => {
    const ops = [write('k', 'a', 0, 25), write('k', 'b', 20, 30)];
    expect(checkFinalValues(ops, new Map([['k', 'a']]))).toEqual([]);
  });

  test('absence after an acknowledged write, with no delete, is a lost write', () => {
    expect(checkFinalValues([write('k', 'a', 0, 10)], new Map([['k', undefined]]))).toHaveLength(1);
  });

  test('a value written only by a cas that reported false is named', () => {
    const ops = [write('k', 'a', 0, 10), cas('k', 'x', 'b', false, 20, 30)];
    const problems = checkFinalValues(ops, new Map([['k', 'b']]));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/which no operation wrote — but client c1: cas\("x" → "b"\) → false .* reported that it did not take effect, and it did/);
  });
});

describe('checkLinearizability', () => {
  test('unobserved unknown writes are left out of the first pass only', () => {
    const ops = [write('k', 'a', 0, 10), write('k', 'u', 12, 14, 'unknown'), read('k', 'a', 20, 30)];
    expect(withoutUnobservedUnknownWrites(ops).map((op) => op.kind)).toEqual(['write', 'read']);
    // Observed: kept.
    const observed = [...ops, read('k', 'u', 40, 50)];
    expect(withoutUnobservedUnknownWrites(observed)).toHaveLength(4);
    expect(checkLinearizability(historyOf(observed)).verdict).toBe('ok');
  });

  test('a failed cas that only an unknown write explains is legal (the full check runs when the reduced one fails)', () => {
    // cas(a → b) fails although the last known value is a: only the unknown write of u explains it.
    const ops = [write('k', 'a', 0, 10), write('k', 'u', 12, 14, 'unknown'), cas('k', 'a', 'b', false, 20, 30)];
    const result = checkLinearizability(historyOf(ops));
    expect(result.verdict).toBe('ok');
  });

  test('a stale read is illegal, with an explanation naming it', () => {
    const ops = [write('k', 'a', 0, 10), write('k', 'b', 20, 30), read('k', 'a', 40, 50)];
    const result = checkLinearizability(historyOf(ops));
    expect(result.verdict).toBe('illegal');
    expect(result.illegalKeys).toEqual(['k']);
    expect(result.explanations[0]).toMatch(/>> client c1: read\(\) → "a" \[40, 50\]/);
  });
});

describe('checkLinearizability with Query and Scan reads (snapshots)', () => {
  const snapshotRead = (key: string, value: string | undefined, t0: number, t1: number, snapshot: string, attemptId: number): RecordedOperation => ({
    ...base(key, t0, t1, 'q1'),
    attemptId,
    kind: 'read',
    output: value,
    ok: true,
    snapshot,
  });

  test('a Query that saw a later write on one item but not an earlier one on another is a violation, explained over both keys', () => {
    const ops = [
      write('g#s0', 'a', 0, 10),
      write('g#s1', 'b', 20, 30),
      snapshotRead('g#s0', undefined, 5, 40, '7:g', 7),
      snapshotRead('g#s1', 'b', 5, 40, '7:g', 7),
    ];
    const result = checkLinearizability(historyOf(ops));
    expect(result.verdict).toBe('illegal');
    expect(result.illegalKeys.sort()).toEqual(['g#s0', 'g#s1']);
    expect(result.explanations[0]).toMatch(/snapshot "7:g" read\("g#s0", "g#s1"\) → \(absent, "b"\)/);
    expect(result.explanations[0]).toMatch(/operations on the keys g#s0, g#s1/);
    // The same reads taken one at a time (a Query whose pages split the group) are legal.
    expect(checkLinearizability(historyOf(ops.map((op) => ({ ...op, snapshot: undefined })))).verdict).toBe('ok');
  });

  test('a Query counts as one attempt, whatever it read', () => {
    const h = historyOf([snapshotRead('g#s0', undefined, 5, 40, '8:g', 8), snapshotRead('g#s1', 'b', 5, 40, '8:g', 8)]);
    h.logical.push({ id: 0, clientId: 'q1', kind: 'query', key: 'g', partition: 0, firstInvokeMs: 5, endMs: 40, attempts: 1, completed: true });
    (h.operations as { logicalId: number }[]).forEach((op) => (op.logicalId = 0));
    expect(operationCounts(h)).toEqual({ query: { ok: 1, 'condition-false': 0, failed: 0, unknown: 0 } });
  });
});

describe('compareGlobalIndex', () => {
  const item = (pk: string, grp?: string, rank?: number, v?: string, x?: string): Item => ({
    pk: { S: pk },
    ...(grp !== undefined ? { grp: { S: grp } } : {}),
    ...(rank !== undefined ? { rank: { N: String(rank) } } : {}),
    ...(v !== undefined ? { v: { S: v } } : {}),
    ...(x !== undefined ? { x: { S: x } } : {}),
  });
  /** What the index holds of an item: keys and `v`, never `x`. */
  const entry = (pk: string, grp: string, rank: number, v?: string): Item => item(pk, grp, rank, v);

  test('an index holding exactly the projections of the indexed items agrees, whatever the order of entries', () => {
    const table = [item('a', 'g1', 3, 'va', 'xa'), item('b', 'g1', 1, 'vb'), item('c', 'g2', 0, undefined, 'xc'), item('d', undefined, 5, 'vd'), item('e', 'g2')];
    const index = new Map([
      ['g1', [entry('b', 'g1', 1, 'vb'), entry('a', 'g1', 3, 'va')]],
      ['g2', [entry('c', 'g2', 0)]],
      ['g3', []],
    ]);
    // d has no group and e no rank: the index is sparse, neither has an entry.
    expect(compareGlobalIndex({ table, index }, INDEX_SHAPE)).toEqual({ differences: [], entriesExpected: 3, groupsExpected: 2 });
  });

  test('an item listed twice, and an entry with an old projected value, are reported', () => {
    const table = [item('a', 'g1', 3, 'new'), item('b', 'g1', 1, 'vb')];
    // a's entry of rank 2 was left behind when it moved to rank 3 (a different index key); b's still holds an old v.
    const index = new Map([['g1', [entry('b', 'g1', 1, 'old'), entry('a', 'g1', 2, 'new'), entry('a', 'g1', 3, 'new')]]]);
    const [d] = compareGlobalIndex({ table, index }, INDEX_SHAPE).differences;
    expect(d.duplicated).toEqual(['a']);
    expect(d.wrongAttributes.map((w) => w.key)).toEqual(['a', 'b']);
    expect(d.wrongAttributes[1]).toEqual({ key: 'b', index: '{"grp":{"S":"g1"},"pk":{"S":"b"},"rank":{"N":"1"},"v":{"S":"old"}}', table: '{"grp":{"S":"g1"},"pk":{"S":"b"},"rank":{"N":"1"},"v":{"S":"vb"}}' });
    expect(describeIndexDifference(d)).toMatch(/^group g1: 1 listed twice or more \(a\); 2 with other attributes than the item's \(a: index .*"N":"2".*, b: index/);
  });

  test('an entry holding an attribute outside the projection is reported', () => {
    const table = [item('a', 'g1', 3, 'va', 'xa')];
    const index = new Map([['g1', [item('a', 'g1', 3, 'va', 'xa')]]]);
    expect(compareGlobalIndex({ table, index }, INDEX_SHAPE).differences[0].wrongAttributes).toHaveLength(1);
  });

  test('stale entries say where the item is now', () => {
    const table = [item('moved', 'g2', 1), item('ungrouped', undefined, 1)];
    const index = new Map([
      ['g1', [entry('moved', 'g1', 1), entry('ungrouped', 'g1', 1), entry('gone', 'g1', 1)]],
      ['g2', [entry('moved', 'g2', 1)]],
    ]);
    const { differences } = compareGlobalIndex({ table, index }, INDEX_SHAPE);
    expect(differences.map((d) => d.group)).toEqual(['g1']);
    expect(differences[0].stale).toEqual([
      { key: 'gone', now: 'deleted' },
      { key: 'moved', now: 'in g2' },
      { key: 'ungrouped', now: 'without grp' },
    ]);
  });

  test('a long list of keys is cut short in the description', () => {
    const table = Array.from({ length: 8 }, (_, i) => item(`k${i}`, 'g1', i));
    const [d] = compareGlobalIndex({ table, index: new Map([['g1', []]]) }, INDEX_SHAPE).differences;
    expect(describeIndexDifference(d, 3)).toBe('group g1: 8 missing (k0, k1, k2, … (5 more))');
  });
});

describe('failoverSamples', () => {
  test('the longest wait of a write to an affected partition during the fault', () => {
    const layout = {
      partitionCount: 2,
      storageNodes: [
        { id: 'n-a', zone: 'a', address: 'h:1' },
        { id: 'n-b', zone: 'b', address: 'h:2' },
        { id: 'n-c', zone: 'c', address: 'h:3' },
      ],
    };
    const ring = new Ring(layout);
    const history = new History();
    const slow = history.beginLogical('c1', 'write', 'k1', 0);
    Object.assign(slow, { firstInvokeMs: 900, endMs: 4_000, attempts: 3, completed: true });
    const fast = history.beginLogical('c2', 'write', 'k2', 1);
    Object.assign(fast, { firstInvokeMs: 1_500, endMs: 1_520, attempts: 1, completed: true });
    const fault: FaultRecord = { id: 1, kind: 'kill', nodes: ['n-a'], description: 'kill -9 n-a', wallClockStart: '', startMs: 1_000, healedMs: 5_000 };
    const [sample] = failoverSamples([fault], history, ring);
    expect(sample.affectedPartitions).toBe(2);
    expect(sample.writeFailoverMs).toBe(3_000);
    expect(sample.unrecovered).toBe(0);
  });
});

describe('classifyError', () => {
  const sdkError = (name: string, status?: number, extra: object = {}) => Object.assign(new Error('x'), { name, $metadata: { httpStatusCode: status }, ...extra });
  test('outcome classes', () => {
    expect(classifyError(sdkError('ConditionalCheckFailedException', 400)).kind).toBe('condition-failed');
    expect(classifyError(sdkError('ValidationException', 400)).kind).toBe('failed');
    expect(classifyError(sdkError('ResourceNotFoundException', 400)).kind).toBe('failed');
    expect(classifyError(sdkError('ServiceUnavailable', 503)).kind).toBe('unknown');
    expect(classifyError(sdkError('InternalServerError', 500)).kind).toBe('unknown');
    expect(classifyError(sdkError('ThrottlingException', 400)).kind).toBe('unknown');
    expect(classifyError(sdkError('TimeoutError')).kind).toBe('unknown');
    expect(classifyError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).kind).toBe('unknown');
  });
  test('a failed condition carries the value the item had', () => {
    const classified = classifyError(sdkError('ConditionalCheckFailedException', 400, { Item: { pk: { S: 'k' }, v: { S: 'seen' } } }));
    expect(classified).toMatchObject({ kind: 'condition-failed', oldValue: 'seen' });
  });
});

describe('registers of the range table', () => {
  test('a range register key names its item (pk, sk); other keys only a pk', () => {
    expect(splitRegisterKey('rg-1-g3#s2')).toEqual({ pk: 'rg-1-g3', sk: 's2' });
    expect(splitRegisterKey('hot-4-g1')).toEqual({ pk: 'hot-4-g1' });
  });

  test('an item is a register value only in its shape and of the key asked for', () => {
    expect(valueOf({ pk: { S: 'g' }, sk: { S: 's0' }, v: { S: 'x' } }, 'g#s0')).toBe('x');
    expect(valueOf({ pk: { S: 'g' }, sk: { S: 's1' }, v: { S: 'x' } }, 'g#s0')).toMatch(/^<unexpected item/);
    expect(valueOf({ pk: { S: 'g' }, sk: { S: 's0' }, v: { S: 'x' }, w: { S: 'y' } }, 'g#s0')).toMatch(/^<unexpected item/);
    expect(valueOf({ pk: { S: 'k' }, v: { S: 'x' } }, 'k')).toBe('x');
    expect(valueOf(undefined, 'k')).toBeUndefined();
  });
});
