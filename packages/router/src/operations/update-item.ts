import {
  assertAllUsed,
  assertKeyPathsScalar,
  assertUpdateSparesKey,
  attributeUpdatesToUpdate,
  expectedToCondition,
  parseCondition,
  parseUpdate,
  projectUpdated,
  updateTargetPaths,
  updatedAttributeNames,
  type AttributeUpdates,
  type ExpectedAttributes,
  type Item,
  type UpdateExpression,
} from '@triad/model';
import { checkKey, keyNames, locate } from '../item-keys';
import { checkRequest, type FieldSpec, type Schema } from '../validation/request-schema';
import * as f from '../validation/common-fields';
import { expressionContext } from '../validation/expression-params';
import { addWriteMetrics } from './write-response';
import type { Operation } from './operation';
import { runItemWrite } from './run-item-op';
import { writeTarget } from '../catalog/secondary-indexes';
import { itemNames, itemRequest, resourceArn } from '../authorization';

/** Legacy AttributeUpdates: the value is validated like any other. */
const ATTRIBUTE_UPDATES: FieldSpec = {
  type: {
    map: {
      type: {
        className: 'AttributeValueUpdate',
        struct: {
          Value: { type: 'AttributeValueField' },
          Action: { type: 'String', enumValues: ['ADD', 'DELETE', 'PUT'] },
        },
      },
    },
  },
};

// In the order DynamoDB reports constraint violations (as dynalite, checked against AWS, lists them).
export const schema: Schema = {
  ReturnConsumedCapacity: f.RETURN_CONSUMED_CAPACITY,
  TableName: f.TABLE_NAME,
  ReturnItemCollectionMetrics: f.RETURN_ITEM_COLLECTION_METRICS,
  ReturnValues: f.RETURN_VALUES,
  Key: f.KEY,
  ConditionalOperator: f.CONDITIONAL_OPERATOR,
  Expected: f.EXPECTED,
  AttributeUpdates: ATTRIBUTE_UPDATES,
  ConditionExpression: f.EXPRESSION,
  UpdateExpression: f.EXPRESSION,
  ExpressionAttributeValues: f.EXPRESSION_ATTRIBUTE_VALUES,
  ExpressionAttributeNames: f.EXPRESSION_ATTRIBUTE_NAMES,
  ReturnValuesOnConditionCheckFailure: f.RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
};

interface UpdateItemRequest {
  TableName: string;
  Key: Item;
  UpdateExpression?: string;
  ConditionExpression?: string;
  ReturnValues?: 'NONE' | 'ALL_OLD' | 'UPDATED_OLD' | 'ALL_NEW' | 'UPDATED_NEW';
  ReturnConsumedCapacity?: string;
  ReturnValuesOnConditionCheckFailure?: string;
  AttributeUpdates?: AttributeUpdates;
  Expected?: ExpectedAttributes;
  ConditionalOperator?: string;
}

/** UPDATED_OLD / UPDATED_NEW: the targeted parts of the item; nothing when none of them exist. */
function updatedParts(item: Item | undefined, update: UpdateExpression | undefined): Item | undefined {
  if (!item || !update) return undefined;
  const parts = projectUpdated(item, update);
  return Object.keys(parts).length > 0 ? parts : undefined;
}

export const updateItem: Operation = async (raw, context) => {
  const request = checkRequest<UpdateItemRequest>(raw, schema);
  const expressions = expressionContext(raw, ['UpdateExpression', 'ConditionExpression'], ['AttributeUpdates', 'Expected']);
  const update =
    request.UpdateExpression !== undefined ? parseUpdate(request.UpdateExpression, expressions)
    : request.AttributeUpdates !== undefined ? attributeUpdatesToUpdate(request.AttributeUpdates)
    : undefined;
  const condition =
    request.ConditionExpression !== undefined
      ? parseCondition('ConditionExpression', request.ConditionExpression, expressions)
      : expectedToCondition(request.Expected, request.ConditionalOperator);
  assertAllUsed(expressions);

  const def = await context.catalog.require(request.TableName);
  checkKey(def.keySchema, request.Key);
  if (update) {
    // DynamoDB reports a nested path into a key attribute before a plain update of one.
    assertKeyPathsScalar(updateTargetPaths(update), keyNames(def.keySchema));
    assertUpdateSparesKey(update, def.keySchema);
  }
  context.caller.authorize([
    itemRequest('UpdateItem', resourceArn(context, def.tableName), {
      leadingKey: request.Key[def.keySchema.partitionKey.name],
      attributes: [...itemNames(request.Key), ...(update ? updatedAttributeNames(update) : [])],
      returnValues: request.ReturnValues,
      returnConsumedCapacity: request.ReturnConsumedCapacity,
    }),
  ]);
  const returnValues = request.ReturnValues ?? 'NONE';
  const location = locate(context.storage, def, request.Key);
  const result = await runItemWrite(context, writeTarget(def), location, 'OP_KIND_UPDATE', {
    item: request.Key,
    update,
    condition,
    returnOld: returnValues === 'ALL_OLD' || returnValues === 'UPDATED_OLD',
    returnNew: returnValues === 'ALL_NEW' || returnValues === 'UPDATED_NEW',
    returnOldOnConditionFailure: request.ReturnValuesOnConditionCheckFailure === 'ALL_OLD',
  });
  const response: Record<string, unknown> = {};
  const attributes =
    returnValues === 'ALL_OLD' ? result.old
    : returnValues === 'ALL_NEW' ? result.new
    : returnValues === 'UPDATED_OLD' ? updatedParts(result.old, update)
    : returnValues === 'UPDATED_NEW' ? updatedParts(result.new, update)
    : undefined;
  if (attributes) response.Attributes = attributes;
  addWriteMetrics(response, request, def, result, location.keyItem);
  return response;
};
