import { RepliesExhaustedError, hedgedRequest, type HedgeOptions } from '../src/cluster/hedged-request';
import { realEnvironment } from '@triad/runtime';

interface Node {
  id: string;
}

const OPTIONS: HedgeOptions = { hedgeAfterMs: 300, deadlineMs: 10_000, roundPauseMs: 100 };
const nodes: Node[] = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];

/** A replica's behaviour: answer after `ms`, fail after `ms`, or never answer. */
type Behaviour = { answer: string; ms: number } | { fail: 'unreachable' | 'fatal'; ms: number } | 'stalled';

function replicas(behaviour: Record<string, Behaviour>) {
  const asked: { id: string; atMs: number }[] = [];
  const start = Date.now();
  const attempt = (node: Node) => {
    asked.push({ id: node.id, atMs: Date.now() - start });
    const b = behaviour[node.id];
    if (b === 'stalled') return new Promise<string>(() => undefined);
    return new Promise<string>((resolve, reject) =>
      setTimeout(() => ('answer' in b ? resolve(b.answer) : reject(Object.assign(new Error(b.fail), { kind: b.fail }))), b.ms),
    );
  };
  return { asked, attempt };
}

const retriable = (error: unknown) => (error as { kind?: string }).kind === 'unreachable';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

/** Runs timers until `promise` settles; returns its outcome and the fake time it took. */
async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const start = Date.now();
  let outcome: { value?: T; error?: unknown } | undefined;
  promise.then((value) => (outcome = { value }), (error: unknown) => (outcome = { error }));
  for (let i = 0; i < 10_000 && !outcome; i++) await jest.advanceTimersByTimeAsync(10);
  if (!outcome) throw new Error('never settled');
  return { ...outcome, ms: Date.now() - start };
}

test('the first replica answers alone when it answers in time', async () => {
  const { asked, attempt } = replicas({ a: { answer: 'from a', ms: 50 }, b: { answer: 'from b', ms: 1 }, c: { answer: 'from c', ms: 1 } });
  const result = await settle(hedgedRequest(() => nodes, attempt, { retriable }, OPTIONS, realEnvironment));
  expect(result.value).toBe('from a');
  expect(asked.map((a) => a.id)).toEqual(['a']);
});

test('a failed replica hands over to the next at once', async () => {
  const { asked, attempt } = replicas({ a: { fail: 'unreachable', ms: 5 }, b: { fail: 'unreachable', ms: 5 }, c: { answer: 'from c', ms: 5 } });
  const result = await settle(hedgedRequest(() => nodes, attempt, { retriable }, OPTIONS, realEnvironment));
  expect(result.value).toBe('from c');
  expect(asked.map((a) => a.id)).toEqual(['a', 'b', 'c']);
  expect(result.ms).toBeLessThan(OPTIONS.hedgeAfterMs);
});

test('stalled replicas cost a hedge delay each, not their call deadline', async () => {
  const slow: string[] = [];
  const { asked, attempt } = replicas({ a: 'stalled', b: 'stalled', c: { answer: 'from c', ms: 5 } });
  const result = await settle(hedgedRequest(() => nodes, attempt, { retriable, onSlow: (n) => slow.push(n.id) }, OPTIONS, realEnvironment));
  expect(result.value).toBe('from c');
  expect(asked.map((a) => a.id)).toEqual(['a', 'b', 'c']);
  expect(slow).toEqual(['a', 'b']);
  expect(result.ms).toBeGreaterThanOrEqual(2 * OPTIONS.hedgeAfterMs);
  expect(result.ms).toBeLessThan(3 * OPTIONS.hedgeAfterMs);
});

test('a slow replica that answers first still wins over the hedge', async () => {
  const { asked, attempt } = replicas({ a: { answer: 'from a', ms: 400 }, b: { answer: 'from b', ms: 1_000 }, c: { answer: 'from c', ms: 1 } });
  const result = await settle(hedgedRequest(() => nodes, attempt, { retriable }, OPTIONS, realEnvironment));
  expect(result.value).toBe('from a');
  expect(asked.map((a) => a.id)).toEqual(['a', 'b']);
});

test('a failure that is an answer ends the request with that error', async () => {
  const { asked, attempt } = replicas({ a: { fail: 'fatal', ms: 5 }, b: { answer: 'from b', ms: 1 }, c: { answer: 'from c', ms: 1 } });
  const result = await settle(hedgedRequest(() => nodes, attempt, { retriable }, OPTIONS, realEnvironment));
  expect((result.error as Error).message).toBe('fatal');
  expect(asked.map((a) => a.id)).toEqual(['a']);
});

test('rounds repeat while every replica fails, and the deadline ends them with RepliesExhaustedError', async () => {
  const { asked, attempt } = replicas({ a: { fail: 'unreachable', ms: 5 }, b: { fail: 'unreachable', ms: 5 }, c: { fail: 'unreachable', ms: 5 } });
  const result = await settle(hedgedRequest(() => nodes, attempt, { retriable }, OPTIONS, realEnvironment));
  expect(result.error).toBeInstanceOf(RepliesExhaustedError);
  expect((result.error as RepliesExhaustedError).lastError).toMatchObject({ kind: 'unreachable' });
  expect(result.ms).toBeGreaterThanOrEqual(OPTIONS.deadlineMs);
  expect(result.ms).toBeLessThan(OPTIONS.deadlineMs + 100);
  // Each round asks all three, then pauses.
  expect(asked.length).toBeGreaterThan(3 * 10);
  expect(asked.slice(0, 6).map((a) => a.id)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
});

test('a replica that recovers between rounds answers', async () => {
  const behaviour: Record<string, Behaviour> = { a: { fail: 'unreachable', ms: 5 }, b: { fail: 'unreachable', ms: 5 }, c: { fail: 'unreachable', ms: 5 } };
  const { attempt } = replicas(behaviour);
  const promise = hedgedRequest(() => nodes, attempt, { retriable }, OPTIONS, realEnvironment);
  await jest.advanceTimersByTimeAsync(1_000);
  behaviour.b = { answer: 'from b', ms: 5 };
  const result = await settle(promise);
  expect(result.value).toBe('from b');
});

test('replicas that are not usable are skipped, except the first of a round', async () => {
  const { asked, attempt } = replicas({ a: { fail: 'unreachable', ms: 5 }, b: { answer: 'from b', ms: 5 }, c: { answer: 'from c', ms: 5 } });
  const usable = (n: Node) => n.id !== 'a' && n.id !== 'b';
  const result = await settle(hedgedRequest(() => nodes, attempt, { retriable, usable }, OPTIONS, realEnvironment));
  expect(result.value).toBe('from c');
  expect(asked.map((a) => a.id)).toEqual(['a', 'c']);
});

test('while a stalled replica still runs, the others are asked again at the hedge interval, and never the stalled one twice', async () => {
  // As for a strong read while a paused leader's replacement is elected: the others refuse at first.
  const behaviour: Record<string, Behaviour> = { a: 'stalled', b: { fail: 'unreachable', ms: 5 }, c: { fail: 'unreachable', ms: 5 } };
  const { asked, attempt } = replicas(behaviour);
  const promise = hedgedRequest(() => nodes, attempt, { retriable }, OPTIONS, realEnvironment);
  await jest.advanceTimersByTimeAsync(2_000);
  behaviour.c = { answer: 'from c', ms: 5 };
  const result = await settle(promise);
  expect(result.value).toBe('from c');
  expect(result.ms).toBeLessThan(OPTIONS.hedgeAfterMs + 100);
  expect(asked.filter((a) => a.id === 'a')).toHaveLength(1);
  // Asked again at the hedge interval, not at every short round pause, while a's attempt runs.
  const cAsked = asked.filter((a) => a.id === 'c').length;
  expect(cAsked).toBeGreaterThan(2_000 / OPTIONS.hedgeAfterMs - 2);
  expect(cAsked).toBeLessThan(2_000 / OPTIONS.hedgeAfterMs + 3);
});
