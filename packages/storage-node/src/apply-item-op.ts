import {
  ConditionalCheckFailedException,
  ITEM_SIZE_BYTES_MAX,
  ValidationException,
  applyUpdate,
  evaluateCondition,
  itemSizeBytes,
  type Item,
} from '@triad/model';
import type { ItemOpBody, OpKind, OpResultBody } from '@triad/rpc';

/** What the leader decided for one operation on one item. Pure: no storage, no clock. */
export interface ItemOpOutcome {
  /** Present when the item changes: the new item, or undefined for a delete (a tombstone). */
  write?: { item: Item | undefined; sizeBytes: number };
  result: OpResultBody;
}

/**
 * Applies an operation to an item's current state, as the partition leader does while it holds the
 * key's lock: checks the condition, computes the new item, and says what to send back.
 * Throws DynamoDB errors (ConditionalCheckFailedException, ValidationException).
 */
export function applyItemOp(kind: OpKind, body: ItemOpBody, current: Item | undefined): ItemOpOutcome {
  if (kind === 'OP_KIND_GET') return { result: current ? { item: current } : {} };

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
      return { write: { item, sizeBytes: itemSizeBytes(item) }, result };
    }
    case 'OP_KIND_DELETE':
      return { write: current ? { item: undefined, sizeBytes: 0 } : undefined, result };
    case 'OP_KIND_UPDATE': {
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
      return { write: { item, sizeBytes }, result };
    }
    default:
      throw new ValidationException(`unknown operation kind ${kind}`);
  }
}
