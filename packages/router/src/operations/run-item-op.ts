import { ConditionalCheckFailedException, dynamoDbErrorFromName, type Item } from '@triad/model';
import { STALE_INDEX_LIST, decodeJson, encodeJson, type ItemOpBody, type OpKind, type OpResult, type OpResultBody } from '@triad/rpc';
import type { ItemLocation } from '../item-keys';
import { writeTarget, type WriteTarget } from '../catalog/secondary-indexes';
import type { OperationContext } from './operation-context';

/** What a request writes to an item (the reconciler's REINDEX goes its own way). */
export type WriteKind = Extract<OpKind, 'OP_KIND_PUT' | 'OP_KIND_DELETE' | 'OP_KIND_UPDATE'>;

/**
 * Sends one write of an item to its partition's leader, with the table's indexes for it to
 * maintain, and turns a failure back into its DynamoDB error. A leader refuses a write whose index
 * list is older than the table's index fence (this router's catalog is behind an index change):
 * the write goes again with the list of the catalog once caught up, or fails with a retriable error.
 */
export async function runItemWrite(
  context: OperationContext,
  target: WriteTarget,
  location: ItemLocation,
  kind: WriteKind,
  body: ItemOpBody,
): Promise<OpResultBody> {
  let table = target;
  for (;;) {
    const result = await context.storage.execute({
      partition: location.partition,
      key: location.key,
      kind,
      body: encodeJson({ ...body, ...table.maintenance }),
    });
    if (result.errorName !== STALE_INDEX_LIST) return resultOf(result);
    // Refused before anything was decided: sending it again cannot apply it twice.
    table = writeTarget(await context.catalog.catchUp(table.def));
  }
}

/** A strongly consistent read of one item, from its partition's leader. */
export async function readItemConsistent(context: OperationContext, location: ItemLocation): Promise<Item | undefined> {
  const result = await context.storage.execute({ partition: location.partition, key: location.key, kind: 'OP_KIND_GET', body: encodeJson({}) });
  return resultOf(result).item;
}

function resultOf(result: OpResult): OpResultBody {
  const resultBody = decodeJson<OpResultBody>(result.body) ?? {};
  if (result.errorName) {
    if (result.errorName === 'ConditionalCheckFailedException') {
      throw new ConditionalCheckFailedException(result.errorMessage, resultBody.old as Item | undefined);
    }
    throw dynamoDbErrorFromName(result.errorName, result.errorMessage);
  }
  return resultBody;
}
