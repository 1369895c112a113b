import { runSeed } from '../src';

process.env.TRIAD_LOG_LEVEL ??= 'error';

/**
 * Seed 58 of `npm run sim -- --seeds 100 --steps 30 --moves --indexes` lost three acknowledged ADDs
 * of counter c0 on main at 1cec6db: storage-a lagged (cut off) while storage-b led partition 3 and
 * committed entries 20–21 (the ADDs) with storage-c; then storage-b was killed and storage-c wiped.
 * storage-c restarted while the split around partition 0's move still cut it off from storage-a,
 * asked its peers for 5 s whether it had data, heard nothing, and came back a voter of generation 1
 * with an empty log; storage-a won partition 3 in term 2 with its vote and committed its no-op at
 * index 20 over the lost entries. The fix: a node without data decides its identity only on a
 * peer's answer (`askPeersOurGeneration`), so storage-c waits and comes back a learner.
 *
 * The seed replays this only while the fault schedule and the side scenarios draw as they do now;
 * `packages/storage-node/test/node-identity.test.ts` checks the decision itself.
 */
test('seed 58 with moves and indexes: a wiped node cut off from its peers does not vote, no acknowledged ADD is lost', async () => {
  const result = await runSeed({ seed: 58, steps: 30, scenarios: { moves: true, indexes: true }, keepTrace: true });
  expect(result.failures).toEqual([]);
  expect(result.trace!.some((line) => /FAULT  wipe-lagging storage-a lags \(cut off\), then storage-b killed and storage-c wiped at once/.test(line))).toBe(true);
}, 180_000);
