/**
 * Test-only fault points: named delays in the storage node's code paths, enabled only by the
 * environment variable TRIAD_TEST_DELAYS (JSON: `{"point": milliseconds}`), read once at start.
 * Without it every point is a no-op, so production code pays one map lookup.
 *
 * Points:
 *  - `write.afterLeaseCheck`: in a leader's write path, between the serving check before the
 *    item's lock and the decision and append to the log (which check leadership again, in the same
 *    step as the term is fixed). Widens the window in which leadership can move meanwhile.
 */
const DELAYS: ReadonlyMap<string, number> = parseDelays(process.env.TRIAD_TEST_DELAYS);

function parseDelays(text: string | undefined): Map<string, number> {
  const delays = new Map<string, number>();
  if (!text) return delays;
  for (const [point, ms] of Object.entries(JSON.parse(text) as Record<string, unknown>)) {
    if (typeof ms === 'number' && ms > 0) delays.set(point, ms);
  }
  return delays;
}

/** Waits for the point's configured delay; undefined (nothing to await) when it has none. */
export function testDelay(point: string): Promise<void> | undefined {
  const ms = DELAYS.get(point);
  return ms === undefined ? undefined : new Promise((resolve) => setTimeout(resolve, ms));
}
