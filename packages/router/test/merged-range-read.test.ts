import type { PartitionRange, RangeReply } from '@triad/rpc';
import type { RangeOptions, StorageClient } from '../src/cluster/storage-client';
import { readMergedRanges } from '../src/operations/merged-range-read';

/** Partitions as sorted in-memory key lists, read with the storage node's page rules. */
function partitionsOf(keysByPartition: string[][]): StorageClient {
  const readRange = async (ranges: PartitionRange[], options: RangeOptions): Promise<RangeReply> => {
    const [range] = ranges;
    const inRange = (k: Buffer) => {
      const afterStart = range.startExclusive ? Buffer.compare(k, range.start) > 0 : Buffer.compare(k, range.start) >= 0;
      const beforeEnd = range.endInclusive ? Buffer.compare(k, range.end) <= 0 : Buffer.compare(k, range.end) < 0;
      return afterStart && beforeEnd;
    };
    let keys = keysByPartition[range.partition].map((k) => Buffer.from(k)).filter(inRange).sort(Buffer.compare);
    if (options.reverse) keys = keys.reverse();
    const taken = options.limit > 0 ? keys.slice(0, options.limit) : keys;
    return {
      items: taken.map((key) => ({ partition: range.partition, key, item: Buffer.from('{}'), sizeBytes: 10 })),
      exhausted: taken.length === keys.length && !(options.limit > 0 && taken.length >= options.limit),
    };
  };
  const readRanges = (ranges: PartitionRange[], options: RangeOptions) => Promise.all(ranges.map((range) => readRange([range], options)));
  return { readRange, readRanges } as unknown as StorageClient;
}

const ranges = (n: number, start = 'a', startExclusive = false): PartitionRange[] =>
  Array.from({ length: n }, (_, partition) => ({ partition, start: Buffer.from(start), startExclusive, end: Buffer.from('z'), endInclusive: false }));
const keysOf = (reply: RangeReply) => reply.items.map((i) => Buffer.from(i.key).toString());

describe('readMergedRanges', () => {
  const storage = partitionsOf([['b', 'e', 'h'], ['c', 'd'], ['a', 'f', 'g']]);

  it('merges every partition in key order', async () => {
    const reply = await readMergedRanges(storage, ranges(3), { consistent: false, reverse: false, limit: 0, byteLimit: 0 });
    expect(keysOf(reply)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    expect(reply.exhausted).toBe(true);
  });

  it('merges in reverse order', async () => {
    const reply = await readMergedRanges(storage, ranges(3), { consistent: false, reverse: true, limit: 0, byteLimit: 0 });
    expect(keysOf(reply)).toEqual(['h', 'g', 'f', 'e', 'd', 'c', 'b', 'a']);
  });

  it('pages with Limit so that resuming after the last key misses and repeats nothing', async () => {
    const seen: string[] = [];
    let start = 'a';
    let startExclusive = false;
    for (let pages = 0; pages < 10; pages++) {
      const reply = await readMergedRanges(storage, ranges(3, start, startExclusive), { consistent: false, reverse: false, limit: 3, byteLimit: 0 });
      seen.push(...keysOf(reply));
      if (reply.exhausted) break;
      start = seen[seen.length - 1];
      startExclusive = true;
    }
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
  });

  it('stops at the byte limit', async () => {
    const reply = await readMergedRanges(storage, ranges(3), { consistent: false, reverse: false, limit: 0, byteLimit: 25 });
    expect(keysOf(reply)).toEqual(['a', 'b', 'c']);
    expect(reply.exhausted).toBe(false);
  });
});
