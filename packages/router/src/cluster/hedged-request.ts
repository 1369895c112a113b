import type { Environment, TimerHandle } from '@triad/runtime';

/**
 * Asks replicas one after another for something any of them can answer (an eventually consistent
 * read), without waiting out a stalled one: the next replica is asked as soon as the previous one
 * fails, or alongside it once it has not answered for `hedgeAfterMs`. The first answer wins; answers
 * that come later are dropped. Once every replica of a round has been asked, another round starts
 * after a short pause, or after the hedge delay while an attempt still runs (replicas whose
 * attempt is still running are skipped), until the deadline. Only
 * for requests that may run twice (reads): a slow replica's request is not withdrawn when another
 * is sent.
 */

export interface HedgeOptions {
  /** Ask the next replica too once the latest one asked has not answered for this long. */
  hedgeAfterMs: number;
  /** Give up (RepliesExhaustedError) this long after the start. */
  deadlineMs: number;
  /** Pause between rounds, once every replica of a round has been asked. */
  roundPauseMs: number;
}

export interface HedgeHooks<N> {
  /**
   * Whether a failure means "ask another replica" (true) or is the request's answer (false: it is
   * rethrown as is). Called once per failed attempt, so it may also record the failure.
   */
  retriable(error: unknown, node: N): boolean;
  /** Called when a replica has not answered within `hedgeAfterMs` and the next one is asked. */
  onSlow?(node: N): void;
  /** Whether to ask a replica this round; the first replica of a round is always asked. */
  usable?(node: N): boolean;
}

/** No replica answered before the deadline; `lastError` is the last failure seen, if any. */
export class RepliesExhaustedError extends Error {
  constructor(readonly lastError: unknown) {
    super(`no replica answered before the deadline (last error: ${lastError === undefined ? 'none' : String(lastError)})`);
  }
}

export function hedgedRequest<N extends { id: string }, T>(
  /** The replicas in order of preference, asked again at each round (health changes between rounds). */
  order: () => readonly N[],
  attempt: (node: N) => Promise<T>,
  hooks: HedgeHooks<N>,
  options: HedgeOptions,
  timers: Pick<Environment, 'setTimeout' | 'clearTimeout'>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let lastError: unknown;
    let candidates: readonly N[] = [];
    let next = 0;
    /** Replicas asked this round; the first may be one that `usable` rejects, when none is asked yet. */
    let askedThisRound = 0;
    /** Replicas with an attempt still running: not asked again until it ends. */
    const asking = new Set<string>();
    /** Attempts started so far; a failure moves on only if its attempt is the latest one. */
    let started = 0;
    let hedgeTimer: TimerHandle | undefined;
    let roundTimer: TimerHandle | undefined;

    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(hedgeTimer);
      timers.clearTimeout(roundTimer);
      timers.clearTimeout(deadlineTimer);
      settle();
    };

    const deadlineTimer = timers.setTimeout(() => finish(() => reject(new RepliesExhaustedError(lastError))), options.deadlineMs);

    const askable = (node: N) =>
      !asking.has(node.id) && (!hooks.usable || hooks.usable(node) || (askedThisRound === 0 && asking.size === 0));

    const askNext = () => {
      timers.clearTimeout(hedgeTimer);
      hedgeTimer = undefined;
      if (settled) return;
      while (next < candidates.length && !askable(candidates[next])) next++;
      if (next >= candidates.length) {
        // Every replica of the round was asked: another round after a pause, for those that have
        // failed by then (a leader elected meanwhile, a node back); those still running may yet
        // answer. While one runs, the others are asked again only at the hedge interval, so that a
        // stalled replica does not turn into a stream of requests to the rest of a busy machine.
        roundTimer ??= timers.setTimeout(startRound, asking.size > 0 ? options.hedgeAfterMs : options.roundPauseMs);
        return;
      }
      const node = candidates[next++];
      const seq = ++started;
      askedThisRound++;
      asking.add(node.id);
      hedgeTimer = timers.setTimeout(() => {
        if (!asking.has(node.id) || settled) return;
        hooks.onSlow?.(node);
        askNext();
      }, options.hedgeAfterMs);
      attempt(node).then(
        (value) => {
          asking.delete(node.id);
          finish(() => resolve(value));
        },
        (error: unknown) => {
          asking.delete(node.id);
          if (settled) return;
          if (!hooks.retriable(error, node)) {
            finish(() => reject(error));
            return;
          }
          lastError = error;
          // This replica is out: ask the next at once, unless a later attempt (a hedge) already runs.
          if (seq === started || asking.size === 0) askNext();
        },
      );
    };

    const startRound = () => {
      roundTimer = undefined;
      if (settled) return;
      candidates = order();
      next = 0;
      askedThisRound = 0;
      askNext();
    };

    startRound();
  });
}
