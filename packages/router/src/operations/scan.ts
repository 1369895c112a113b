import {
  ValidationException,
  assertAllUsed,
  attributesToGetToProjection,
  filterToCondition,
  parseCondition,
  parseProjection,
  prefixEnd,
  type Item,
  type LegacyConditions,
} from '@triad/model';
import type { PartitionRange } from '@triad/rpc';
import { checkRequest, type FieldSpec, type Schema } from '../validation/request-schema';
import * as f from '../validation/common-fields';
import { expressionContext } from '../validation/expression-params';
import type { Operation } from './operation';
import { readPage } from './read-page';
import { readSource, startAfter } from './read-source';
import { checkSelect, SELECT } from './select';
import { itemRequest, resourceArn, topLevelNames } from '../authorization';

/** DynamoDB's maximum TotalSegments of a parallel scan. */
export const TOTAL_SEGMENTS_MAX = 1_000_000;

/** Legacy ScanFilter: attribute values inside are validated like any other. */
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
  TotalSegments: { type: 'Integer', valueMin: 1, valueMax: TOTAL_SEGMENTS_MAX },
  ReturnConsumedCapacity: f.RETURN_CONSUMED_CAPACITY,
  TableName: f.TABLE_NAME,
  ConditionalOperator: f.CONDITIONAL_OPERATOR,
  ScanFilter: LEGACY_CONDITIONS,
  Segment: { type: 'Integer', valueMin: 0, valueMax: TOTAL_SEGMENTS_MAX - 1 },
  Limit: f.LIMIT,
  AttributesToGet: { type: { list: { type: 'String' } }, lengthMin: 1, lengthMax: 255 },
  ExclusiveStartKey: { type: { map: { type: 'AttributeValue' } } },
  ConsistentRead: f.CONSISTENT_READ,
  FilterExpression: f.EXPRESSION,
  ProjectionExpression: f.EXPRESSION,
  ExpressionAttributeValues: f.EXPRESSION_ATTRIBUTE_VALUES,
  ExpressionAttributeNames: f.EXPRESSION_ATTRIBUTE_NAMES,
};

interface ScanRequest {
  TableName: string;
  IndexName?: string;
  FilterExpression?: string;
  ProjectionExpression?: string;
  Limit?: number;
  ExclusiveStartKey?: Item;
  ConsistentRead?: boolean;
  Select?: string;
  Segment?: number;
  TotalSegments?: number;
  ReturnConsumedCapacity?: string;
  ScanFilter?: LegacyConditions;
  AttributesToGet?: string[];
  ConditionalOperator?: string;
}

function checkSegments(request: ScanRequest): void {
  if (request.Segment !== undefined && request.TotalSegments === undefined) {
    throw new ValidationException('The TotalSegments parameter is required but was not present in the request when Segment parameter is present');
  }
  if (request.TotalSegments !== undefined) {
    if (request.Segment === undefined) {
      throw new ValidationException('The Segment parameter is required but was not present in the request when parameter TotalSegments is present');
    }
    if (request.Segment >= request.TotalSegments) {
      throw new ValidationException(
        `The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: ${request.Segment} is not less than TotalSegments: ${request.TotalSegments}`,
      );
    }
  }
}

/**
 * The partitions a scan segment covers: partition p belongs to segment floor(p * total / count),
 * so segments are disjoint and together cover the table (with more segments than partitions, some
 * segments are empty).
 */
export function segmentPartitions(partitionCount: number, segment: number, totalSegments: number): number[] {
  const partitions: number[] = [];
  for (let p = 0; p < partitionCount; p++) {
    if (Math.floor((p * totalSegments) / partitionCount) === segment) partitions.push(p);
  }
  return partitions;
}

export const scan: Operation = async (raw, context) => {
  const request = checkRequest<ScanRequest>(raw, schema);
  const expressions = expressionContext(raw, ['ProjectionExpression', 'FilterExpression'], ['AttributesToGet', 'ScanFilter', 'ConditionalOperator']);
  const legacyProjection = request.AttributesToGet !== undefined ? attributesToGetToProjection(request.AttributesToGet) : undefined;
  const legacyFilter = filterToCondition(request.ScanFilter, request.ConditionalOperator, 'ScanFilter');
  checkSegments(request);
  checkAttributesToGetSelect(request.AttributesToGet, request.Select);
  const select = checkSelect(request.Select, request.ProjectionExpression !== undefined || request.AttributesToGet !== undefined, request.IndexName);
  const filter = request.FilterExpression !== undefined ? parseCondition('FilterExpression', request.FilterExpression, expressions) : legacyFilter;
  const projection = request.ProjectionExpression !== undefined ? parseProjection(request.ProjectionExpression, expressions) : legacyProjection;
  assertAllUsed(expressions);

  const def = await context.catalog.require(request.TableName);
  const consistent = request.ConsistentRead === true;
  const source = readSource(def, request.IndexName, consistent, select, request.ExclusiveStartKey !== undefined);
  context.caller.authorize([
    itemRequest('Scan', resourceArn(context, def.tableName, request.IndexName), {
      attributes: projection && topLevelNames(projection),
      select,
      returnConsumedCapacity: request.ReturnConsumedCapacity,
    }),
  ]);
  const { prefix } = source;
  const end = prefixEnd(prefix);
  const partitions = segmentPartitions(context.storage.partitionCount, request.Segment ?? 0, request.TotalSegments ?? 1);
  let ranges: PartitionRange[] = partitions.map((partition) => ({ partition, start: prefix, startExclusive: false, end, endInclusive: false }));
  if (request.ExclusiveStartKey) {
    const start = startAfter(context.storage, source, request.ExclusiveStartKey, false);
    ranges = ranges.filter((r) => r.partition >= start.partition);
    if (ranges[0]?.partition === start.partition) ranges[0] = { ...ranges[0], start: start.key, startExclusive: true };
  }
  return readPage(context, {
    source,
    ranges,
    consistent,
    reverse: false,
    limit: request.Limit ?? 0,
    filter,
    projection,
    select,
    returnConsumedCapacity: request.ReturnConsumedCapacity,
  });
};
