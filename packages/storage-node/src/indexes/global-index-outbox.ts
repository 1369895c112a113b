import type { Item } from '@triad/model';
import type { IndexWrite } from './index-writes';
import { encodeRecord, type Version } from '../storage/record-codec';

/**
 * A global index's entries live in the partitions of the index's own key, not with their items.
 * The item's leader does not write them itself: it commits, in the same batch as the item, an
 * outbox record saying which entries the item's change sets, and delivers them once committed (see
 * GlobalIndexPropagator). The outbox record is an ordinary record of the item's partition —
 * replicated, repaired and moved with it — so a new leader finds what an old one left undelivered.
 *
 * Outbox keys are [OUTBOX_PREFIX][item key]: one per item, which a later change of the item
 * merges into while it is still pending. OUTBOX_PREFIX has the length of a table id and is one
 * that random table ids (CreateTable's 8 random bytes) do not take in practice.
 */
export const OUTBOX_PREFIX = Buffer.alloc(8, 0xff);

/** One entry change to deliver: the entry's partition and key, and its item (absent: a tombstone). */
export interface OutboxEntry {
  partition: number;
  /** The entry's key inside its partition, base64. */
  key: string;
  item?: Item;
  sizeBytes: number;
}

/** What an outbox record holds: the entry changes, all at the version of the item's latest change. */
export interface Outbox {
  version: Version;
  entries: OutboxEntry[];
}

export function outboxKeyOf(itemKey: Uint8Array): Buffer {
  return Buffer.concat([OUTBOX_PREFIX, itemKey]);
}

export function itemKeyOfOutbox(outboxKey: Buffer): Buffer {
  return outboxKey.subarray(OUTBOX_PREFIX.length);
}

/**
 * The outbox after an item's change at `version` whose global index writes are `writes`, given
 * what is still pending from earlier changes. Pending entries describe the item's state before
 * this change, so this change's writes replace those of the same key and the rest stay (an entry
 * left pending is still right: a moved entry's old key gets a tombstone in `writes`). Every entry
 * is delivered at the newest version; a replica keeps an entry only if it is newer than its copy.
 */
export function mergeOutbox(pending: Outbox | undefined, writes: readonly IndexWrite[], version: Version): Outbox {
  const byKey = new Map<string, OutboxEntry>();
  for (const entry of pending?.entries ?? []) byKey.set(entry.key, entry);
  for (const write of writes) {
    const key = write.key.toString('base64');
    byKey.set(key, { partition: write.partition!, key, ...(write.item ? { item: write.item } : {}), sizeBytes: write.sizeBytes });
  }
  return { version, entries: [...byKey.values()] };
}

/** The records an outbox delivers: each entry (or its tombstone) at the outbox's version. */
export function outboxDeliveries(outbox: Outbox): { partition: number; key: Buffer; value: Buffer }[] {
  return outbox.entries.map((entry) => ({
    partition: entry.partition,
    key: Buffer.from(entry.key, 'base64'),
    value: encodeRecord(outbox.version, entry.item, entry.sizeBytes),
  }));
}
