/** Polling helpers: tests wait for a condition with a deadline, never for a fixed time. */
import { patienceMs } from './pace';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PollOptions {
  /** Give up after this long on an idle machine (default 10 s); stretched on a busy one (see pace.ts). */
  timeoutMs?: number;
  /** Pause between attempts (default 100 ms). */
  intervalMs?: number;
}

/**
 * Runs `attempt` until it resolves without throwing, and returns its value. On timeout, throws the
 * last attempt's error (so a failed `expect` inside shows what was still wrong), prefixed by `what`.
 */
export async function eventually<T>(what: string, attempt: () => Promise<T> | T, options: PollOptions = {}): Promise<T> {
  const timeoutMs = patienceMs(options.timeoutMs ?? 10_000);
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await delay(intervalMs);
  }
  const detail = lastError instanceof Error ? lastError.message : String(lastError);
  const error = new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${detail}`);
  if (lastError instanceof Error && lastError.stack) error.stack = `${error.message}\n--- last attempt ---\n${lastError.stack}`;
  throw error;
}

/** Runs `task` over `inputs` with at most `concurrency` in flight; rejects on the first failure. */
export async function mapLimit<I, O>(inputs: readonly I[], concurrency: number, task: (input: I, index: number) => Promise<O>): Promise<O[]> {
  const results = new Array<O>(inputs.length);
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const i = next++;
      results[i] = await task(inputs[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, inputs.length) }, worker));
  return results;
}
