import { indexDifferences, moveRoles, partitionsNamed, runSeed, splitAroundMove, summarize } from '../src';

// The nodes' winston loggers write to stderr: only what goes wrong.
// Each seed test costs a few seconds of CPU; its timeout leaves room for a machine whose cores are busy.
process.env.TRIAD_LOG_LEVEL ??= 'error';

/**
 * Short seeds (20 attempts per client, about a second of CPU each) that pass with joins, a
 * decommission and the index add. Seed 8's changes never finished while a wiped node was marked a
 * learner only of the partitions it held: storage-e, promoted to voter of partition 1 by its move
 * and wiped before the layout switched, came back unmarked there (so counted as caught up), the
 * schedule wiped storage-c next, and the partition's four voters kept only two that could vote.
 */
const PASSING_SEEDS = [5, 8, 9];
/**
 * The seed whose short replay (8 attempts per client) is traced twice: its short run shows every
 * kind of event. (Seed 4 at 20 attempts lost global index entries when a partition moved off the
 * only node that held them; fixed, see test/leaving-node-records.test.ts.)
 */
const REPLAY_SEED = 4;
const STEPS = 20;
/**
 * Seeds that catch issue 11's failures 3 and 4 planted back (found by `npm run sim -- --seeds 12
 * --steps 20 --plant-bug …`, see the package README): a move that adopts its layout after a push
 * whatever the answers, without its configuration steps through the log, leaves a replica set
 * the log does not name: since replica sets come from the log (single-server changes), it no
 * longer splits the partition's leadership, but the partition never settles again (seeds 7, 20,
 * 21, 29 of 30); a leader that admits writes with an old index list leaves the index different
 * from its table.
 */
const MOVE_SWITCH_SEED = 7;
const STALE_INDEX_LIST_SEED = 2;
/**
 * Issue 11's failure 3 in the log's terms, planted back: one configuration entry promotes the
 * incoming learner and removes the leaving voter at once. The split {leader, incoming} | {staying,
 * leaving} goes up as that entry is appended, before it commits: the leader commits with the
 * incoming node (a majority of the new voters) while the old voters elect by the old
 * configuration. Seed 1 is the first of `npm run sim -- --seeds 48 --steps 20 --moves --plant-bug
 * move-swaps-voters-at-once` that finds it (7 of 48 do, see the package README): two leaders of
 * partition 3 serving at once, an acknowledged ADD lost.
 */
const MOVE_SWAP_SEED = 1;

describe('joins, decommissions and a global index added, beside the workload and the fault schedule', () => {
  test('short seeds of the real code pass every check: records on exactly their replicas, the index equal to its table', async () => {
    const results = [];
    for (const seed of PASSING_SEEDS) results.push(await runSeed({ seed, steps: STEPS, scenarios: { moves: true, indexes: true } }));
    const report = summarize(results);
    expect(report.failed).toEqual([]);
    // Every seed joined storage-d, decommissioned a node, moved partitions and split the network around a move.
    expect(report.faults.join).toBeGreaterThanOrEqual(PASSING_SEEDS.length);
    expect(report.faults.decommission).toBe(PASSING_SEEDS.length);
    expect(report.faults.move).toBeGreaterThanOrEqual(4 * PASSING_SEEDS.length);
    expect(report.faults.split).toBeGreaterThanOrEqual(PASSING_SEEDS.length);
  }, 180_000);

  test('a replay traces the changes, the splits and the index add, and replays them line for line', async () => {
    const run = await runSeed({ seed: REPLAY_SEED, steps: 8, scenarios: { moves: true, indexes: true }, keepTrace: true });
    const again = await runSeed({ seed: REPLAY_SEED, steps: 8, scenarios: { moves: true, indexes: true }, keepTrace: true });
    expect(again.trace).toEqual(run.trace);
    const faults = run.trace!.filter((line) => line.includes(' FAULT  '));
    expect(faults.some((line) => /FAULT  join storage-d done/.test(line))).toBe(true);
    expect(faults.some((line) => /FAULT  decommission storage-\w done/.test(line))).toBe(true);
    expect(faults.some((line) => /FAULT  split \{.*\} \| \{.*\} around partition \d/.test(line))).toBe(true);
    expect(faults.some((line) => /FAULT  index UpdateTable adds ByG/.test(line))).toBe(true);
    expect(faults.some((line) => /FAULT  catalog-cut router-b/.test(line))).toBe(true);
  }, 180_000);

  test(`a move that adopts its layout whatever the push's answers (planted) is caught: seed ${MOVE_SWITCH_SEED}, the partition never settles`, async () => {
    const planted = await runSeed({ seed: MOVE_SWITCH_SEED, steps: STEPS, scenarios: { moves: true }, plantedBugs: { moveSwitchWithoutLog: true } });
    expect(planted.failures.join('\n')).toMatch(/not settled|leadership: .* (has two leaders|served by 2 leaders)|acknowledged write lost|not linearizable|counter/);
  }, 180_000);

  test(`a move that swaps voters in one configuration entry (planted) is caught: seed ${MOVE_SWAP_SEED}, two leaders serve at once`, async () => {
    const planted = await runSeed({ seed: MOVE_SWAP_SEED, steps: STEPS, scenarios: { moves: true }, plantedBugs: { moveSwapsVotersAtOnce: true }, keepTrace: true });
    expect(planted.failures.join('\n')).toMatch(/leadership: .* (has two leaders|served by 2 leaders)|acknowledged write lost|not linearizable|counter/);
    // The split that finds it went up at the swap's entry, before it committed.
    expect(planted.trace!.some((line) => /FAULT  split \{.*\} \| \{.*\} around partition \d: storage-\w appended the configuration entry .*, before it commits/.test(line))).toBe(true);
  }, 180_000);

  test(`a leader that admits a write with an old index list (planted) is caught: seed ${STALE_INDEX_LIST_SEED}, the index differs from its table`, async () => {
    const planted = await runSeed({ seed: STALE_INDEX_LIST_SEED, steps: STEPS, scenarios: { indexes: true }, plantedBugs: { staleIndexListAdmitted: true } });
    expect(planted.failures.join('\n')).toMatch(/global index ByG differs from SimIndexed/);
  }, 180_000);
});

describe('the scenarios\' pure parts', () => {
  test('a move\'s roles, and the split around it: {leader, incoming} | {staying, leaving}', () => {
    const move = { partition: 3, from: ['b', 'c', 'a'], to: ['b', 'c', 'd'], done: false };
    expect(moveRoles(move)).toEqual({ leaving: ['a'], staying: ['b', 'c'], incoming: ['d'] });
    expect(splitAroundMove(move, 'b')).toEqual([['b', 'd'], ['c', 'a']]);
    // Led by the leaving node (before it hands over): the incoming node with it, both staying ones apart.
    expect(splitAroundMove(move, 'a')).toEqual([['a', 'd'], ['b', 'c']]);
  });

  test('an index equals its table only with exactly one equal entry per item that has the index key', () => {
    const item = (pk: string, g?: string, v = '1') => ({ pk: { S: pk }, v: { N: v }, ...(g ? { g: { S: g } } : {}) });
    expect(indexDifferences([item('k1', 'red'), item('k2')], [item('k1', 'red')])).toEqual([]);
    expect(indexDifferences([item('k1', 'red')], [])).toEqual([expect.stringMatching(/item k1 has no index entry/)]);
    expect(indexDifferences([item('k1', 'red', '2')], [item('k1', 'red', '1')])).toEqual([expect.stringMatching(/k1's index entry .* differs/)]);
    expect(indexDifferences([item('k1', 'red')], [item('k1', 'red'), item('k1', 'blue')])).toEqual([expect.stringMatching(/item k1 has 2 index entries/)]);
    expect(indexDifferences([item('k2')], [item('k2', 'blue')])).toEqual([expect.stringMatching(/index entry .* for k2, which has no item with g/)]);
  });

  test('the partitions a storage request names, for faults shaped by partition', () => {
    expect(partitionsNamed({ ops: [{ partition: 4 }, { partition: 1 }, { partition: 4 }] })).toEqual([4, 1]);
    expect(partitionsNamed({ keys: [{ partition: 2 }] })).toEqual([2]);
    expect(partitionsNamed({ ranges: [{ partition: 0 }], reverse: false })).toEqual([0]);
    expect(partitionsNamed({ partition: 3, minEpoch: 1 })).toEqual([3]);
    expect(partitionsNamed({ from: 'x' })).toEqual([]);
  });
});
