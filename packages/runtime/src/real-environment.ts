import { parseClockOffsetMs } from './clock-offset';
import type { Environment } from './environment';
import { NO_FAULTS } from './fault-points';

/**
 * The one place production code meets Node's clocks, timers and randomness (a test in this
 * package holds the line: see test/no-direct-globals.test.ts).
 */

/** This process's wall-clock offset (0 outside chaos tests), read once at start. */
export const CLOCK_OFFSET_MS = parseClockOffsetMs(process.env.TRIAD_CLOCK_OFFSET_MS);

/** Node's globals, with the wall clock shifted by TRIAD_CLOCK_OFFSET_MS. */
export const realEnvironment: Environment = {
  nowMs: () => Date.now() + CLOCK_OFFSET_MS,
  monotonicMs: () => performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
  setInterval: (callback, intervalMs) => setInterval(callback, intervalMs),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout | undefined),
  defer: (callback) => void setImmediate(callback),
  random: () => Math.random(),
  // Fault points fire only in simulation.
  faults: NO_FAULTS,
  exit: (code) => process.exit(code),
};

/**
 * An absolute deadline `ms` from now on the machine's own clock, unshifted, for a library that
 * takes one and compares it with Date.now() itself (grpc-js call options). Not the process's wall
 * clock: with a chaos offset the deadline would move by it.
 */
export function systemDeadline(ms: number): number {
  return Date.now() + ms;
}
