import type { PrefixStatsReply } from '@triad/rpc';
import { CENSUS_ROUNDS_MAX, countPrefixesOnce } from '../src/cluster/prefix-census';

/**
 * A cluster in memory: each node holds some partitions, and each partition holds, per prefix, a
 * count of items of 10 bytes each. Every node's copy of a partition is the same.
 */
function cluster(holding: Record<string, number[]>, itemsPerPartition: number[][]) {
  const asked: { node: string; partitions: number[] }[] = [];
  const down = new Set<string>();
  const ask = async (node: string, partitions: number[]): Promise<PrefixStatsReply> => {
    asked.push({ node, partitions });
    if (down.has(node)) throw new Error(`${node} is down`);
    const counted = partitions.filter((p) => holding[node].includes(p));
    const prefixCount = itemsPerPartition[0].length;
    const stats = Array.from({ length: prefixCount }, (_, i) => {
      const items = counted.reduce((sum, p) => sum + itemsPerPartition[p][i], 0);
      return { items, sizeBytes: items * 10 };
    });
    return { stats, partitionsNotHeld: partitions.filter((p) => !holding[node].includes(p)) };
  };
  return { asked, down, ask };
}

describe('countPrefixesOnce', () => {
  // Three nodes, each holding every partition; partition p has p + 1 items of prefix 0 and 1 of prefix 1.
  const items = [[1, 1], [2, 1], [3, 1], [4, 1]];
  const all = { a: [0, 1, 2, 3], b: [0, 1, 2, 3], c: [0, 1, 2, 3] };
  const candidates = (p: number) => (p % 2 === 0 ? ['a', 'b', 'c'] : ['b', 'c', 'a']);

  test('counts each partition once, at its first candidate, one request per node', async () => {
    const c = cluster(all, items);
    const result = await countPrefixesOnce([0, 1, 2, 3], 2, { candidatesOf: candidates, ask: c.ask });
    expect(result).toEqual({ stats: [{ items: 10, sizeBytes: 100 }, { items: 4, sizeBytes: 40 }], partitionsMissed: [] });
    expect(c.asked).toEqual([
      { node: 'a', partitions: [0, 2] },
      { node: 'b', partitions: [1, 3] },
    ]);
  });

  test('a node that fails leaves its partitions to their next replica', async () => {
    const c = cluster(all, items);
    c.down.add('a');
    const failures: string[] = [];
    const result = await countPrefixesOnce([0, 1, 2, 3], 2, { candidatesOf: candidates, ask: c.ask, onFailure: (node) => failures.push(node) });
    expect(result.stats).toEqual([{ items: 10, sizeBytes: 100 }, { items: 4, sizeBytes: 40 }]);
    expect(result.partitionsMissed).toEqual([]);
    expect(failures).toEqual(['a']);
    expect(c.asked.slice(2)).toEqual([{ node: 'b', partitions: [0, 2] }]);
  });

  test('a partition a node does not hold (it moved) is counted by another replica, not twice', async () => {
    const c = cluster({ a: [0, 2, 3], b: [0, 1, 2], c: [1, 3] }, items);
    const result = await countPrefixesOnce([0, 1, 2, 3], 2, { candidatesOf: candidates, ask: c.ask });
    expect(result).toEqual({ stats: [{ items: 10, sizeBytes: 100 }, { items: 4, sizeBytes: 40 }], partitionsMissed: [] });
    expect(c.asked).toEqual([
      { node: 'a', partitions: [0, 2] },
      { node: 'b', partitions: [1, 3] },
      { node: 'c', partitions: [3] },
    ]);
  });

  test('partitions no replica could count are reported as missed', async () => {
    const c = cluster(all, items);
    c.down.add('a');
    c.down.add('b');
    c.down.add('c');
    const result = await countPrefixesOnce([0, 1, 2, 3], 2, { candidatesOf: candidates, ask: c.ask });
    expect(result).toEqual({ stats: [{ items: 0, sizeBytes: 0 }, { items: 0, sizeBytes: 0 }], partitionsMissed: [0, 1, 2, 3] });
    expect(c.asked).toHaveLength(6);
  });

  test('the rounds are bounded however many candidates a partition has', async () => {
    const nodes = Array.from({ length: CENSUS_ROUNDS_MAX + 3 }, (_, i) => `n${i}`);
    const c = cluster(Object.fromEntries(nodes.map((n) => [n, []])), items);
    const result = await countPrefixesOnce([0], 2, { candidatesOf: () => nodes, ask: c.ask });
    expect(result.partitionsMissed).toEqual([0]);
    expect(c.asked).toHaveLength(CENSUS_ROUNDS_MAX);
  });

  test('no partitions, no requests', async () => {
    const c = cluster(all, items);
    expect(await countPrefixesOnce([], 1, { candidatesOf: candidates, ask: c.ask })).toEqual({ stats: [{ items: 0, sizeBytes: 0 }], partitionsMissed: [] });
    expect(c.asked).toEqual([]);
  });
});
