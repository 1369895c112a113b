/**
 * Asks replicas one after another for something any of them can answer (an eventually consistent
 * read), without waiting out a stalled one: the next replica is asked as soon as the previous one
 * fails, or alongside it once it has not answered for `hedgeAfterMs`. The first answer wins; answers
 * that come later are dropped. When every replica of a round has failed, another round starts after
 * a short pause, until the deadline. Only for requests that may run twice (reads): a slow replica's
 * request is not withdrawn when another is sent.
 */

export interface HedgeOptions {
  /** Ask the next replica too once the latest one asked has not answered for this long. */
  hedgeAfterMs: number;
  /** Give up (RepliesExhaustedError) this long after the start. */
  deadlineMs: number;
  /** Pause between rounds, when every replica of a round has failed. */
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
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let lastError: unknown;
    let candidates: readonly N[] = [];
    let next = 0;
    let pending = 0;
    /** Attempts started so far; a failure moves on only if its attempt is the latest one. */
    let started = 0;
    let hedgeTimer: NodeJS.Timeout | undefined;
    let pauseTimer: NodeJS.Timeout | undefined;

    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(hedgeTimer);
      clearTimeout(pauseTimer);
      clearTimeout(deadlineTimer);
      settle();
    };

    const deadlineTimer = setTimeout(() => finish(() => reject(new RepliesExhaustedError(lastError))), options.deadlineMs);

    const askNext = () => {
      clearTimeout(hedgeTimer);
      hedgeTimer = undefined;
      if (settled) return;
      while (next < candidates.length && next > 0 && hooks.usable && !hooks.usable(candidates[next])) next++;
      if (next >= candidates.length) {
        // The round is over once its last attempt has failed; one still running may yet answer.
        if (pending === 0) pauseTimer = setTimeout(startRound, options.roundPauseMs);
        return;
      }
      const node = candidates[next++];
      const seq = ++started;
      pending++;
      let answered = false;
      hedgeTimer = setTimeout(() => {
        if (answered || settled) return;
        hooks.onSlow?.(node);
        askNext();
      }, options.hedgeAfterMs);
      attempt(node).then(
        (value) => {
          answered = true;
          pending--;
          finish(() => resolve(value));
        },
        (error: unknown) => {
          answered = true;
          pending--;
          if (settled) return;
          if (!hooks.retriable(error, node)) {
            finish(() => reject(error));
            return;
          }
          lastError = error;
          // This replica is out: ask the next at once, unless a later attempt (a hedge) already runs.
          if (seq === started || pending === 0) askNext();
        },
      );
    };

    const startRound = () => {
      if (settled) return;
      candidates = order();
      next = 0;
      askNext();
    };

    startRound();
  });
}
