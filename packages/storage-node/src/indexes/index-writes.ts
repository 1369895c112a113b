import { encodeKeyValue, indexEntryKey, itemSizeBytes, pickAttributes, type Item, type KeySchema } from '@triad/model';
import type { IndexSpec } from '@triad/rpc';

/** One change to an index entry: its item key inside the partition, and its new state. */
export interface IndexWrite {
  /** The index's name, for the capacity its writes consume. */
  index: string;
  /**
   * A global index's entry lives in the partition of the index's own partition key (delivered
   * there after the item's write commits); a local index's lives with its item (undefined).
   */
  partition?: number;
  key: Buffer;
  /** The entry's item, or undefined for a tombstone (the item left the index or moved in it). */
  item: Item | undefined;
  /** The entry's size as DynamoDB counts it: the projected attributes only. */
  sizeBytes: number;
  /** Write capacity units DynamoDB charges for it: none when no projected attribute changed. */
  units: number;
}

/** DynamoDB's write unit: 1 KB. */
const WRITE_UNIT_BYTES = 1024;
const unitsFor = (sizeBytes: number) => Math.max(1, Math.ceil(sizeBytes / WRITE_UNIT_BYTES));

/** The partition of an encoded partition key value. */
export type PartitionOf = (encodedPartitionKey: Uint8Array) => number;

/**
 * The index entries a change of an item from `before` to `after` (undefined: absent) writes: the
 * entry of the new state, and a tombstone where the old state's entry was if that key is not reused.
 * Pure: the leader calls it under the item's lock and commits the result with the item itself.
 */
export function deriveIndexWrites(
  indexes: readonly IndexSpec[],
  table: KeySchema,
  before: Item | undefined,
  after: Item | undefined,
  partitionOf: PartitionOf,
): IndexWrite[] {
  const writes: IndexWrite[] = [];
  for (const index of indexes) {
    const id = Buffer.from(index.id, 'hex');
    const oldKey = before && indexEntryKey(id, index.keySchema, table, before);
    const newKey = after && indexEntryKey(id, index.keySchema, table, after);
    const project = (item: Item) => (index.projectedAttributes ? pickAttributes(item, index.projectedAttributes) : item);
    const { partitionKey } = index.keySchema;
    // The key exists only when the item has the index's partition key, so the value is there.
    const partitionOfEntry = (item: Item) => (index.local ? undefined : partitionOf(encodeKeyValue(partitionKey.type, item[partitionKey.name])));
    const moved = !(oldKey && newKey && oldKey.equals(newKey));
    if (oldKey && moved) writes.push({ index: index.name, partition: partitionOfEntry(before!), key: oldKey, item: undefined, sizeBytes: 0, units: 1 });
    if (newKey && after) {
      const projected = project(after);
      const unchanged = !moved && before !== undefined && JSON.stringify(project(before)) === JSON.stringify(projected);
      // A global index entry whose projection did not change is not rewritten at all; a local one
      // holds the whole item, so it is rewritten, but DynamoDB charges nothing for it either.
      if (unchanged && !index.local) continue;
      const sizeBytes = itemSizeBytes(projected);
      writes.push({
        index: index.name,
        partition: partitionOfEntry(after),
        key: newKey,
        item: index.local ? after : projected,
        sizeBytes,
        units: unchanged ? 0 : unitsFor(sizeBytes),
      });
    }
  }
  return writes;
}
