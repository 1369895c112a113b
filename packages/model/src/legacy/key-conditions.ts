/**
 * KeyConditions (Query): the legacy form of KeyConditionExpression, reduced to the same result as
 * `extractKeyCondition`.
 */
import { attributeType } from '../attribute-value';
import { ValidationException } from '../errors';
import type { KeySchema } from '../types';
import type { KeyCondition, SortKeyCondition, SortKeyOperator } from '../expressions/key-condition';
import { checkCondition, invalidParameter, type LegacyCondition } from './comparison';

const NOT_INDEXABLE = ['NULL', 'NOT_NULL', 'NE', 'CONTAINS', 'NOT_CONTAINS', 'IN'];

function invalid(message: string): ValidationException {
  return new ValidationException(message);
}

/**
 * Checks KeyConditions against `keySchema` (the table's, or the queried index's) and returns the
 * partition key value and the sort key condition. Throws ValidationException with DynamoDB's
 * messages, in its order: each condition's arguments, the number of conditions, then key by key.
 */
export function keyConditionsToKeyCondition(keyConditions: Record<string, LegacyCondition>, keySchema: KeySchema): KeyCondition {
  for (const condition of Object.values(keyConditions)) checkCondition(condition);
  const count = Object.keys(keyConditions).length;
  if (count !== 1 && count !== 2) throw invalid('Conditions can be of length 1 or 2 only');

  const { partitionKey, sortKey } = keySchema;
  const has = (name: string) => Object.prototype.hasOwnProperty.call(keyConditions, name);
  if (sortKey === undefined && count > 1) throw invalid('Query key condition not supported');

  if (!has(partitionKey.name)) throw invalid(`Query condition missed key schema element: ${partitionKey.name}`);
  const partition = keyConditions[partitionKey.name]!;
  checkKeyCondition(partition, partitionKey.type);
  if (partition.ComparisonOperator !== 'EQ') throw invalid('Query key condition not supported');
  const partitionValue = partition.AttributeValueList![0]!;

  if (sortKey === undefined || !has(sortKey.name)) {
    if (sortKey !== undefined && count > 1) throw invalid(`Query condition missed key schema element: ${sortKey.name}`);
    return { partitionValue };
  }
  const sort = keyConditions[sortKey.name]!;
  checkKeyCondition(sort, sortKey.type);
  const sortCondition: SortKeyCondition = { op: sort.ComparisonOperator as SortKeyOperator, values: sort.AttributeValueList ?? [] };
  return { partitionValue, sortCondition };
}

function checkKeyCondition(condition: LegacyCondition, type: string): void {
  if (NOT_INDEXABLE.includes(condition.ComparisonOperator)) {
    throw invalid('Attempted conditional constraint is not an indexable operation');
  }
  if ((condition.AttributeValueList ?? []).some((value) => attributeType(value) !== type)) {
    throw invalidParameter('Condition parameter type does not match schema type');
  }
}
