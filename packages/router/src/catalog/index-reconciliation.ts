import { encodeKeyValue, getOwn, indexEntryKey, pickAttributes, type AttributeValue, type Item, type KeySchema } from '@triad/model';
import { projectedAttributes } from './secondary-indexes';
import type { IndexDefinition, TableDefinition } from './table-definition';

/**
 * What a global index should hold for an item, and how an entry found differs from it: the pure
 * half of the reconciler (index-reconciler.ts). The expectation is the one the leader derives
 * when it writes the item (storage-node/index-writes.ts): an entry keyed by the index key and the
 * table key, in the partition of the index's partition key, holding the projected attributes; none
 * when the item lacks an index key attribute or has one of another type or empty.
 */

/** An index entry: its partition, its key inside the partition, and the item it holds. */
export interface IndexEntry {
  partition: number;
  key: Buffer;
  item: Item;
}

/** Kinds of difference, as the repairs metric counts them. */
export type Difference = 'missing' | 'stale' | 'extra';

/** The entry `index` should hold for `item` (absent: the item is not in the index). */
export function expectedEntry(
  table: TableDefinition,
  index: IndexDefinition,
  item: Item,
  partitionOf: (encodedPartitionKey: Uint8Array) => number,
): IndexEntry | undefined {
  const key = indexEntryKey(Buffer.from(index.indexId, 'hex'), index.keySchema, table.keySchema, item);
  if (!key) return undefined;
  const { partitionKey } = index.keySchema;
  const names = projectedAttributes(table, index);
  return {
    partition: partitionOf(encodeKeyValue(partitionKey.type, item[partitionKey.name])),
    key,
    item: names ? pickAttributes(item, names) : item,
  };
}

/** How the entry found at the expected key differs from the expected one (undefined: it does not). */
export function entryDifference(expected: IndexEntry, found: Item | undefined): Difference | undefined {
  if (!found) return 'missing';
  return sameItem(expected.item, found) ? undefined : 'stale';
}

/** Whether an entry found at (`partition`, `key`) is not the one its item should have (`expected`, from the item as it is). */
export function isExtraEntry(partition: number, key: Buffer, expected: IndexEntry | undefined): boolean {
  return !expected || expected.partition !== partition || !expected.key.equals(key);
}

/** The table key attributes an entry holds (every projection keeps them), or undefined if one is missing. */
export function tableKeyOfEntry(schema: KeySchema, entry: Item): Item | undefined {
  const names = schema.sortKey ? [schema.partitionKey.name, schema.sortKey.name] : [schema.partitionKey.name];
  if (names.some((name) => getOwn(entry, name) === undefined)) return undefined;
  return pickAttributes(entry, names);
}

/** Items equal as DynamoDB values: the order of attributes (and of a map's members) does not matter. */
export function sameItem(a: Item, b: Item): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: Item | AttributeValue | unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
