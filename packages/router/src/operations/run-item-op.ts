import { ConditionalCheckFailedException, dynamoDbErrorFromName, type Item } from '@triad/model';
import { STALE_INDEX_LIST, decodeJson, encodeJson, type ItemOpBody, type OpKind, type OpResult, type OpResultBody } from '@triad/rpc';
import type { ItemLocation } from '../item-keys';
import { indexMaintenance } from '../catalog/secondary-indexes';
import type { TableDefinition } from '../catalog/table-definition';
import type { OperationContext } from './operation-context';

/**
 * Sends one item operation to its partition's leader, with the table's indexes for it to maintain,
 * and turns a failure back into its DynamoDB error. A leader refuses a write whose index list is
 * older than the table's index fence (this router's catalog is behind an index change): the write
 * goes again with the list of the catalog once caught up, or fails with a retriable error.
 */
export async function runItemOp(
  context: OperationContext,
  def: TableDefinition,
  location: ItemLocation,
  kind: OpKind,
  body: ItemOpBody,
): Promise<OpResultBody> {
  let table = def;
  let result: OpResult;
  for (;;) {
    const withIndexes = kind === 'OP_KIND_GET' ? body : { ...body, ...indexMaintenance(table) };
    result = await context.storage.execute({ partition: location.partition, key: location.key, kind, body: encodeJson(withIndexes) });
    if (result.errorName !== STALE_INDEX_LIST) break;
    // Refused before anything was decided: sending it again cannot apply it twice.
    table = await context.catalog.catchUp(table);
  }
  const resultBody = decodeJson<OpResultBody>(result.body) ?? {};
  if (result.errorName) {
    if (result.errorName === 'ConditionalCheckFailedException') {
      throw new ConditionalCheckFailedException(result.errorMessage, resultBody.old as Item | undefined);
    }
    throw dynamoDbErrorFromName(result.errorName, result.errorMessage);
  }
  return resultBody;
}
