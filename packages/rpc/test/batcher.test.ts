import { Batcher } from '../src/batcher';

describe('Batcher', () => {
  it('sends a lone request at once and coalesces requests that arrive while a batch is in flight', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = new Batcher<number, number>(
      async (requests) => {
        batches.push(requests);
        if (batches.length === 1) await gate;
        return requests.map((r) => r * 10);
      },
      { batchSizeMax: 100, inFlightMax: 1 },
    );
    const first = batcher.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const rest = [2, 3, 4].map((n) => batcher.submit(n));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1]]);
    release();
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('splits batches at the size limit', async () => {
    const sizes: number[] = [];
    const batcher = new Batcher<number, number>(async (requests) => {
      sizes.push(requests.length);
      return requests;
    }, { batchSizeMax: 3, inFlightMax: 10 });
    await Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => batcher.submit(n)));
    expect(sizes).toEqual([3, 3, 1]);
  });

  it('rejects every request of a failed batch', async () => {
    const batcher = new Batcher<number, number>(async () => {
      throw new Error('unreachable');
    }, { batchSizeMax: 10, inFlightMax: 1 });
    await expect(Promise.all([batcher.submit(1), batcher.submit(2)])).rejects.toThrow('unreachable');
  });

  it('rejects when a batch returns the wrong number of results', async () => {
    const batcher = new Batcher<number, number>(async () => [], { batchSizeMax: 10, inFlightMax: 1 });
    await expect(batcher.submit(1)).rejects.toThrow(/0 results for 1/);
  });

  it('flushes when its deferral runs, so that a simulator decides when batches leave', async () => {
    const deferred: (() => void)[] = [];
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>(async (requests) => {
      batches.push(requests);
      return requests;
    }, { batchSizeMax: 10, inFlightMax: 1, defer: (flush) => deferred.push(flush) });
    const sent = [1, 2].map((n) => batcher.submit(n));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([]);
    expect(deferred).toHaveLength(1);
    deferred.shift()!();
    expect(await Promise.all(sent)).toEqual([1, 2]);
    expect(batches).toEqual([[1, 2]]);
  });
});
