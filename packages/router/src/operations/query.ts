import {
  ValidationException,
  assertAllUsed,
  assertFilterAvoidsKey,
  assertQueryFilterAvoidsKey,
  checkStartKeyInBounds,
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
import { checkRequest, type FieldSpec, type Schema } from '../validation/request-schema';
import * as f from '../validation/common-fields';
import { expressionContext } from '../validation/expression-params';
import type { Operation } from './operation';
import { readPage } from './read-page';
import { readSource, startAfter, type ReadSource } from './read-source';
import { checkSelect, SELECT } from './select';
import { itemRequest, resourceArn, topLevelNames } from '../authorization';

/** Legacy KeyConditions / QueryFilter: attribute values inside are validated like any other. */
const LEGACY_CONDITIONS: FieldSpec = {
  type: {
    map: {
      type: {
        className: 'Condition',
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

// In the order DynamoDB reports constraint violations (as dynalite, checked against AWS, lists them).
export const schema: Schema = {
  Select: SELECT,
  IndexName: { type: 'String', pattern: '[a-zA-Z0-9_.-]+', lengthMin: 3, lengthMax: 255 },
  ReturnConsumedCapacity: f.RETURN_CONSUMED_CAPACITY,
  QueryFilter: LEGACY_CONDITIONS,
  TableName: f.TABLE_NAME,
  ConditionalOperator: f.CONDITIONAL_OPERATOR,
  AttributesToGet: { type: { list: { type: 'String' } }, lengthMin: 1, lengthMax: 255 },
  Limit: f.LIMIT,
  KeyConditions: LEGACY_CONDITIONS,
  ExclusiveStartKey: { type: { map: { type: 'AttributeValue' } } },
  ConsistentRead: f.CONSISTENT_READ,
  ScanIndexForward: { type: 'Boolean' },
  KeyConditionExpression: f.EXPRESSION,
  FilterExpression: f.EXPRESSION,
  ProjectionExpression: f.EXPRESSION,
  ExpressionAttributeValues: f.EXPRESSION_ATTRIBUTE_VALUES,
  ExpressionAttributeNames: f.EXPRESSION_ATTRIBUTE_NAMES,
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

/** The storage-key range of the items (or index entries) a key condition selects. */
function keyRange(source: ReadSource, partition: number, partitionValue: AttributeValue, sort: ReturnType<typeof extractKeyCondition>['sortCondition']): PartitionRange {
  const { partitionKey, sortKey } = source.keySchema;
  const prefix = Buffer.concat([source.prefix, encodeKeyValue(partitionKey.type, partitionValue)]);
  const end = prefixEnd(prefix);
  const range: PartitionRange = { partition, start: prefix, startExclusive: false, end, endInclusive: false };
  if (!sort || !sortKey) return range;
  const at = (value: AttributeValue) => Buffer.concat([prefix, encodeKeyValue(sortKey.type, value)]);
  const [first, second] = sort.values;
  switch (sort.op) {
    case 'EQ':
      return { ...range, start: at(first), end: prefixEnd(at(first)) };
    case 'LT':
      return { ...range, end: at(first) };
    case 'LE':
      return { ...range, end: prefixEnd(at(first)) };
    case 'GT':
      return { ...range, start: prefixEnd(at(first)) };
    case 'GE':
      return { ...range, start: at(first) };
    case 'BETWEEN':
      if ((compareScalar(first, second) ?? 0) > 0) {
        throw new ValidationException(
          `Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {${sortKey.type}:${Object.values(first)[0]}}, upper bound operand: AttributeValue: {${sortKey.type}:${Object.values(second)[0]}}`,
        );
      }
      return { ...range, start: at(first), end: prefixEnd(at(second)) };
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
  const consistent = request.ConsistentRead === true;
  const source = readSource(def, request.IndexName, consistent, select, request.ExclusiveStartKey !== undefined);
  const { keySchema } = source;
  const { partitionValue, sortCondition } =
    keyTree !== undefined ? extractKeyCondition(keyTree, keySchema) : keyConditionsToKeyCondition(request.KeyConditions!, keySchema);
  context.caller.authorize([
    itemRequest('Query', resourceArn(context, def.tableName, request.IndexName), {
      leadingKey: partitionValue,
      attributes: projection && topLevelNames(projection),
      select,
      returnConsumedCapacity: request.ReturnConsumedCapacity,
    }),
  ]);
  if (request.QueryFilter) assertQueryFilterAvoidsKey(request.QueryFilter, keySchema);
  else if (filter) assertFilterAvoidsKey(filter, keySchema);
  const forward = request.ScanIndexForward !== false;
  let start: { partition: number; key: Buffer } | undefined;
  if (request.ExclusiveStartKey) {
    start = startAfter(context.storage, source, request.ExclusiveStartKey, true);
    checkStartKeyInBounds(request.ExclusiveStartKey, keySchema, { partitionValue, sortCondition });
  }
  // Every item (or index entry) of one partition key value lives in one partition.
  const partition = context.storage.partitionOf(encodeKeyValue(keySchema.partitionKey.type, partitionValue));
  let range = keyRange(source, partition, partitionValue, sortCondition);
  if (start && forward && Buffer.compare(start.key, range.start) >= 0) range = { ...range, start: start.key, startExclusive: true };
  if (start && !forward && Buffer.compare(start.key, range.end) <= 0) range = { ...range, end: start.key, endInclusive: false };
  return readPage(context, {
    source,
    ranges: [range],
    consistent,
    reverse: !forward,
    limit: request.Limit ?? 0,
    filter,
    projection,
    select,
    returnConsumedCapacity: request.ReturnConsumedCapacity,
  });
};
