import { ValidationException, assertAllUsed, expectedToCondition, parseCondition, type ExpectedAttributes, type Item } from '@triad/model';
import { checkKey, locate } from '../item-keys';
import { checkRequest, type Schema } from '../validation/request-schema';
import * as f from '../validation/common-fields';
import { expressionContext } from '../validation/expression-params';
import { consumedCapacity, writeUnits } from './consumed-capacity';
import type { Operation } from './operation';
import { runItemOp } from './run-item-op';

export const schema: Schema = {
  TableName: f.TABLE_NAME,
  Key: f.KEY,
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

interface DeleteItemRequest {
  TableName: string;
  Key: Item;
  ConditionExpression?: string;
  ReturnValues?: string;
  ReturnConsumedCapacity?: string;
  ReturnValuesOnConditionCheckFailure?: string;
  Expected?: ExpectedAttributes;
  ConditionalOperator?: string;
}

export const deleteItem: Operation = async (raw, context) => {
  const request = checkRequest<DeleteItemRequest>(raw, schema);
  const expressions = expressionContext(raw, ['ConditionExpression'], ['Expected']);
  if (request.ReturnValues && request.ReturnValues !== 'ALL_OLD' && request.ReturnValues !== 'NONE') {
    throw new ValidationException('ReturnValues can only be ALL_OLD or NONE');
  }
  const condition =
    request.ConditionExpression !== undefined
      ? parseCondition('ConditionExpression', request.ConditionExpression, expressions)
      : expectedToCondition(request.Expected, request.ConditionalOperator);
  assertAllUsed(expressions);

  const def = await context.catalog.require(request.TableName);
  checkKey(def.keySchema, request.Key);
  const result = await runItemOp(context, locate(context.storage, def, request.Key), 'OP_KIND_DELETE', {
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
