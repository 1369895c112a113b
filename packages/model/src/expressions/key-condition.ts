/**
 * KeyConditionExpression: parsed with the condition grammar, then reduced to what a Query needs
 * (the partition key value and at most one sort key condition), with DynamoDB's messages.
 *
 * Call order, as DynamoDB checks: parse every expression of the request, `assertAllUsed`, then
 * `extractKeyCondition` (structure, then the table's or index's key schema).
 */
import { attributeType, compareScalar } from '../attribute-value';
import { ValidationException } from '../errors';
import type { AttributeValue, KeySchema } from '../types';
import type { Condition, Operand } from './ast';
import type { ExpressionContext } from './context';
import { parseCondition } from './condition-parser';
import { getOwn } from '../own-property';

export type SortKeyOperator = 'EQ' | 'LT' | 'LE' | 'GT' | 'GE' | 'BETWEEN' | 'BEGINS_WITH';

export interface SortKeyCondition {
  op: SortKeyOperator;
  /** One value, or two for BETWEEN (low, high). */
  values: AttributeValue[];
}

export interface KeyCondition {
  partitionValue: AttributeValue;
  sortCondition?: SortKeyCondition;
}

/** Parses a KeyConditionExpression; the tree has the shape of any condition. */
export function parseKeyCondition(text: string, ctx: ExpressionContext): Condition {
  return parseCondition('KeyConditionExpression', text, ctx);
}

const OPERATOR_OF: Record<string, SortKeyOperator> = { '=': 'EQ', '<': 'LT', '<=': 'LE', '>': 'GT', '>=': 'GE' };
/** `:v < key` is `key > :v`. */
const MIRRORED: Record<string, string> = { '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function invalid(message: string): ValidationException {
  return new ValidationException(message);
}

/** Some structural errors carry the expression's name as a prefix, as parse errors do. */
function invalidExpression(message: string): ValidationException {
  return new ValidationException(`Invalid KeyConditionExpression: ${message}`);
}

/** One condition on one attribute, collected in source order. */
type Collected = Map<string, SortKeyCondition>;

function collect(condition: Condition, out: Collected): void {
  switch (condition.type) {
    case 'or':
    case 'not':
    case 'in':
      throw invalid(`Invalid operator used in KeyConditionExpression: ${condition.type.toUpperCase()}`);
    case 'attribute_exists':
    case 'attribute_not_exists':
    case 'attribute_type':
    case 'contains':
      throw invalid(`Invalid operator used in KeyConditionExpression: ${condition.type}`);
    case 'and':
      collect(condition.left, out);
      collect(condition.right, out);
      return;
    case 'compare':
      if (condition.op === '<>') throw invalid('Invalid operator used in KeyConditionExpression: <>');
      return collectSimple(condition.op, [condition.left, condition.right], out);
    case 'between':
      if (condition.operand.type !== 'path') {
        throw invalid('Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand');
      }
      return collectSimple('BETWEEN', [condition.operand, condition.low, condition.high], out);
    case 'begins_with':
      if (condition.operand.type !== 'path') {
        throw invalid('Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand');
      }
      return collectSimple('BEGINS_WITH', [condition.operand, condition.prefix], out);
  }
}

function collectSimple(operator: string, operands: Operand[], out: Collected): void {
  let name: string | undefined;
  let position = 0;
  const values: AttributeValue[] = [];
  operands.forEach((operand, index) => {
    if (operand.type === 'size') throw invalidExpression('KeyConditionExpressions cannot contain nested operations');
    if (operand.type === 'value') {
      values.push(operand.value);
      return;
    }
    if (name !== undefined) throw invalid('Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition');
    if (operand.path.length > 1) throw invalidExpression('KeyConditionExpressions cannot have conditions on nested attributes');
    name = operand.path[0] as string;
    position = index;
  });
  if (name === undefined) throw invalid('Invalid condition in KeyConditionExpression: No key attribute specified');
  if (out.has(name)) throw invalidExpression('KeyConditionExpressions must only contain one condition per key');
  let op: SortKeyOperator;
  if (operator === 'BETWEEN' || operator === 'BEGINS_WITH') op = operator;
  else op = OPERATOR_OF[position === 0 ? operator : MIRRORED[operator]!]!;
  out.set(name, { op, values });
}

/**
 * Reduces a parsed KeyConditionExpression to the partition key value and the sort key condition,
 * checked against `keySchema` (the table's, or the queried index's). Throws ValidationException
 * with DynamoDB's message for anything a Query cannot use.
 */
export function extractKeyCondition(tree: Condition, keySchema: KeySchema): KeyCondition {
  const conditions: Collected = new Map();
  collect(tree, conditions);

  const { partitionKey, sortKey } = keySchema;
  const keyCount = sortKey === undefined ? 1 : 2;
  if (conditions.size > keyCount) {
    throw invalid(
      `The number of query conditions (${conditions.size}) exceeds the number of key attributes defined in the schema (${keyCount})`,
    );
  }

  const partition = conditions.get(partitionKey.name);
  if (partition === undefined) throw invalid(`Query condition missed key schema element: ${partitionKey.name}`);
  checkSchemaType(partition, partitionKey.type);
  if (partition.op !== 'EQ') throw invalid('Query key condition not supported');

  let sortCondition: SortKeyCondition | undefined;
  if (sortKey !== undefined) {
    sortCondition = conditions.get(sortKey.name);
    if (sortCondition === undefined && conditions.size > 1) {
      throw invalid(`Query condition missed key schema element: ${sortKey.name}`);
    }
    if (sortCondition !== undefined) checkSchemaType(sortCondition, sortKey.type);
  }
  return sortCondition === undefined
    ? { partitionValue: partition.values[0]! }
    : { partitionValue: partition.values[0]!, sortCondition };
}

function checkSchemaType(condition: SortKeyCondition, type: string): void {
  if (condition.values.some((value) => attributeType(value) !== type)) {
    throw invalid('One or more parameter values were invalid: Condition parameter type does not match schema type');
  }
}

/** Whether a sort key value satisfies a Query's sort key condition. */
export function sortKeyMatches(condition: SortKeyCondition, value: AttributeValue): boolean {
  const [first, second] = condition.values;
  const cmp = (other: AttributeValue) => compareScalar(value, other);
  switch (condition.op) {
    case 'EQ':
      return cmp(first) === 0;
    case 'LT':
      return (cmp(first) ?? 0) < 0;
    case 'LE':
      return (cmp(first) ?? 1) <= 0;
    case 'GT':
      return (cmp(first) ?? 0) > 0;
    case 'GE':
      return (cmp(first) ?? -1) >= 0;
    case 'BETWEEN':
      return (cmp(first) ?? -1) >= 0 && (cmp(second) ?? 1) <= 0;
    case 'BEGINS_WITH':
      if ('S' in value && 'S' in first) return value.S.startsWith(first.S);
      if ('B' in value && 'B' in first) {
        const prefix = Buffer.from(first.B, 'base64');
        return Buffer.from(value.B, 'base64').subarray(0, prefix.length).equals(prefix);
      }
      return false;
  }
}

/**
 * A Query's ExclusiveStartKey must lie inside its key condition, as DynamoDB checks it: with no
 * sort key condition, in the queried partition key; with one, matching it first.
 */
export function checkStartKeyInBounds(start: Record<string, AttributeValue>, keySchema: KeySchema, condition: KeyCondition): void {
  const samePartition = compareScalar(getOwn(start, keySchema.partitionKey.name)!, condition.partitionValue) === 0;
  if (!keySchema.sortKey || !condition.sortCondition) {
    if (!samePartition) throw new ValidationException('The provided starting key is outside query boundaries based on provided conditions');
    return;
  }
  if (!sortKeyMatches(condition.sortCondition, getOwn(start, keySchema.sortKey.name)!)) {
    throw new ValidationException('The provided starting key does not match the range key predicate');
  }
  if (!samePartition) throw new ValidationException('The query can return at most one row and cannot be restarted');
}
