/**
 * Limits of the checker, in one place, named with units last.
 */

/**
 * Search steps (one attempt to linearize or to backtrack) per key before giving up with
 * 'unknown'. Linearizability checking is NP-complete; a chaos-test history with a few dozen
 * operations per key and a handful of unknown outcomes needs thousands of steps, a pathological
 * one could need more than the age of the universe. Two million steps is about a second.
 */
export const CHECK_STEPS_PER_KEY_MAX_DEFAULT = 2_000_000;

/** The clock, when one is given, is read once per this many steps: reading it costs more than a step. */
export const CLOCK_READ_EVERY_STEPS = 4096;

/**
 * Operations per key. The search keeps a bitset of ⌈n/32⌉ words per memoised configuration, so
 * a key with 100,000 operations would cost 12.5 KB per cache entry; histories that long should be
 * split into several runs instead.
 */
export const OPERATIONS_PER_KEY_MAX = 100_000;

/** Values and operations are cut to this many characters in explanations, to keep them one line. */
export const DESCRIPTION_CHARS_MAX = 80;
