import os from 'node:os';

/**
 * How much longer than on an idle machine waits should be allowed to take right now. Cluster tests
 * wait for conditions (a third copy written, a leader elected, a process answering) with deadlines
 * set for an idle 2-core machine; when other work keeps the cores busy (another `npm test`, other
 * engineers' clusters) every process gets a fraction of a core and the same condition takes
 * longer to come true. Only waits scale, never what a test asserts about the outcome: a condition
 * that never holds still fails, just later.
 *
 * The factor is the 1-minute load average per core, read when asked, between 1 and this cap: past
 * it, the machine is too busy for any deadline to mean much, and a hung test should still end.
 */
export const LOAD_FACTOR_MAX = 4;

export function loadFactor(): number {
  const perCore = os.loadavg()[0] / Math.max(1, os.cpus().length);
  return Math.min(LOAD_FACTOR_MAX, Math.max(1, perCore));
}

/** A deadline set for an idle machine, stretched by the current load factor. */
export function patienceMs(idleMs: number): number {
  return Math.ceil(idleMs * loadFactor());
}
