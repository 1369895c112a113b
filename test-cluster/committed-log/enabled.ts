/**
 * The tests of this folder reproduce failures of issue 11 on the code before the committed
 * per-partition log (main at 3b011fb), where they fail, and pass on the log. The short ones run in
 * every `npm test`; the long ones (the hot key at scale, a join split several times) run with
 * `npm run test:faults`, which sets TRIAD_LONG_FAULT_TESTS=1:
 *
 *   npm run test:faults                       (every file of this folder)
 *   TRIAD_LONG_FAULT_TESTS=1 npx jest --selectProjects cluster --runInBand test-cluster/committed-log/<file>
 */
export const LONG_FAULT_TESTS_ENABLED = process.env.TRIAD_LONG_FAULT_TESTS === '1';

/** The short reproductions: always run. */
export const describeCommittedLog: jest.Describe = describe;

/** The long reproductions: `describe` when TRIAD_LONG_FAULT_TESTS=1, else `describe.skip` (hooks inside are skipped too). */
export const describeLongFault: jest.Describe = LONG_FAULT_TESTS_ENABLED ? describe : describe.skip;
