import { RegisterOperation, checkHistory, checkOperations, registerModel } from '../src';
import { cas, del, failed, read, unknown, write } from './ops';

const verdict = (history: RegisterOperation[]) => checkHistory(history).verdict;

describe('known histories', () => {
  it('accepts an empty history and a sequential one', () => {
    expect(checkHistory([])).toMatchObject({ ok: true, verdict: 'ok' });
    expect(verdict([read(1, undefined, 0, 1), write(1, 'a', 2, 3), read(2, 'a', 4, 5), del(1, 6, 7), read(2, undefined, 8, 9)])).toBe('ok');
  });

  it('rejects a stale read after a completed write, and explains it', () => {
    const history = [write(1, 'a', 0, 10), write(1, 'b', 20, 30), read(2, 'a', 40, 50)];
    const result = checkHistory(history);
    expect(result.ok).toBe(false);
    expect(result.perKey.get('k')).toBe('illegal');
    const why = result.explanations.get('k');
    expect(why?.blockedOperation).toBe(history[2]);
    expect(why?.linearizedPrefix).toEqual([history[0], history[1]]);
    expect(why?.stateAfterPrefix).toBe('b');
    expect(why?.message).toContain('client 2: read() → "a" [40, 50]');
    expect(why?.message).toContain('register then "b"');
  });

  it('accepts a read that overlaps the write either way', () => {
    expect(verdict([write(1, 'a', 0, 10), write(1, 'b', 20, 30), read(2, 'a', 25, 50)])).toBe('ok');
    expect(verdict([write(1, 'a', 0, 10), write(1, 'b', 20, 30), read(2, 'b', 25, 50)])).toBe('ok');
    // Touching intervals count as concurrent.
    expect(verdict([write(1, 'a', 0, 10), write(1, 'b', 20, 30), read(2, 'a', 30, 50)])).toBe('ok');
  });

  it('rejects a read from the future', () => {
    expect(verdict([read(2, 'a', 0, 5), write(1, 'a', 10, 20)])).toBe('illegal');
    expect(verdict([read(2, 'x', 0, 5)])).toBe('illegal');
  });

  it('rejects clients that see two concurrent writes in contradictory orders', () => {
    const writes = [write(1, 'a', 0, 100), write(2, 'b', 0, 100)];
    // Client 3 sees a then b, client 4 sees b then a: a<b and b<a.
    expect(verdict([...writes, read(3, 'a', 10, 20), read(3, 'b', 30, 40), read(4, 'b', 10, 20), read(4, 'a', 30, 40)])).toBe('illegal');
    // Both seeing the same order is fine.
    expect(verdict([...writes, read(3, 'a', 10, 20), read(3, 'b', 30, 40), read(4, 'a', 10, 20), read(4, 'b', 30, 40)])).toBe('ok');
    // After both writes complete, two readers must agree on the winner.
    expect(verdict([...writes, read(3, 'a', 110, 120), read(4, 'b', 110, 120)])).toBe('illegal');
    expect(verdict([...writes, read(3, 'a', 110, 120), read(4, 'a', 110, 120)])).toBe('ok');
  });

  it('lets at most one of two racing put-if-absent succeed', () => {
    expect(verdict([cas(1, undefined, 'x', true, 0, 10), cas(2, undefined, 'y', true, 0, 10)])).toBe('illegal');
    expect(verdict([cas(1, undefined, 'x', true, 0, 10), cas(2, undefined, 'y', false, 0, 10), read(3, 'x', 20, 30)])).toBe('ok');
    expect(verdict([cas(1, undefined, 'x', true, 0, 10), cas(2, undefined, 'y', false, 0, 10), read(3, 'y', 20, 30)])).toBe('illegal');
  });

  it('rejects a cas that succeeds against the wrong value, or fails against the right one', () => {
    expect(verdict([write(1, 'c', 0, 10), cas(2, 'a', 'b', true, 20, 30)])).toBe('illegal');
    expect(verdict([write(1, 'a', 0, 10), cas(2, 'a', 'b', false, 20, 30)])).toBe('illegal');
    expect(verdict([write(1, 'a', 0, 10), cas(2, 'a', 'b', true, 20, 30), read(3, 'b', 40, 50)])).toBe('ok');
    // ConditionalCheckFailed is a result: the value stays.
    expect(verdict([write(1, 'c', 0, 10), cas(2, 'a', 'b', false, 20, 30), read(3, 'c', 40, 50)])).toBe('ok');
    // A conditional delete.
    expect(verdict([write(1, 'a', 0, 10), cas(2, 'a', undefined, true, 20, 30), read(3, undefined, 40, 50)])).toBe('ok');
    // A lost update: two increments from 1 both succeed.
    expect(verdict([write(1, 1, 0, 5), cas(1, 1, 2, true, 10, 20), cas(2, 1, 2, true, 10, 20)])).toBe('illegal');
  });

  it('accepts an unknown-outcome write that appears later, or never', () => {
    const w = unknown(write(1, 'a', 0, 0));
    expect(verdict([w, read(2, undefined, 10, 20), read(2, 'a', 1000, 1010)])).toBe('ok');
    expect(verdict([w, read(2, undefined, 10, 20), read(2, undefined, 1000, 1010)])).toBe('ok');
    // An unknown cas may have applied, or not.
    const c = unknown(cas(1, undefined, 'x', true, 0, 0));
    expect(verdict([c, read(2, 'x', 50, 60)])).toBe('ok');
    expect(verdict([c, read(2, undefined, 50, 60)])).toBe('ok');
  });

  it('rejects an unknown-outcome write that appears, then disappears, or appears before it was sent', () => {
    const w = unknown(write(1, 'a', 0, 0));
    expect(verdict([w, read(2, 'a', 10, 20), read(2, undefined, 30, 40)])).toBe('illegal');
    expect(verdict([read(2, 'a', 0, 5), unknown(write(1, 'a', 10, 0))])).toBe('illegal');
    // Its effect lands once: after a later write, the unknown one may still land (and win)…
    expect(verdict([w, write(2, 'b', 10, 20), read(3, 'a', 30, 40)])).toBe('ok');
    // …but not land, be overwritten, then come back.
    expect(verdict([w, read(3, 'a', 5, 8), write(2, 'b', 10, 20), read(3, 'a', 30, 40)])).toBe('illegal');
  });

  it('drops definitely failed operations and unknown reads', () => {
    expect(verdict([failed(write(1, 'a', 0, 10)), read(2, undefined, 20, 30)])).toBe('ok');
    expect(verdict([failed(write(1, 'a', 0, 10)), read(2, 'a', 20, 30)])).toBe('illegal');
    expect(verdict([write(1, 'a', 0, 10), unknown(read(2, 'zzz', 20, 30)), read(2, 'a', 40, 50)])).toBe('ok');
  });

  it('checks keys independently', () => {
    const result = checkHistory([
      write(1, 'a', 0, 10, 'x'),
      read(2, 'a', 20, 30, 'y'), // never written on y
      read(2, 'a', 20, 30, 'x'),
      unknown(write(3, 'q', 5, 0, 'z')),
    ]);
    expect(result.verdict).toBe('illegal');
    expect([...result.perKey]).toEqual([
      ['x', 'ok'],
      ['y', 'illegal'],
      ['z', 'ok'],
    ]);
    expect([...result.explanations.keys()]).toEqual(['y']);
  });

  it('compares structured values and bytes by content', () => {
    const item = { id: { S: 'k' }, n: { N: '3' }, tags: ['a', 'b'] };
    expect(verdict([write(1, item, 0, 1), read(2, { tags: ['a', 'b'], n: { N: '3' }, id: { S: 'k' } }, 2, 3)])).toBe('ok');
    expect(verdict([write(1, item, 0, 1), read(2, { ...item, n: { N: '4' } }, 2, 3)])).toBe('illegal');
    expect(verdict([write(1, new Uint8Array([1, 2]), 0, 1), read(2, new Uint8Array([1, 2]), 2, 3)])).toBe('ok');
    expect(verdict([write(1, null, 0, 1), read(2, undefined, 2, 3)])).toBe('illegal');
  });

  it('returns unknown when the step budget runs out', () => {
    // Many concurrent writes of distinct values with reads pinning an order only at the end.
    const history: RegisterOperation[] = [];
    for (let i = 0; i < 12; i++) history.push(write(i, i, 0, 100));
    history.push(read(99, 'never', 200, 210));
    const result = checkHistory(history, { stepsMax: 1000 });
    expect(result.verdict).toBe('unknown');
    expect(result.ok).toBe(false);
    expect(result.perKey.get('k')).toBe('unknown');
    // With a fake clock that jumps, the time budget trips too.
    let now = 0;
    expect(checkHistory(history, { clock: () => (now += 1000), timeMsMax: 10 }).verdict).toBe('unknown');
    // Memoisation makes the full search cheap anyway: 2^12 sets × 12 states at most.
    expect(checkHistory(history).verdict).toBe('illegal');
  });

  it('gives a full linearization for a legal history', () => {
    const history = [write(1, 'a', 0, 10), read(2, 'b', 5, 30), write(3, 'b', 6, 20)];
    const result = checkOperations(registerModel, history);
    expect(result.verdict).toBe('ok');
    expect(result.linearization).toEqual([history[0], history[2], history[1]]);
  });

  it('rejects malformed operations', () => {
    expect(() => checkHistory([{ ...write(1, 'a', 10, 5) }])).toThrow(/completeMs/);
    expect(() => checkHistory([{ clientId: 1, key: 'k', kind: 'read', invokeMs: 0, ok: true }])).toThrow(/completeMs/);
    expect(() => checkHistory([{ clientId: 1, key: 'k', kind: 'cas', input: { expected: 1, value: 2 }, invokeMs: 0, completeMs: 1, ok: true }])).toThrow(/boolean/);
  });
});
