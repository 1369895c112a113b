/**
 * The process's wall-clock offset: TRIAD_CLOCK_OFFSET_MS (milliseconds, may be negative; default
 * 0). Machines' clocks disagree by milliseconds with NTP and by seconds without it; on one machine
 * every process shares one clock, so the chaos soak gives each process an offset of its own
 * through this variable, and `realEnvironment.nowMs()` adds it. Whatever stamps wall-clock time
 * into data or logs reads `nowMs()`, so that the offset reaches all of it. Monotonic clocks
 * (leases, timeouts) only measure durations, which an offset does not change, and have none.
 */

/** Offsets beyond a day are a typo, not a test: refused at start. */
export const CLOCK_OFFSET_MS_MAX = 24 * 60 * 60 * 1000;

/** Reads the offset from an environment value; throws on anything but a finite number within a day. */
export function parseClockOffsetMs(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return 0;
  const offset = Number(text);
  if (!Number.isFinite(offset) || Math.abs(offset) > CLOCK_OFFSET_MS_MAX) {
    throw new Error(`TRIAD_CLOCK_OFFSET_MS must be a number of milliseconds within ±${CLOCK_OFFSET_MS_MAX}, got ${JSON.stringify(text)}`);
  }
  return offset;
}
