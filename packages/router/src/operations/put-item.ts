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
import { checkItemKey, locate } from '../item-keys';
import { checkRequest, type Schema } from '../validation/request-schema';
import * as f from '../validation/common-fields';
import { expressionContext } from '../validation/expression-params';
import { consumedCapacity, writeUnits } from './consumed-capacity';
import type { Operation } from './operation';
import { runItemOp } from './run-item-op';

export const schema: Schema = {
  TableName: f.TABLE_NAME,
  Item: f.ITEM,
  ConditionExpression: f.EXPRESSION,
  ExpressionAttributeNames: f.EXPRESSION_ATTRIBUTE_NAMES,
  ExpressionAttributeValues: f.EXPRESSION_ATTRIBUTE_VALUES,
  ReturnValues: f.RETURN_VALUES,
  ReturnConsumedCapacity: f.RETURN_CONSUMED_CAPACITY,
  ReturnItemCollectionMetrics: f.RETURN_ITEM_COLLECTION_METRICS,
  ReturnValuesOnConditionCheckFailure: f.RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
  Expected: f.EXPECTED,
  ConditionalOperator: f.CONDITIONAL_OPERATOR,
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
  checkItemKey(def.keySchema, request.Item);
  const result = await runItemOp(context, locate(context.storage, def, request.Item), 'OP_KIND_PUT', {
    item: request.Item,
    condition,
    returnOld: request.ReturnValues === 'ALL_OLD',
    returnOldOnConditionFailure: request.ReturnValuesOnConditionCheckFailure === 'ALL_OLD',
  });
  const response: Record<string, unknown> = {};
  if (result.old) response.Attributes = result.old;
  const capacity = consumedCapacity(request.ReturnConsumedCapacity, def.tableName, writeUnits(result.sizeBytes ?? 0));
  if (capacity) response.ConsumedCapacity = capacity;
  return response;
};
