import { Ring, completeMove, finishChange, planDecommission, planJoin, type ClusterLayout } from '@triad/ring';
import { learnerMarksEnded, learnerPartitionsAfterDataLoss } from '../src/replica/learner-marks';

const node = (id: string, zone: string) => ({ id, zone, address: `${id}:7000` });
const BASE: ClusterLayout = { partitionCount: 8, storageNodes: [node('a', 'a'), node('b', 'b'), node('c', 'c')] };
const JOINING = planJoin(BASE, node('d', 'a'));
const MOVING = JOINING.change!.moves.map((m) => m.partition);

describe('learner marks of a node that lost its data', () => {
  test('a joining node is marked a learner of the partitions moving to it, not only of those it holds (seed 8 of --moves --indexes)', () => {
    expect(MOVING.length).toBeGreaterThan(0);
    // Before the first move switches, the joining node holds nothing, yet a move's log may have made it a voter.
    expect(new Ring(JOINING).partitionsOf('d')).toEqual([]);
    expect(learnerPartitionsAfterDataLoss(new Ring(JOINING), 'd')).toEqual(MOVING);
    // Halfway: the partition switched is held, the other still moving; both are marked.
    const half = completeMove(JOINING, MOVING[0]!);
    expect(learnerPartitionsAfterDataLoss(new Ring(half), 'd')).toEqual(MOVING);
    // A node of the base layout: the partitions it holds (and the system partition it replicates).
    const held = new Ring(BASE).partitionsOf('a');
    expect(learnerPartitionsAfterDataLoss(new Ring(BASE), 'a')).toEqual(held);
  });

  test('a mark set while a partition moved here stays when the move switches it; it goes when the node leaves it', () => {
    const [first] = MOVING;
    const switched = completeMove(JOINING, first!);
    expect(learnerMarksEnded(new Ring(JOINING), new Ring(switched), 'd')).toEqual([]);
    expect(learnerMarksEnded(new Ring(switched), new Ring(finishChange(MOVING.slice(1).reduce(completeMove, switched))), 'd')).toEqual([]);
    // A decommissioned node leaves every partition it held: their marks go.
    const joined = finishChange(MOVING.reduce(completeMove, JOINING));
    const leaving = planDecommission(joined, 'd');
    const left = finishChange(leaving.change!.moves.map((m) => m.partition).reduce(completeMove, leaving));
    expect(learnerMarksEnded(new Ring(leaving), new Ring(left), 'd').sort((x, y) => x - y)).toEqual(new Ring(leaving).partitionsOf('d'));
  });

  test('a mark found when the node comes to a partition it did not replicate is from an earlier stay: it goes', () => {
    // The joining node starts receiving the moving partitions.
    expect(learnerMarksEnded(new Ring(BASE), new Ring(JOINING), 'd')).toEqual(MOVING);
    // A layout that skips the moving stage (the node missed it) brings it a partition held at once.
    expect(learnerMarksEnded(new Ring(BASE), new Ring(finishChange(MOVING.reduce(completeMove, JOINING))), 'd')).toEqual(MOVING);
  });
});
