import { segmentPartitions } from '../src/operations/scan';

describe('segmentPartitions', () => {
  it('splits partitions into disjoint segments that cover them all', () => {
    for (const total of [1, 2, 3, 7, 64, 100]) {
      const seen: number[] = [];
      for (let s = 0; s < total; s++) seen.push(...segmentPartitions(64, s, total));
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    }
  });
});
