import { runSeed } from '../../src';

// The nodes' winston loggers write to stderr: only what goes wrong.
process.env.TRIAD_LOG_LEVEL ??= 'error';

/** Attempts per client of a short seed: with one early fault, about a tenth of a second of CPU. */
export const SHORT_SEED_STEPS = 6;

/** How many seeds each short-seed test file runs (the files split them so that jest's workers share them). */
export const SHORT_SEEDS_PER_FILE = 60;

/**
 * Short seeds of the whole cluster (real code, one early fault, the seeded half of the fault
 * points): each must pass every check. A failure prints its replay command.
 */
export function describeShortSeeds(file: number): void {
  const first = 1 + (file - 1) * SHORT_SEEDS_PER_FILE;
  const seeds = Array.from({ length: SHORT_SEEDS_PER_FILE }, (_, i) => first + i);
  describe(`short seeds ${first}-${first + SHORT_SEEDS_PER_FILE - 1} of the real code pass every check`, () => {
    test.each(seeds)('seed %i', async (seed) => {
      const result = await runSeed({ seed, steps: SHORT_SEED_STEPS, short: true });
      if (result.failures.length > 0) {
        throw new Error(`seed ${seed} failed (replay: SEED=${seed} npm run sim -- --short --steps ${SHORT_SEED_STEPS}):\n${result.failures.join('\n')}`);
      }
    }, 60_000);
  });
}
