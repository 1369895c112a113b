/**
 * The tests of this folder reproduce failures of issue 11 on the code before the committed
 * per-partition log (main at 3b011fb): there they fail, by design, and they must pass once every
 * partition replicates through its committed log. Until that rewrite lands they run only when
 * asked for, so that `npm test` stays green:
 *
 *   TRIAD_COMMITTED_LOG_TESTS=1 npx jest --selectProjects cluster --runInBand test-cluster/committed-log/<file>
 *
 * The lead removes this switch (and uses plain `describe`) when the rewrite is merged.
 */
export const COMMITTED_LOG_TESTS_ENABLED = process.env.TRIAD_COMMITTED_LOG_TESTS === '1';

/** `describe` when TRIAD_COMMITTED_LOG_TESTS=1, else `describe.skip` (hooks inside are skipped too). */
export const describeCommittedLog: jest.Describe = COMMITTED_LOG_TESTS_ENABLED ? describe : describe.skip;
