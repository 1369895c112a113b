import type { Logger } from '@triad/observability';
import type { Environment } from '@triad/runtime';

/**
 * Delays at named fault points of the write path (FoundationDB-style): they widen a race window
 * that is otherwise a few microseconds wide. In the simulator the delay comes from the process's
 * seeded fault points (`Environment.faults`, @triad/runtime's fault-points.ts); in a real process only a
 * cluster test sets one, by TRIAD_TEST_DELAYS (read once, at start), so that it hits the window
 * every time. Without either they do nothing.
 *
 *   TRIAD_TEST_DELAYS='{"write.afterLeaseCheck": 1500}'
 *   TRIAD_TEST_DELAYS='{"write.afterLeaseCheck": {"ms": 1500, "keyContains": "stale-"}}'
 *
 * `keyContains` limits a delay to items whose storage key contains those UTF-8 bytes (a string
 * partition or sort key does), so that the rest of the cluster's traffic runs at full speed.
 */
export type TestDelayPoint =
  /**
   * A leader's write (any item operation but a read) under its key lock, right after it checked
   * its leadership and lease: before it reads the item, decides the write and stamps it with a
   * term for the followers. Stands for a slow disk read in that window.
   */
  'write.afterLeaseCheck';

const TEST_DELAY_POINTS: readonly TestDelayPoint[] = ['write.afterLeaseCheck'];
/** A delay longer than this is a typo, not a test: every caller holds a key lock meanwhile. */
const TEST_DELAY_MS_MAX = 60_000;

export interface TestDelaySpec {
  ms: number;
  /** Only items whose storage key contains these bytes are delayed. */
  keyContains?: Buffer;
}

/** Parses TRIAD_TEST_DELAYS; throws on anything malformed (a node started with a bad test switch must not start). */
export function parseTestDelays(text: string | undefined): Map<TestDelayPoint, TestDelaySpec> {
  const delays = new Map<TestDelayPoint, TestDelaySpec>();
  if (!text) return delays;
  const parsed = JSON.parse(text) as Record<string, unknown>;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`TRIAD_TEST_DELAYS must be a JSON object: ${text}`);
  for (const [point, value] of Object.entries(parsed)) {
    if (!TEST_DELAY_POINTS.includes(point as TestDelayPoint)) throw new Error(`TRIAD_TEST_DELAYS: unknown point ${point} (known: ${TEST_DELAY_POINTS.join(', ')})`);
    const spec = typeof value === 'number' ? { ms: value } : (value as { ms?: unknown; keyContains?: unknown });
    if (typeof spec.ms !== 'number' || !(spec.ms >= 0 && spec.ms <= TEST_DELAY_MS_MAX)) {
      throw new Error(`TRIAD_TEST_DELAYS: ${point} needs a delay of 0-${TEST_DELAY_MS_MAX} ms`);
    }
    if (spec.keyContains !== undefined && (typeof spec.keyContains !== 'string' || spec.keyContains.length === 0)) {
      throw new Error(`TRIAD_TEST_DELAYS: ${point}.keyContains must be a non-empty string`);
    }
    delays.set(point as TestDelayPoint, { ms: spec.ms, keyContains: spec.keyContains === undefined ? undefined : Buffer.from(spec.keyContains, 'utf8') });
  }
  return delays;
}

const delays = parseTestDelays(process.env.TRIAD_TEST_DELAYS);

/**
 * The delay configured for `point` and this item's storage key, logged so that a test can wait for
 * it to begin; undefined (nothing to await) when there is none, which is always outside tests.
 */
export function testDelay(point: TestDelayPoint, key: Uint8Array, log: Logger, env: Pick<Environment, 'setTimeout' | 'faults'>): Promise<void> | undefined {
  const faultMs = env.faults.delayMs(point);
  if (faultMs > 0) return new Promise((resolve) => env.setTimeout(resolve, faultMs));
  if (delays.size === 0) return undefined;
  const spec = delays.get(point);
  if (!spec || (spec.keyContains && !Buffer.from(key.buffer, key.byteOffset, key.byteLength).includes(spec.keyContains))) return undefined;
  log.warn('test delay started', { point, ms: spec.ms });
  return new Promise((resolve) =>
    env.setTimeout(() => {
      log.warn('test delay over', { point, ms: spec.ms });
      resolve();
    }, spec.ms),
  );
}
