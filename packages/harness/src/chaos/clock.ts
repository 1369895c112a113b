/**
 * The one clock of a chaos run. Operation times, fault times and check times all come from here,
 * so that they can be compared: a monotonic clock (performance.now), in milliseconds, never the
 * wall clock, which may jump.
 */
import { performance } from 'node:perf_hooks';

export function nowMs(): number {
  return performance.now();
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sleeps `ms` unless `stopped()` turns true first (checked every `pollMs`): lets a long pause end
 * promptly when a run is stopped (Ctrl-C, end of the soak).
 */
export async function sleepUnless(ms: number, stopped: () => boolean, pollMs = 100): Promise<void> {
  const end = nowMs() + ms;
  while (!stopped()) {
    const left = end - nowMs();
    if (left <= 0) return;
    await delay(Math.min(left, pollMs));
  }
}
