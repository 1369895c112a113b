/**
 * The membership fault's choice of split (no cluster): around a partition move, the side of the
 * mover and the incoming node against every other replica of the old or new set.
 */
import { moveRoles, splitAround } from '../../src/chaos/membership-fault';

describe('the split around a move', () => {
  const join = { partition: 3, from: ['storage-a-1', 'storage-b-1', 'storage-c-1'], to: ['storage-a-2', 'storage-b-1', 'storage-c-1'], done: true };

  test('a join moving a partition from storage-a-1 to storage-a-2, led by storage-b-1: {leader, incoming} | {staying, leaving}', () => {
    expect(moveRoles(join)).toEqual({ leaving: ['storage-a-1'], staying: ['storage-b-1', 'storage-c-1'], incoming: ['storage-a-2'] });
    const [one, other] = splitAround(join, 'storage-b-1');
    expect(one).toEqual(['storage-b-1', 'storage-a-2']);
    expect(other).toEqual(['storage-a-1', 'storage-c-1']);
    // Each side holds a majority of one replica set: the new one, and the old one.
    const majority = (side: string[], set: string[]) => set.filter((id) => side.includes(id)).length >= 2;
    expect(majority(one, join.to) && majority(other, join.from)).toBe(true);
  });

  test('a move led by the leaving node puts it with the incoming one', () => {
    const decommission = { partition: 5, from: ['storage-a-2', 'storage-b-1', 'storage-c-1'], to: ['storage-a-1', 'storage-b-1', 'storage-c-1'], done: false };
    expect(splitAround(decommission, 'storage-a-2')).toEqual([
      ['storage-a-2', 'storage-a-1'],
      ['storage-b-1', 'storage-c-1'],
    ]);
  });
});
