import type { Item, KeySchema } from '@triad/model';

/**
 * A secondary index the leader keeps in step with the item: for each write it derives the index
 * entry from the new item (none when the item lacks the index key: indexes are sparse) and a
 * tombstone for the entry the old item had, in the same partition and the same write batch.
 */
export interface IndexSpec {
  name: string;
  /** 16 hex digits: the prefix of the index's storage keys. */
  id: string;
  keySchema: KeySchema;
  /** The attributes the index projects: its entries hold these and count their size (undefined: ALL). */
  projectedAttributes?: string[];
  /**
   * A local index's entries hold the whole item (still sized by the projection): a Query on it may
   * ask for attributes outside the projection, which DynamoDB then fetches from the table.
   */
  local?: boolean;
}

/**
 * JSON bodies of ItemOp and OpResult (proto/triad/storage.proto): what a router asks a partition
 * leader to do with one item, and what comes back. Expression trees are parsed and validated by the
 * router and evaluated by the leader, so they travel here already resolved.
 */
export interface ItemOpBody {
  /** PUT: the new item. UPDATE: the key attributes, the base of an item that does not exist yet. */
  item?: Item;
  /** A resolved ConditionExpression (or legacy Expected) tree. */
  condition?: unknown;
  /** UPDATE: a resolved UpdateExpression tree; absent means "ensure the item exists". */
  update?: unknown;
  /** Send back the item as it was before the operation. */
  returnOld?: boolean;
  /** Send back the item as it is after the operation. */
  returnNew?: boolean;
  /** On ConditionalCheckFailedException, send back the item as it was. */
  returnOldOnConditionFailure?: boolean;
  /**
   * The table's secondary indexes (local and global) that writes maintain; absent: none.
   * REINDEX: the indexes to (re)build the item's entries in, from its current state.
   */
  indexes?: IndexSpec[];
  /** The table's key schema, needed with `indexes` to build the entries' keys. */
  tableKeySchema?: KeySchema;
  /**
   * The table's schema version that `indexes` comes from (absent: 0). A leader refuses a write
   * whose version is below the table's index fence (STALE_INDEX_LIST); a write of a fence record
   * carries the version it sets.
   */
  schemaVersion?: number;
  /**
   * REINDEX only: global index entries found pointing at this item (by the reconciler) that may no
   * longer be right. The leader writes a tombstone, at the item's version, for each one that the
   * item's current state does not write again.
   */
  staleEntries?: StaleIndexEntry[];
}

/** A global index entry to check against its item: the index's name, the entry's partition and key (base64). */
export interface StaleIndexEntry {
  index: string;
  partition: number;
  key: string;
}

export interface OpResultBody {
  /** GET: the item, when it exists. */
  item?: Item;
  old?: Item;
  new?: Item;
  /** The larger of the item's sizes before and after, which DynamoDB bills capacity by. */
  sizeBytes?: number;
  /** Write capacity units the write consumed in each secondary index it changed, by index name. */
  indexUnits?: Record<string, number>;
  /** On a table with local indexes: the size of the item's collection after the write (its items and local index entries). */
  collectionBytes?: number;
}

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

export function decodeJson<T>(bytes: Buffer | Uint8Array | undefined): T | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  // A view of the same memory, not a copy (Buffer.from of a Uint8Array copies it).
  const text = (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('utf8');
  return JSON.parse(text) as T;
}
