import {
  ValidationException,
  assertAllUsed,
  assertFilterAvoidsKey,
  assertQueryFilterAvoidsKey,
  attributesToGetToProjection,
  compareScalar,
  encodeKeyValue,
  extractKeyCondition,
  filterToCondition,
  keyConditionsToKeyCondition,
  parseCondition,
  parseKeyCondition,
  parseProjection,
  prefixEnd,
  type AttributeValue,
  type Item,
  type LegacyConditions,
} from '@triad/model';
import type { PartitionRange } from '@triad/rpc';
import type { TableDefinition } from '../catalog/table-definition';
import { checkKey, collectionPrefix, locate } from '../item-keys';
import { checkRequest, type FieldSpec, type Schema } from '../validation/request-schema';
import * as f from '../validation/common-fields';
import { expressionContext } from '../validation/expression-params';
import type { Operation } from './operation';
import { readPage } from './read-page';
import { checkSelect, SELECT } from './select';

/** Legacy KeyConditions / QueryFilter: attribute values inside are validated like any other. */
const LEGACY_CONDITIONS: FieldSpec = {
  type: {
    map: {
      type: {
        struct: {
          AttributeValueList: { type: { list: { type: 'AttributeValue' } } },
          ComparisonOperator: { type: 'String', notNull: true, enumValues: ['IN', 'NULL', 'BETWEEN', 'LT', 'NOT_CONTAINS', 'EQ', 'GT', 'NOT_NULL', 'NE', 'LE', 'BEGINS_WITH', 'GE', 'CONTAINS'] },
        },
      },
    },
  },
};

/** AttributesToGet, like ProjectionExpression, only goes with Select SPECIFIC_ATTRIBUTES. */
function checkAttributesToGetSelect(attributesToGet: string[] | undefined, select: string | undefined): void {
  if (attributesToGet !== undefined && select !== undefined && select !== 'SPECIFIC_ATTRIBUTES') {
    throw new ValidationException(`Cannot specify the AttributesToGet when choosing to get ${select}`);
  }
}

export const schema: Schema = {
  TableName: f.TABLE_NAME,
  IndexName: { type: 'String', pattern: '[a-zA-Z0-9_.-]+', lengthMin: 3, lengthMax: 255 },
  KeyConditionExpression: f.EXPRESSION,
  FilterExpression: f.EXPRESSION,
  ProjectionExpression: f.EXPRESSION,
  ExpressionAttributeNames: f.EXPRESSION_ATTRIBUTE_NAMES,
  ExpressionAttributeValues: f.EXPRESSION_ATTRIBUTE_VALUES,
  ScanIndexForward: { type: 'Boolean' },
  Limit: f.LIMIT,
  ExclusiveStartKey: { type: { map: { type: 'AttributeValue' } } },
  ConsistentRead: f.CONSISTENT_READ,
  Select: SELECT,
  ReturnConsumedCapacity: f.RETURN_CONSUMED_CAPACITY,
  KeyConditions: LEGACY_CONDITIONS,
  QueryFilter: LEGACY_CONDITIONS,
  AttributesToGet: { type: { list: { type: 'String' } }, lengthMin: 1, lengthMax: 255 },
  ConditionalOperator: f.CONDITIONAL_OPERATOR,
};

interface QueryRequest {
  TableName: string;
  IndexName?: string;
  KeyConditionExpression?: string;
  FilterExpression?: string;
  ProjectionExpression?: string;
  ScanIndexForward?: boolean;
  Limit?: number;
  ExclusiveStartKey?: Item;
  ConsistentRead?: boolean;
  Select?: string;
  ReturnConsumedCapacity?: string;
  KeyConditions?: LegacyConditions;
  QueryFilter?: LegacyConditions;
  AttributesToGet?: string[];
  ConditionalOperator?: string;
}

/** The storage-key range of the items a key condition selects. */
function keyRange(def: TableDefinition, partition: number, partitionValue: AttributeValue, sort: ReturnType<typeof extractKeyCondition>['sortCondition']): PartitionRange {
  const prefix = collectionPrefix(def, partitionValue);
  const end = prefixEnd(prefix);
  const range: PartitionRange = { partition, start: prefix, startExclusive: false, end, endInclusive: false };
  if (!sort) return range;
  const sortKey = def.keySchema.sortKey!;
  const at = (value: AttributeValue) => Buffer.concat([prefix, encodeKeyValue(sortKey.type, value)]);
  const [first, second] = sort.values;
  switch (sort.op) {
    case 'EQ':
      return { ...range, start: at(first), end: at(first), endInclusive: true };
    case 'LT':
      return { ...range, end: at(first) };
    case 'LE':
      return { ...range, end: at(first), endInclusive: true };
    case 'GT':
      return { ...range, start: at(first), startExclusive: true };
    case 'GE':
      return { ...range, start: at(first) };
    case 'BETWEEN':
      if ((compareScalar(first, second) ?? 0) > 0) {
        throw new ValidationException(
          `Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {${sortKey.type}:${Object.values(first)[0]}}, upper bound operand: AttributeValue: {${sortKey.type}:${Object.values(second)[0]}}`,
        );
      }
      return { ...range, start: at(first), end: at(second), endInclusive: true };
    case 'BEGINS_WITH': {
      // Escaped bytes of the prefix without the value terminator: every longer value starts with them.
      const encoded = at(first);
      const stem = encoded.subarray(0, encoded.length - 2);
      return { ...range, start: stem, end: prefixEnd(stem) };
    }
    default:
      throw new ValidationException(`Unsupported key condition operator ${String(sort.op)}`);
  }
}

export const query: Operation = async (raw, context) => {
  const request = checkRequest<QueryRequest>(raw, schema);
  const expressions = expressionContext(
    raw,
    ['ProjectionExpression', 'FilterExpression', 'KeyConditionExpression'],
    // DynamoDB accepts KeyConditions with the other expressions when KeyConditionExpression is absent.
    ['AttributesToGet', 'QueryFilter', 'ConditionalOperator', ...(request.KeyConditionExpression !== undefined ? ['KeyConditions'] : [])],
  );
  checkAttributesToGetSelect(request.AttributesToGet, request.Select);
  const select = checkSelect(request.Select, request.ProjectionExpression !== undefined || request.AttributesToGet !== undefined, request.IndexName);
  const legacyFilter = filterToCondition(request.QueryFilter, request.ConditionalOperator, 'QueryFilter');
  const legacyProjection = request.AttributesToGet !== undefined ? attributesToGetToProjection(request.AttributesToGet) : undefined;
  if (request.KeyConditionExpression === undefined && request.KeyConditions === undefined) {
    throw new ValidationException('Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
  }
  const keyTree = request.KeyConditionExpression !== undefined ? parseKeyCondition(request.KeyConditionExpression, expressions) : undefined;
  const filter = request.FilterExpression !== undefined ? parseCondition('FilterExpression', request.FilterExpression, expressions) : legacyFilter;
  const projection = request.ProjectionExpression !== undefined ? parseProjection(request.ProjectionExpression, expressions) : legacyProjection;
  assertAllUsed(expressions);

  const def = await context.catalog.require(request.TableName);
  if (request.IndexName !== undefined) {
    throw new ValidationException(`The table does not have the specified index: ${request.IndexName}`);
  }
  const { partitionValue, sortCondition } =
    keyTree !== undefined ? extractKeyCondition(keyTree, def.keySchema) : keyConditionsToKeyCondition(request.KeyConditions!, def.keySchema);
  if (request.QueryFilter) assertQueryFilterAvoidsKey(request.QueryFilter, def.keySchema);
  else if (filter) assertFilterAvoidsKey(filter, def.keySchema);
  const partition = context.storage.partitionOf(encodeKeyValue(def.keySchema.partitionKey.type, partitionValue));
  const range = keyRange(def, partition, partitionValue, sortCondition);
  const forward = request.ScanIndexForward !== false;
  if (request.ExclusiveStartKey) {
    checkKey(def.keySchema, request.ExclusiveStartKey);
    const start = locate(context.storage, def, request.ExclusiveStartKey);
    if (forward) Object.assign(range, { start: start.key, startExclusive: true });
    else Object.assign(range, { end: start.key, endInclusive: false });
  }
  return readPage(context, {
    def,
    ranges: [range],
    consistent: request.ConsistentRead === true,
    reverse: !forward,
    limit: request.Limit ?? 0,
    filter,
    projection,
    select,
    returnConsumedCapacity: request.ReturnConsumedCapacity,
  });
};
