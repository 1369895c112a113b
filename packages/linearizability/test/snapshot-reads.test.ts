import { RegisterOperation, RegisterValue, checkHistory, splitIntoObjects } from '../src';
import { prng, type Prng } from './prng';
import { read, unknown, write } from './ops';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The reads of one snapshot: one per key, all with the snapshot's interval. */
const snapshot = (id: string, client: number, values: Record<string, RegisterValue | undefined>, invokeMs: number, completeMs: number): RegisterOperation[] =>
  Object.entries(values).map(([key, value]) => ({ ...read(client, value, invokeMs, completeMs, key), snapshot: id }));

const withoutSnapshots = (history: RegisterOperation[]): RegisterOperation[] =>
  history.map((op) => {
    const { snapshot: _snapshot, ...rest } = op;
    return rest as RegisterOperation;
  });

describe('snapshot reads (several keys read at one instant)', () => {
  test('a snapshot that saw a later write on one key but not an earlier one on another is torn: illegal, though each read alone is fine', () => {
    // a is written, then b; a snapshot concurrent with both sees b's write but not a's.
    const history = [write(1, 'a1', 0, 10, 'a'), write(2, 'b1', 20, 30, 'b'), ...snapshot('s', 3, { a: undefined, b: 'b1' }, 5, 40)];
    const result = checkHistory(history);
    expect(result.verdict).toBe('illegal');
    expect([...result.perKey]).toEqual([
      ['a', 'illegal'],
      ['b', 'illegal'],
    ]);
    const why = [...result.explanations.values()][0];
    expect(why.keys).toEqual(['a', 'b']);
    expect(why.message).toMatch(/snapshot "s" read\("a", "b"\) → \(absent, "b1"\)/);
    expect(checkHistory(withoutSnapshots(history)).verdict).toBe('ok');
  });

  test('a snapshot taken at an instant between the two writes is legal', () => {
    const history = [write(1, 'a1', 0, 10, 'a'), write(2, 'b1', 20, 30, 'b'), ...snapshot('s', 3, { a: 'a1', b: undefined }, 5, 25)];
    expect(checkHistory(history).verdict).toBe('ok');
  });

  test('two snapshots that order two concurrent writes on different keys both ways are illegal', () => {
    const writes = [write(1, 'a1', 0, 100, 'a'), write(2, 'b1', 0, 100, 'b')];
    const contradictory = [...writes, ...snapshot('s1', 3, { a: 'a1', b: undefined }, 10, 20), ...snapshot('s2', 4, { a: undefined, b: 'b1' }, 10, 20)];
    expect(checkHistory(contradictory).verdict).toBe('illegal');
    expect(checkHistory(withoutSnapshots(contradictory)).verdict).toBe('ok');
    const agreeing = [...writes, ...snapshot('s1', 3, { a: 'a1', b: undefined }, 10, 20), ...snapshot('s2', 4, { a: 'a1', b: 'b1' }, 30, 40)];
    expect(checkHistory(agreeing).verdict).toBe('ok');
  });

  test('a write of unknown outcome may appear in a snapshot, and then must stay', () => {
    const lost = unknown(write(1, 'a1', 0, 10, 'a'));
    expect(checkHistory([lost, ...snapshot('s', 2, { a: 'a1', b: undefined }, 20, 30)]).verdict).toBe('ok');
    expect(checkHistory([lost, ...snapshot('s1', 2, { a: 'a1', b: undefined }, 20, 30), ...snapshot('s2', 2, { a: undefined, b: undefined }, 40, 50)]).verdict).toBe('illegal');
  });

  test('snapshots tie keys into objects transitively; reads that did not complete tie nothing', () => {
    const history = [
      ...snapshot('s1', 1, { a: undefined, b: undefined }, 0, 1),
      ...snapshot('s2', 1, { b: undefined, c: undefined }, 2, 3),
      ...snapshot('s3', 1, { d: undefined, e: undefined }, 4, 5).map((op) => unknown(op)),
      write(2, 'x', 0, 1, 'f'),
    ];
    expect(splitIntoObjects(history).map((o) => o.keys)).toEqual([['a', 'b', 'c'], ['d'], ['e'], ['f']]);
  });

  test('only reads belong to a snapshot, and a snapshot must have an instant common to its reads', () => {
    expect(() => checkHistory([{ ...write(1, 'a1', 0, 10, 'a'), snapshot: 's' }])).toThrow(/only reads/);
    expect(() => checkHistory([{ ...read(1, undefined, 0, 10, 'a'), snapshot: 's' }, { ...read(1, undefined, 20, 30, 'b'), snapshot: 's' }])).toThrow(/no instant in common/);
  });
});

/**
 * Histories from a real execution over a few keys: clients write unique values and take
 * snapshots of every key, each operation taking effect at a random instant inside its interval.
 */
function generate(rng: Prng, clients: number, opsPerClient: number, keys: string[]): RegisterOperation[] {
  const planned: { op: Mutable<RegisterOperation>; linMs: number; order: number; snapshotOf?: Mutable<RegisterOperation>[] }[] = [];
  let values = 0;
  let snapshots = 0;
  for (let c = 0; c < clients; c++) {
    let t = rng.int(10);
    for (let j = 0; j < opsPerClient; j++) {
      const invokeMs = t + rng.int(5);
      const durationMs = 1 + rng.int(30);
      const completeMs = invokeMs + durationMs;
      const linMs = invokeMs + rng.int(durationMs * 100 + 1) / 100;
      if (rng.chance(0.35)) {
        const id = `s${snapshots++}`;
        const reads = keys.map((key) => ({ ...read(c, undefined, invokeMs, completeMs, key), snapshot: id }) as Mutable<RegisterOperation>);
        planned.push({ op: reads[0], linMs, order: planned.length, snapshotOf: reads });
      } else {
        planned.push({ op: write(c, `v${values++}`, invokeMs, completeMs, rng.pick(keys)) as Mutable<RegisterOperation>, linMs, order: planned.length });
      }
      t = completeMs;
    }
  }
  const state = new Map<string, RegisterValue | undefined>();
  for (const p of [...planned].sort((a, b) => a.linMs - b.linMs || a.order - b.order)) {
    if (p.snapshotOf) for (const r of p.snapshotOf) r.output = state.get(r.key);
    else state.set(p.op.key, p.op.input as RegisterValue);
  }
  return planned.flatMap((p) => p.snapshotOf ?? [p.op]);
}

/**
 * Tears one snapshot for certain: it gets the value key `a` had before a write Wa, and key `b`'s
 * value from a write Wb, where Wa completed before Wb began and the snapshot overlaps both. A
 * snapshot instant before Wa and after Wb cannot exist. Returns false when there is no such pair.
 */
function tearOneSnapshot(history: RegisterOperation[]): boolean {
  const writes = history.filter((op) => op.kind === 'write');
  const snapshotReads = history.filter((op) => op.snapshot !== undefined);
  for (const wa of writes) {
    const before = writes.filter((w) => w.key === wa.key && (w.completeMs as number) < wa.invokeMs).pop();
    if (!before) continue;
    for (const wb of writes) {
      if (wb.key === wa.key || wb.invokeMs <= (wa.completeMs as number)) continue;
      const s = snapshotReads.find((r) => r.key === wa.key && r.invokeMs < (wa.completeMs as number) && (r.completeMs as number) > wb.invokeMs);
      if (!s) continue;
      for (const r of snapshotReads) {
        if (r.snapshot !== s.snapshot) continue;
        if (r.key === wa.key) (r as Mutable<RegisterOperation>).output = before.input as RegisterValue;
        if (r.key === wb.key) (r as Mutable<RegisterOperation>).output = wb.input as RegisterValue;
      }
      return true;
    }
  }
  return false;
}

describe('randomized histories with snapshot reads', () => {
  test('accepts every history of a real execution', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const rng = prng(seed);
      const history = generate(rng, 2 + rng.int(3), 8 + rng.int(12), ['a', 'b', 'c'].slice(0, 2 + rng.int(2)));
      const result = checkHistory(history);
      if (!result.ok) throw new Error(`seed ${seed}: ${[...result.explanations.values()].map((e) => e.message).join('; ')}`);
    }
  });

  test('rejects every history with a torn snapshot', () => {
    let torn = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const rng = prng(seed);
      const history = generate(rng, 2 + rng.int(3), 8 + rng.int(12), ['a', 'b', 'c'].slice(0, 2 + rng.int(2)));
      if (!tearOneSnapshot(history)) continue;
      torn++;
      expect({ seed, verdict: checkHistory(history).verdict }).toEqual({ seed, verdict: 'illegal' });
    }
    expect(torn).toBeGreaterThan(30);
  });
});
