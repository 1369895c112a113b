import { ItemCollectionSizeLimitExceededException, decodeKeyValue, type KeySchema } from '@triad/model';

/**
 * On a table with local secondary indexes, the items that share a partition key value and their
 * local index entries form an item collection, which DynamoDB limits to 10 GB. The leader keeps
 * each collection's size in a counter record of the partition, [COLLECTION_PREFIX][table id]
 * [encoded partition key], updated in the same batch as every write that changes the collection.
 * The prefix has the length of a table id and is one random ids do not take in practice; it sorts
 * apart from the outbox prefix (ff×8) of global index updates.
 */
export const COLLECTION_PREFIX = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);

/** Length of a table id at the start of every item key. */
const TABLE_ID_BYTES = 8;

/** The counter record's key of the collection an item key (table id, partition key, sort key) belongs to. */
export function collectionKeyOf(itemKey: Buffer, table: KeySchema): Buffer {
  const { next } = decodeKeyValue(table.partitionKey.type, itemKey, TABLE_ID_BYTES);
  return Buffer.concat([COLLECTION_PREFIX, itemKey.subarray(0, next)]);
}

/**
 * The collection's size after a write that changes it by `deltaBytes`. A write that would grow a
 * collection past `maxBytes` is refused; one that shrinks it (or keeps its size) never is, so an
 * oversized collection can always be cut back, as in DynamoDB.
 */
export function collectionSizeAfter(currentBytes: number, deltaBytes: number, maxBytes: number): number {
  const after = Math.max(0, currentBytes + deltaBytes);
  if (deltaBytes > 0 && after > maxBytes) {
    throw new ItemCollectionSizeLimitExceededException('The total size of an item collection has exceeded the maximum limit of 10 gigabytes.');
  }
  return after;
}
