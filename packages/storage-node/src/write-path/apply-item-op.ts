import {
  ConditionalCheckFailedException,
  ITEM_SIZE_BYTES_MAX,
  ValidationException,
  applyUpdate,
  checkIndexKeys,
  evaluateCondition,
  itemSizeBytes,
  type Item,
  type UpdateExpression,
} from '@triad/model';
import type { ItemOpBody, OpKind, OpResultBody } from '@triad/rpc';
import { deriveIndexWrites, type IndexWrite, type PartitionOf } from '../indexes/index-writes';

/** What the leader decided for one operation on one item. Pure: no storage, no clock. */
export interface ItemOpOutcome {
  /** Present when the item changes: the new item, or undefined for a delete (a tombstone). */
  write?: { item: Item | undefined; sizeBytes: number };
  /** The secondary index entries that change with it (REINDEX: without a write of the item). */
  indexWrites: IndexWrite[];
  result: OpResultBody;
}

/** Adds the index entries that follow from the item's change, after checking its index keys. */
function withIndexWrites(
  body: ItemOpBody,
  current: Item | undefined,
  outcome: Omit<ItemOpOutcome, 'indexWrites'>,
  origin: 'item' | 'update',
  partitionOf: PartitionOf,
): ItemOpOutcome {
  if (!body.indexes || !body.tableKeySchema || !outcome.write) return { ...outcome, indexWrites: [] };
  const after = outcome.write.item;
  if (after) checkIndexKeys(body.indexes, after, origin);
  const indexWrites = deriveIndexWrites(body.indexes, body.tableKeySchema, current, after, partitionOf);
  const indexUnits: Record<string, number> = {};
  for (const write of indexWrites) if (write.units > 0) indexUnits[write.index] = (indexUnits[write.index] ?? 0) + write.units;
  if (Object.keys(indexUnits).length > 0) outcome.result.indexUnits = indexUnits;
  return { ...outcome, indexWrites };
}

/**
 * REINDEX from the reconciler: tombstones for the entries it found pointing at the item that the
 * item's current state does not write again (the item moved in the index, left it, or is gone).
 * They go out at the item's version, like its entries, so a later write of the item still wins.
 */
function staleEntryTombstones(body: ItemOpBody, current: readonly IndexWrite[]): IndexWrite[] {
  const tombstones: IndexWrite[] = [];
  for (const stale of body.staleEntries ?? []) {
    const key = Buffer.from(stale.key, 'base64');
    if (current.some((write) => write.key.equals(key)) || tombstones.some((write) => write.key.equals(key))) continue;
    tombstones.push({ index: stale.index, partition: stale.partition, key, item: undefined, sizeBytes: 0, units: 0 });
  }
  return tombstones;
}

/**
 * Applies an operation to an item's current state, as the partition leader does while it holds the
 * key's lock: checks the condition, computes the new item, and says what to send back.
 * Throws DynamoDB errors (ConditionalCheckFailedException, ValidationException).
 */
export function applyItemOp(kind: OpKind, body: ItemOpBody, current: Item | undefined, partitionOf: PartitionOf): ItemOpOutcome {
  if (kind === 'OP_KIND_GET') return { result: current ? { item: current } : {}, indexWrites: [] };
  if (kind === 'OP_KIND_REINDEX') {
    // Items whose index keys DynamoDB would refuse are left out of the index, as its backfill does.
    const writes = current && body.indexes && body.tableKeySchema ? deriveIndexWrites(body.indexes, body.tableKeySchema, undefined, current, partitionOf) : [];
    return { result: {}, indexWrites: [...writes, ...staleEntryTombstones(body, writes)] };
  }

  if (body.condition !== undefined && !evaluateCondition(body.condition as never, current)) {
    throw new ConditionalCheckFailedException(
      'The conditional request failed',
      body.returnOldOnConditionFailure && current ? current : undefined,
    );
  }
  const result: OpResultBody = {};
  if (body.returnOld && current) result.old = current;

  switch (kind) {
    case 'OP_KIND_PUT': {
      const item = body.item!;
      return withIndexWrites(body, current, { write: { item, sizeBytes: itemSizeBytes(item) }, result }, 'item', partitionOf);
    }
    case 'OP_KIND_DELETE':
      return withIndexWrites(body, current, { write: current ? { item: undefined, sizeBytes: 0 } : undefined, result }, 'item', partitionOf);
    case 'OP_KIND_UPDATE': {
      // An update that only removes or deletes has nothing to put into a missing item: DynamoDB
      // leaves it absent (an update with no actions at all still creates it, key alone).
      const update = body.update as UpdateExpression | undefined;
      if (!current && update && update.set.length === 0 && update.add.length === 0 && update.remove.length + update.delete.length > 0) {
        return { result, indexWrites: [] };
      }
      const base = current ?? body.item!;
      let item = base;
      if (body.update !== undefined) {
        item = applyUpdate(body.update as never, base).item;
      }
      const sizeBytes = itemSizeBytes(item);
      if (sizeBytes > ITEM_SIZE_BYTES_MAX) {
        throw new ValidationException('Item size to update has exceeded the maximum allowed size');
      }
      if (body.returnNew) result.new = item;
      return withIndexWrites(body, current, { write: { item, sizeBytes }, result }, 'update', partitionOf);
    }
    default:
      throw new ValidationException(`unknown operation kind ${kind}`);
  }
}
