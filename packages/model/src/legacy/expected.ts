/**
 * Expected (PutItem, UpdateItem, DeleteItem): the legacy form of ConditionExpression.
 */
import type { AttributeValue } from '../types';
import type { Condition } from '../expressions/ast';
import { checkArgumentCount, checkArgumentValues, comparisonToCondition, invalidParameter, type ComparisonOperator } from './comparison';
import { checkConditionalOperator, combineConditions } from './conditional-operator';

/** One entry of Expected: either Value/Exists, or ComparisonOperator with Value or AttributeValueList. */
export interface ExpectedAttributeValue {
  Value?: AttributeValue;
  Exists?: boolean;
  ComparisonOperator?: ComparisonOperator | string;
  AttributeValueList?: AttributeValue[];
}

export type ExpectedAttributes = Record<string, ExpectedAttributeValue>;

function entryToCondition(name: string, entry: ExpectedAttributeValue): Condition {
  const { Value: value, Exists: exists, ComparisonOperator: op, AttributeValueList: list } = entry;
  if (list !== undefined && value !== undefined) {
    throw invalidParameter(`Value and AttributeValueList cannot be used together for Attribute: ${name}`);
  }
  if (op !== undefined) {
    if (exists !== undefined) {
      throw invalidParameter(`Exists and ComparisonOperator cannot be used together for Attribute: ${name}`);
    }
    if (op !== 'NULL' && op !== 'NOT_NULL' && list === undefined && value === undefined) {
      throw invalidParameter(`Value or AttributeValueList must be used with ComparisonOperator: ${op} for Attribute: ${name}`);
    }
    const values = list ?? (value !== undefined ? [value] : []);
    checkArgumentCount(op, values.length);
    checkArgumentValues(op as ComparisonOperator, values);
    return comparisonToCondition(name, op as ComparisonOperator, values);
  }
  if (list !== undefined) {
    throw invalidParameter(`AttributeValueList can only be used with a ComparisonOperator for Attribute: ${name}`);
  }
  if (exists === false) {
    if (value !== undefined) throw invalidParameter(`Value cannot be used when Exists is false for Attribute: ${name}`);
    return { type: 'attribute_not_exists', path: [name] };
  }
  if (value === undefined) {
    throw invalidParameter(`Value must be provided when Exists is ${exists === undefined ? 'null' : 'true'} for Attribute: ${name}`);
  }
  return comparisonToCondition(name, 'EQ', [value]);
}

/**
 * Converts Expected (and ConditionalOperator) into the tree a ConditionExpression parses to;
 * undefined when there is no condition. Throws ValidationException with DynamoDB's messages.
 */
export function expectedToCondition(expected: ExpectedAttributes | undefined, conditionalOperator?: string): Condition | undefined {
  checkConditionalOperator(expected === undefined ? undefined : Object.keys(expected).length, conditionalOperator);
  if (expected === undefined) return undefined;
  const conditions = Object.entries(expected).map(([name, entry]) => entryToCondition(name, entry));
  return combineConditions(conditions, conditionalOperator);
}
