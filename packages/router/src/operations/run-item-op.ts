import { ConditionalCheckFailedException, dynamoDbErrorFromName, type Item } from '@triad/model';
import { decodeJson, encodeJson, type ItemOpBody, type OpKind, type OpResultBody } from '@triad/rpc';
import type { ItemLocation } from '../item-keys';
import type { OperationContext } from './operation-context';

/** Sends one item operation to its partition's leader and turns a failure back into its DynamoDB error. */
export async function runItemOp(
  context: OperationContext,
  location: ItemLocation,
  kind: OpKind,
  body: ItemOpBody,
): Promise<OpResultBody> {
  const result = await context.storage.execute({ partition: location.partition, key: location.key, kind, body: encodeJson(body) });
  const resultBody = decodeJson<OpResultBody>(result.body) ?? {};
  if (result.errorName) {
    if (result.errorName === 'ConditionalCheckFailedException') {
      throw new ConditionalCheckFailedException(result.errorMessage, resultBody.old as Item | undefined);
    }
    throw dynamoDbErrorFromName(result.errorName, result.errorMessage);
  }
  return resultBody;
}
