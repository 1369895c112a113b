/**
 * The randomized deterministic simulation (see sim/workload.ts): 200 seeds by default, each a
 * cluster of 3–6 nodes and 4–24 partitions under crashes, quick reboots, partitions (also one-way),
 * loss, duplication, reordering, very late messages, clock drift, admin transfers, drains and false
 * membership hints; then healed and required to recover.
 *
 *   SEED=123 npx jest packages/replication/test/simulation   replays one seed (prints its trace on failure)
 *   SEEDS=2000 npx jest packages/replication/test/simulation runs seeds 1..2000
 */
import { runSeed, type SeedResult } from './sim/workload';

const seeds =
  process.env.SEED !== undefined
    ? [Number(process.env.SEED)]
    : Array.from({ length: Number(process.env.SEEDS ?? 200) }, (_, i) => i + 1);

/** Stop after this many failing seeds: their traces are long and the first one is usually enough. */
const FAILURES_REPORTED_MAX = 3;

describe('deterministic simulation', () => {
  it(`keeps every invariant and recovers after faults, over ${seeds.length} seed(s)`, () => {
    const results: SeedResult[] = [];
    const failures: string[] = [];
    for (const seed of seeds) {
      try {
        // Every tenth seed also round-trips each message through JSON and decodeMessage.
        results.push(runSeed(seed, { wireCheck: seed % 10 === 0 }));
      } catch (error) {
        failures.push((error as Error).message);
        if (failures.length >= FAILURES_REPORTED_MAX) break;
      }
    }
    if (failures.length > 0) throw new Error(`${failures.length} failing seed(s):\n\n${failures.join('\n\n')}`);
    if (process.env.SEED !== undefined || process.env.SIM_SUMMARY) {
      const max = (key: keyof SeedResult) => Math.max(...results.map((r) => r[key]));
      const sum = (key: keyof SeedResult) => results.reduce((total, r) => total + r[key], 0);
      console.log(
        `${results.length} seeds: ${sum('steps')} steps, ${sum('elections')} elections, ${sum('transfers')} transfers, ` +
          `${sum('crashes')} crashes, ${sum('writesCommitted')} acknowledged writes; ` +
          `served at most ${max('servedAfterMs').toFixed(0)} ms and balanced at most ${max('balancedAfterMs').toFixed(0)} ms after healing`,
      );
    }
  }, 120_000);

  it('is deterministic: a seed replays exactly', () => {
    expect(runSeed(42)).toEqual(runSeed(42));
  });
});
