import { RegisterOperation, RegisterValue, checkHistory, checkOperations, registerModel } from '../src';
import { Prng, prng } from './prng';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Planned {
  op: Mutable<RegisterOperation>;
  /** When it took effect; undefined for an unknown-outcome operation that never did. */
  linMs: number | undefined;
  order: number;
}

interface GenInit {
  clients: number;
  opsPerClient: number;
  keys: number;
  unknownP: number;
}

/**
 * A history from a real sequential execution: each client runs operations one after another;
 * each takes effect at a random instant inside its interval (an unknown-outcome one at any instant
 * after its invocation, or never); running them in that order gives the outputs. Every written
 * value is unique, so a read names the write it saw.
 */
function generate(rng: Prng, init: GenInit): RegisterOperation[] {
  const planned: Planned[] = [];
  let valueCounter = 0;
  for (let c = 0; c < init.clients; c++) {
    let t = rng.int(10);
    for (let j = 0; j < init.opsPerClient; j++) {
      const invokeMs = t + rng.int(5);
      const durationMs = 1 + rng.int(30);
      const completeMs = invokeMs + durationMs;
      const key = `key-${rng.int(init.keys)}`;
      const roll = rng.int(100);
      let op: Mutable<RegisterOperation>;
      const base = { clientId: c, key, invokeMs, completeMs, ok: true as const };
      if (roll < 40) op = { ...base, kind: 'read' };
      else if (roll < 65) op = { ...base, kind: 'write', input: `v${valueCounter++}` };
      else if (roll < 90) op = { ...base, kind: 'cas', input: { expected: undefined, value: `v${valueCounter++}` } };
      else op = { ...base, kind: 'delete' };
      let linMs: number | undefined = invokeMs + rng.int(durationMs * 100 + 1) / 100;
      if (rng.chance(init.unknownP)) {
        op.ok = 'unknown';
        delete op.completeMs;
        linMs = rng.chance(0.5) ? invokeMs + rng.int(20000) / 100 : undefined;
      }
      planned.push({ op, linMs, order: planned.length });
      t = completeMs;
    }
  }
  // Execute in linearization order.
  const state = new Map<string, RegisterValue | undefined>();
  const written = new Map<string, Array<RegisterValue | undefined>>();
  const effective = planned.filter((p) => p.linMs !== undefined).sort((a, b) => (a.linMs as number) - (b.linMs as number) || a.order - b.order);
  for (const { op } of effective) {
    const current = state.get(op.key);
    const history = written.get(op.key) ?? [undefined];
    written.set(op.key, history);
    switch (op.kind) {
      case 'read':
        op.output = current;
        break;
      case 'write':
        state.set(op.key, op.input);
        history.push(op.input);
        break;
      case 'delete':
        state.set(op.key, undefined);
        break;
      case 'cas': {
        // Usually a read-modify-write against the current value, sometimes against an older one.
        const expected = rng.chance(0.6) ? current : rng.pick(history);
        op.input = { expected, value: op.input.value };
        op.output = expected === current;
        if (op.output) {
          state.set(op.key, op.input.value);
          history.push(op.input.value);
        }
        break;
      }
    }
  }
  // Unknown operations that never took effect still need well-formed inputs.
  for (const { op, linMs } of planned) {
    if (linMs === undefined && op.kind === 'cas') op.input = { expected: undefined, value: op.input.value };
    if (op.ok === 'unknown') delete op.output;
  }
  return planned.map((p) => p.op);
}

/**
 * Makes one read stale for certain: it returns the value of a write W that was overwritten by a
 * blind write or delete W2, where W completed before W2 started and W2 completed before the read
 * started. Only W ever wrote that value, so no order explains the read. Returns the key, or
 * undefined when the history has no such triple.
 */
function injectStaleRead(history: RegisterOperation[]): string | undefined {
  const done = history.filter((op) => op.ok === true);
  for (const r of done) {
    if (r.kind !== 'read') continue;
    for (const w2 of done) {
      if (w2.key !== r.key || (w2.kind !== 'write' && w2.kind !== 'delete') || (w2.completeMs as number) >= r.invokeMs) continue;
      for (const w of done) {
        if (w.key !== r.key || (w.completeMs as number) >= w2.invokeMs) continue;
        const value = w.kind === 'write' ? w.input : w.kind === 'cas' && w.output ? w.input.value : undefined;
        if (value === undefined || value === r.output) continue;
        (r as Mutable<RegisterOperation>).output = value;
        return r.key;
      }
    }
  }
  return undefined;
}

/** Replays a claimed linearization through the model: every output must match. */
function replays(linearization: RegisterOperation[]): boolean {
  let state = registerModel.init();
  for (const op of linearization) {
    const result = registerModel.step(state, op);
    if (!result.legal) return false;
    state = result.state;
  }
  return true;
}

describe('randomized histories', () => {
  it('accepts every history produced by a real sequential execution', () => {
    let unknownOps = 0;
    let steps = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const rng = prng(seed);
      const history = generate(rng, { clients: 2 + rng.int(5), opsPerClient: 10 + rng.int(40), keys: 1 + rng.int(3), unknownP: rng.pick([0, 0.03, 0.08]) });
      unknownOps += history.filter((op) => op.ok === 'unknown').length;
      const result = checkHistory(history);
      steps += result.stepsTotal;
      if (!result.ok) throw new Error(`seed ${seed}: ${[...result.explanations.values()].map((e) => e.message).join('; ')} ${[...result.perKey]}`);
      // The linearization the search found really explains the history.
      for (const key of result.perKey.keys()) {
        const linearization = checkOperations(registerModel, history.filter((op) => op.key === key)).linearization;
        expect(linearization && replays(linearization)).toBe(true);
      }
    }
    expect(unknownOps).toBeGreaterThan(100);
    expect(steps).toBeGreaterThan(0);
  });

  it('rejects the same histories with one injected stale read, on that key only', () => {
    let injected = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const rng = prng(seed);
      const history = generate(rng, { clients: 2 + rng.int(5), opsPerClient: 10 + rng.int(40), keys: 1 + rng.int(3), unknownP: rng.pick([0, 0.03, 0.08]) });
      const key = injectStaleRead(history);
      if (key === undefined) continue;
      injected++;
      const result = checkHistory(history);
      expect({ seed, verdict: result.verdict }).toEqual({ seed, verdict: 'illegal' });
      for (const [k, v] of result.perKey) expect({ seed, k, v }).toEqual({ seed, k, v: k === key ? 'illegal' : 'ok' });
      const why = result.explanations.get(key);
      expect(why?.message).toMatch(/cannot be placed/);
    }
    expect(injected).toBeGreaterThan(100);
  });
});
