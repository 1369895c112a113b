import { ConditionalCheckFailedException, dynamoDbErrorFromName, type Item } from '@triad/model';
import { decodeJson, encodeJson, type ItemOpBody, type OpKind, type OpResultBody } from '@triad/rpc';
import type { ItemLocation } from '../item-keys';
import { indexMaintenance } from '../catalog/secondary-indexes';
import type { TableDefinition } from '../catalog/table-definition';
import type { OperationContext } from './operation-context';

/**
 * Sends one item operation to its partition's leader, with the table's indexes for it to maintain,
 * and turns a failure back into its DynamoDB error.
 */
export async function runItemOp(
  context: OperationContext,
  def: TableDefinition,
  location: ItemLocation,
  kind: OpKind,
  body: ItemOpBody,
): Promise<OpResultBody> {
  const withIndexes = kind === 'OP_KIND_GET' ? body : { ...body, ...indexMaintenance(def) };
  const result = await context.storage.execute({ partition: location.partition, key: location.key, kind, body: encodeJson(withIndexes) });
  const resultBody = decodeJson<OpResultBody>(result.body) ?? {};
  if (result.errorName) {
    if (result.errorName === 'ConditionalCheckFailedException') {
      throw new ConditionalCheckFailedException(result.errorMessage, resultBody.old as Item | undefined);
    }
    throw dynamoDbErrorFromName(result.errorName, result.errorMessage);
  }
  return resultBody;
}
