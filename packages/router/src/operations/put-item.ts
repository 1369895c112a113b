import {
  ITEM_SIZE_BYTES_MAX,
  ValidationException,
  assertAllUsed,
  expectedToCondition,
  itemSizeBytes,
  parseCondition,
  type ExpectedAttributes,
  type Item,
} from '@triad/model';
import { checkItem, locate } from '../item-keys';
import { checkRequest, type Schema } from '../validation/request-schema';
import * as f from '../validation/common-fields';
import { expressionContext } from '../validation/expression-params';
import { addWriteMetrics } from './write-response';
import type { Operation } from './operation';
import { runItemWrite } from './run-item-op';
import { writeTarget } from '../catalog/secondary-indexes';
import { itemNames, itemRequest, resourceArn } from '../authorization';

// In the order DynamoDB reports constraint violations (as dynalite, checked against AWS, lists them).
export const schema: Schema = {
  ReturnConsumedCapacity: f.RETURN_CONSUMED_CAPACITY,
  TableName: f.TABLE_NAME,
  Item: f.ITEM,
  ConditionalOperator: f.CONDITIONAL_OPERATOR,
  Expected: f.EXPECTED,
  ReturnValues: f.RETURN_VALUES,
  ReturnItemCollectionMetrics: f.RETURN_ITEM_COLLECTION_METRICS,
  ConditionExpression: f.EXPRESSION,
  ExpressionAttributeValues: f.EXPRESSION_ATTRIBUTE_VALUES,
  ExpressionAttributeNames: f.EXPRESSION_ATTRIBUTE_NAMES,
  ReturnValuesOnConditionCheckFailure: f.RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
};

interface PutItemRequest {
  TableName: string;
  Item: Item;
  ConditionExpression?: string;
  ReturnValues?: string;
  ReturnConsumedCapacity?: string;
  ReturnValuesOnConditionCheckFailure?: string;
  Expected?: ExpectedAttributes;
  ConditionalOperator?: string;
}

export const putItem: Operation = async (raw, context) => {
  const request = checkRequest<PutItemRequest>(raw, schema);
  const expressions = expressionContext(raw, ['ConditionExpression'], ['Expected']);
  if (request.ReturnValues && request.ReturnValues !== 'ALL_OLD' && request.ReturnValues !== 'NONE') {
    throw new ValidationException('ReturnValues can only be ALL_OLD or NONE');
  }
  if (itemSizeBytes(request.Item) > ITEM_SIZE_BYTES_MAX) {
    throw new ValidationException('Item size has exceeded the maximum allowed size');
  }
  const condition =
    request.ConditionExpression !== undefined
      ? parseCondition('ConditionExpression', request.ConditionExpression, expressions)
      : expectedToCondition(request.Expected, request.ConditionalOperator);
  assertAllUsed(expressions);

  const def = await context.catalog.require(request.TableName);
  const table = writeTarget(def);
  checkItem(table, request.Item);
  context.caller.authorize([
    itemRequest('PutItem', resourceArn(context, def.tableName), {
      leadingKey: request.Item[def.keySchema.partitionKey.name],
      attributes: itemNames(request.Item),
      returnValues: request.ReturnValues,
      returnConsumedCapacity: request.ReturnConsumedCapacity,
    }),
  ]);
  const location = locate(context.storage, def, request.Item);
  const result = await runItemWrite(context, table, location, 'OP_KIND_PUT', {
    item: request.Item,
    condition,
    returnOld: request.ReturnValues === 'ALL_OLD',
    returnOldOnConditionFailure: request.ReturnValuesOnConditionCheckFailure === 'ALL_OLD',
  });
  const response: Record<string, unknown> = {};
  if (result.old) response.Attributes = result.old;
  addWriteMetrics(response, request, def, result, location.keyItem);
  return response;
};
