/** Bounds of the simulator package, with why. */

/**
 * Lines a `SimNetwork` keeps in its trace (the newest): enough for the events that led to a
 * failure in a short run, bounded so that a long run does not grow without end.
 */
export const TRACE_LINES_MAX = 200_000;

/**
 * The default one-way latency between two simulated processes, uniform in [min, max] ms: a
 * loopback or same-zone hop. Wider spreads (and reordering of unary calls) come from the fault hook.
 */
export const LINK_LATENCY_MS_MIN = 0.1;
export const LINK_LATENCY_MS_MAX = 2;
