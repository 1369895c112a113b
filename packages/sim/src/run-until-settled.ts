import type { Simulator } from '@triad/runtime';

/**
 * Drives the simulator, event by event, until `promise` settles, and settles as it did; throws if
 * it has not after `limitMs` of simulated time, or if no event is left that could settle it.
 */
export async function runUntilSettled<T>(simulator: Simulator, promise: Promise<T>, limitMs: number): Promise<T> {
  let outcome: { value: T } | { error: unknown } | undefined;
  promise.then(
    (value) => (outcome = { value }),
    (error: unknown) => (outcome = { error }),
  );
  const limit = simulator.nowMs + limitMs;
  await simulator.drive(() => {
    if (outcome) return false;
    if (simulator.nowMs > limit) throw new Error(`still waiting after ${limitMs} simulated ms (at ${simulator.nowMs} ms)`);
    if (!simulator.step()) throw new Error(`nothing left to run at ${simulator.nowMs} ms, and the promise is not settled`);
    return true;
  });
  const settled = outcome as { value: T } | { error: unknown } | undefined;
  if (!settled) throw new Error('unreachable: the simulator stopped driving before the promise settled');
  if ('error' in settled) throw settled.error;
  return settled.value;
}
