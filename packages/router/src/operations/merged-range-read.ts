import type { PartitionRange, RangeReply } from '@triad/rpc';
import type { RangeOptions, StorageClient } from '../cluster/storage-client';

/**
 * Reads the same key range from several partitions at once and merges them in key order, as a
 * Query of a global secondary index needs (its entries live in their items' partitions). An entry
 * is passed on only when no partition that still has more could hold a smaller one, so pages
 * resume exactly after the last key returned; Limit and the byte limit apply to the merged stream.
 */
export async function readMergedRanges(storage: StorageClient, ranges: PartitionRange[], options: RangeOptions): Promise<RangeReply> {
  const replies = await storage.readRanges(ranges, options);
  const before = (a: Buffer, b: Buffer) => (options.reverse ? Buffer.compare(b, a) : Buffer.compare(a, b));
  // The furthest key every partition with more to read has passed: beyond it order is unknown.
  let horizon: Buffer | undefined;
  for (const reply of replies) {
    if (reply.exhausted) continue;
    const last = reply.items[reply.items.length - 1]?.key;
    const lastKey = last ? Buffer.from(last) : undefined;
    if (!lastKey) return { items: [], exhausted: false };
    if (!horizon || before(lastKey, horizon) < 0) horizon = lastKey;
  }
  const all = replies.flatMap((reply) => reply.items).sort((a, b) => before(Buffer.from(a.key), Buffer.from(b.key)));
  const items: RangeReply['items'] = [];
  let bytes = 0;
  for (const item of all) {
    if (horizon && before(Buffer.from(item.key), horizon) > 0) return { items, exhausted: false };
    items.push(item);
    bytes += item.sizeBytes;
    const full = (options.limit > 0 && items.length >= options.limit) || (options.byteLimit > 0 && bytes >= options.byteLimit);
    // Like a single partition's read, a page that filled up says more may follow.
    if (full) return { items, exhausted: false };
  }
  return { items, exhausted: !horizon };
}
