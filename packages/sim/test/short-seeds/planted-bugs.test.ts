import type { PlantedBugs } from '@triad/storage-node';
import { runSeed } from '../../src';
import { SHORT_SEED_STEPS } from './short-seeds';

process.env.TRIAD_LOG_LEVEL ??= 'error';

/**
 * Each planted bug, on the first short seed (of 1-100) that finds it, found by
 * `npm run sim -- --seeds 100 --short --steps 6 --plant-bug <name>` (see the package README for
 * how many of the 100 do, and the numbers of long runs). The same seed passes on the real code
 * (short-seeds-*.test.ts runs seeds 1-240).
 */
const FOUND: { bug: keyof PlantedBugs; seed: number; failure: RegExp }[] = [
  { bug: 'followerAckBeforeSync', seed: 77, failure: /not linearizable|acknowledged write lost|counter/ },
  { bug: 'strongReadsSeeUncommitted', seed: 20, failure: /not linearizable/ },
  { bug: 'staleTermAppends', seed: 31, failure: /not linearizable|acknowledged write lost|replicas differ|counter/ },
  { bug: 'wipedNodeVotes', seed: 4, failure: /not linearizable|acknowledged write lost|two leaders|counter/ },
];

describe('the simulator finds each planted bug on a short seed', () => {
  test.each(FOUND)('$bug on seed $seed', async ({ bug, seed, failure }) => {
    const result = await runSeed({ seed, steps: SHORT_SEED_STEPS, short: true, plantedBugs: { [bug]: true } });
    expect(result.failures.join('\n')).toMatch(failure);
  }, 60_000);
});
