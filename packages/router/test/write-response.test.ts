import { sizeEstimateRangeGB } from '../src/operations/write-response';

describe('sizeEstimateRangeGB', () => {
  it('gives the whole gigabyte an item collection size lies in', () => {
    const GB = 1024 ** 3;
    expect(sizeEstimateRangeGB(0)).toEqual([0, 1]);
    expect(sizeEstimateRangeGB(GB - 1)).toEqual([0, 1]);
    expect(sizeEstimateRangeGB(GB)).toEqual([1, 2]);
    expect(sizeEstimateRangeGB(9.5 * GB)).toEqual([9, 10]);
  });
});
