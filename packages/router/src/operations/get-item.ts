import { assertAllUsed, attributesToGetToProjection, parseProjection, projectItem, type Item } from '@triad/model';
import { decodeJson } from '@triad/rpc';
import { checkKey, locate } from '../item-keys';
import { checkRequest, type Schema } from '../validation/request-schema';
import * as f from '../validation/common-fields';
import { expressionContext } from '../validation/expression-params';
import { consumedCapacity, readUnits } from './consumed-capacity';
import { RawJson } from '../http/raw-json';
import type { Operation } from './operation';
import { readItemConsistent } from './run-item-op';
import { itemSizeBytes } from '@triad/model';
import { itemRequest, pointReadSelect, resourceArn, topLevelNames } from '../authorization';

// In the order DynamoDB reports constraint violations (as dynalite, checked against AWS, lists them).
export const schema: Schema = {
  ReturnConsumedCapacity: f.RETURN_CONSUMED_CAPACITY,
  AttributesToGet: { type: { list: { type: 'String' } }, lengthMin: 1, lengthMax: 255 },
  TableName: f.TABLE_NAME,
  Key: f.KEY,
  ConsistentRead: f.CONSISTENT_READ,
  ProjectionExpression: f.EXPRESSION,
  ExpressionAttributeNames: f.EXPRESSION_ATTRIBUTE_NAMES,
};

interface GetItemRequest {
  TableName: string;
  Key: Item;
  ConsistentRead?: boolean;
  ProjectionExpression?: string;
  ReturnConsumedCapacity?: string;
  AttributesToGet?: string[];
}

export const getItem: Operation = async (raw, context) => {
  const request = checkRequest<GetItemRequest>(raw, schema);
  const expressions = expressionContext(raw, ['ProjectionExpression'], ['AttributesToGet']);
  const projection =
    request.ProjectionExpression !== undefined ? parseProjection(request.ProjectionExpression, expressions)
    : request.AttributesToGet !== undefined ? attributesToGetToProjection(request.AttributesToGet)
    : undefined;
  assertAllUsed(expressions);

  const def = await context.catalog.require(request.TableName);
  checkKey(def.keySchema, request.Key);
  context.caller.authorize([
    itemRequest('GetItem', resourceArn(context, def.tableName), {
      leadingKey: request.Key[def.keySchema.partitionKey.name],
      attributes: projection && topLevelNames(projection),
      select: pointReadSelect(projection !== undefined),
      returnConsumedCapacity: request.ReturnConsumedCapacity,
    }),
  ]);
  const location = locate(context.storage, def, request.Key);
  if (!request.ConsistentRead && !projection && (request.ReturnConsumedCapacity ?? 'NONE') === 'NONE') {
    // The common case: the stored item is the answer, as stored.
    return RawJson.member('Item', await context.storage.readEventual(location.partition, location.key));
  }
  let item: Item | undefined;
  if (request.ConsistentRead) {
    item = await readItemConsistent(context, location);
  } else {
    item = decodeJson<Item>(await context.storage.readEventual(location.partition, location.key));
  }
  const response: Record<string, unknown> = {};
  if (item) response.Item = projection ? projectItem(item, projection) : item;
  const units = readUnits(item ? itemSizeBytes(item) : 0, request.ConsistentRead === true);
  const capacity = consumedCapacity(request.ReturnConsumedCapacity, def.tableName, units);
  if (capacity) response.ConsumedCapacity = capacity;
  return response;
};
