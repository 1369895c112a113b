import { ValidationException, assertAllUsed, expectedToCondition, parseCondition, type ExpectedAttributes, type Item } from '@triad/model';
import { checkKey, locate } from '../item-keys';
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
  ReturnValues: f.RETURN_VALUES,
  ReturnItemCollectionMetrics: f.RETURN_ITEM_COLLECTION_METRICS,
  Key: f.KEY,
  ConditionalOperator: f.CONDITIONAL_OPERATOR,
  Expected: f.EXPECTED,
  ConditionExpression: f.EXPRESSION,
  ExpressionAttributeValues: f.EXPRESSION_ATTRIBUTE_VALUES,
  ExpressionAttributeNames: f.EXPRESSION_ATTRIBUTE_NAMES,
  ReturnValuesOnConditionCheckFailure: f.RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
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
  context.caller.authorize([
    itemRequest('DeleteItem', resourceArn(context, def.tableName), {
      leadingKey: request.Key[def.keySchema.partitionKey.name],
      attributes: itemNames(request.Key),
      returnValues: request.ReturnValues,
      returnConsumedCapacity: request.ReturnConsumedCapacity,
    }),
  ]);
  const location = locate(context.storage, def, request.Key);
  const result = await runItemWrite(context, writeTarget(def), location, 'OP_KIND_DELETE', {
    condition,
    returnOld: request.ReturnValues === 'ALL_OLD',
    returnOldOnConditionFailure: request.ReturnValuesOnConditionCheckFailure === 'ALL_OLD',
  });
  const response: Record<string, unknown> = {};
  if (result.old) response.Attributes = result.old;
  addWriteMetrics(response, request, def, result, location.keyItem);
  return response;
};
