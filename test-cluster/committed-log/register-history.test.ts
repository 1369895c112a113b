/**
 * The register history check must pass what is linearizable and catch what is not: it decides the
 * committed-log tests. Pure, no cluster.
 */
import { RegisterHistory, checkRegisterHistory, keysWithViolations, type Value, type WriteOutcome } from './register-history';

function write(h: RegisterHistory, key: string, value: string, startMs: number, endMs: number, outcome: WriteOutcome): void {
  h.end(h.begin(key, value, startMs), outcome, endMs);
}

function read(h: RegisterHistory, key: string, value: Value, startMs: number, endMs: number): void {
  h.read({ key, value, startMs, endMs, via: 'GetItem' });
}

test('a linearizable history, with an unknown write taking effect late, has no violation', () => {
  const h = new RegisterHistory();
  read(h, 'k', null, 0, 1);
  write(h, 'k', 'a', 2, 3, 'ok');
  read(h, 'k', 'a', 4, 5);
  write(h, 'k', 'b', 6, 7, 'unknown');
  read(h, 'k', 'a', 8, 9); // b not (yet) in effect
  read(h, 'k', 'b', 10, 11); // b took effect after its error: allowed
  read(h, 'k', 'b', 12, 13);
  // Concurrent with the write: either value.
  write(h, 'j', 'x', 0, 10, 'ok');
  read(h, 'j', null, 1, 2);
  read(h, 'j', 'x', 3, 4);
  expect(checkRegisterHistory(h)).toEqual([]);
  expect(keysWithViolations(h)).toEqual([]);
});

test('a read older than an acknowledged write is stale', () => {
  const h = new RegisterHistory();
  write(h, 'k', 'a', 0, 1, 'ok');
  write(h, 'k', 'b', 2, 3, 'ok');
  read(h, 'k', 'a', 4, 5);
  read(h, 'k', null, 6, 7);
  expect(checkRegisterHistory(h, { originMs: 0 })).toEqual([
    'k: GetItem [0.004 s, 0.005 s] returned "a": stale, "b" was acknowledged at 0.003 s',
    'k: GetItem [0.006 s, 0.007 s] returned no item: stale, "b" was acknowledged at 0.003 s',
  ]);
});

test('an unknown write seen once may not vanish afterwards', () => {
  const h = new RegisterHistory();
  write(h, 'k', 'a', 0, 1, 'ok');
  write(h, 'k', 'u', 2, 3, 'unknown');
  read(h, 'k', 'u', 4, 5);
  read(h, 'k', 'a', 6, 7);
  expect(checkRegisterHistory(h)).toEqual(['k: GetItem [0.006 s, 0.007 s] returned "a" after GetItem [0.004 s, 0.005 s] had returned "u": the value went back']);
});

test('values never written, refused, or read before their write began are violations', () => {
  const h = new RegisterHistory();
  read(h, 'k', 'early', 0, 1);
  write(h, 'k', 'early', 2, 3, 'ok');
  write(h, 'k', 'no', 4, 5, 'refused');
  read(h, 'k', 'no', 6, 7);
  read(h, 'k', 'ghost', 8, 9);
  expect(checkRegisterHistory(h)).toEqual([
    'k: GetItem [0.000 s, 0.001 s] returned "early", whose write started only at 0.002 s',
    'k: GetItem [0.006 s, 0.007 s] returned "no", the value of a write that was refused (it must have had no effect)',
    'k: GetItem [0.008 s, 0.009 s] returned "ghost", a value never written',
  ]);
  expect(keysWithViolations(h)).toEqual(['k']);
});

test('overlapping writes of one key are refused: the checks assume one at a time', () => {
  const h = new RegisterHistory();
  h.begin('k', 'a', 0);
  expect(() => h.begin('k', 'b', 1)).toThrow('one at a time');
});
