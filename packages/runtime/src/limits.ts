/** Bounds of the runtime package, with why. */

/**
 * Events one `Simulator.runUntilIdle` runs at most before it gives up: a run that is still busy
 * after this many is looping (an interval nobody unrefs, work that reschedules itself at once),
 * and failing says so instead of hanging the test.
 */
export const SIM_RUN_EVENTS_MAX = 1_000_000;

/**
 * Largest clock rate drift a simulated process may have, as a fraction (0.1 = its clock runs 10%
 * fast or slow). Real quartz drifts by parts per million; a simulation exaggerates it to find
 * what depends on rates, and beyond this timers would fire at meaningless times.
 */
export const SIM_CLOCK_DRIFT_RATE_MAX = 0.1;

/** Node clamps a timer's delay into [1, this] ms (a 32-bit signed integer); the simulator does too. */
export const TIMER_DELAY_MS_MAX = 2 ** 31 - 1;
