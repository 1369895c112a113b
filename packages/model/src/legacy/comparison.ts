/**
 * One legacy condition on one attribute (`ComparisonOperator` + `AttributeValueList`), as used by
 * Expected, QueryFilter, ScanFilter and KeyConditions: DynamoDB's checks of the argument list, and
 * its translation into the Condition tree the expression parsers produce.
 */
import { attributeType, compareScalar } from '../attribute-value';
import { ValidationException } from '../errors';
import type { AttributeValue } from '../types';
import type { Condition, Operand } from '../expressions/ast';

export const COMPARISON_OPERATORS = [
  'EQ',
  'NE',
  'LE',
  'LT',
  'GE',
  'GT',
  'NOT_NULL',
  'NULL',
  'CONTAINS',
  'NOT_CONTAINS',
  'BEGINS_WITH',
  'IN',
  'BETWEEN',
] as const;

export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

/** A legacy `Condition` (QueryFilter, ScanFilter, KeyConditions). */
export interface LegacyCondition {
  ComparisonOperator: ComparisonOperator | string;
  AttributeValueList?: AttributeValue[];
}

export const INVALID_PARAMETER = 'One or more parameter values were invalid';

export function invalidParameter(message: string): ValidationException {
  return new ValidationException(`${INVALID_PARAMETER}: ${message}`);
}

/** How many values each operator takes: an exact count, or at least one for IN. */
const ARGUMENT_COUNT: Record<ComparisonOperator, number | 'one or more'> = {
  EQ: 1,
  NE: 1,
  LE: 1,
  LT: 1,
  GE: 1,
  GT: 1,
  NOT_NULL: 0,
  NULL: 0,
  CONTAINS: 1,
  NOT_CONTAINS: 1,
  BEGINS_WITH: 1,
  IN: 'one or more',
  BETWEEN: 2,
};

/** The value types each operator accepts in its argument list. */
const SCALAR = ['S', 'N', 'B'];
const ARGUMENT_TYPES: Record<ComparisonOperator, string[]> = {
  EQ: [...SCALAR, 'SS', 'NS', 'BS'],
  NE: [...SCALAR, 'SS', 'NS', 'BS'],
  LE: SCALAR,
  LT: SCALAR,
  GE: SCALAR,
  GT: SCALAR,
  NOT_NULL: [],
  NULL: [],
  CONTAINS: SCALAR,
  NOT_CONTAINS: SCALAR,
  BEGINS_WITH: ['S', 'B'],
  IN: SCALAR,
  BETWEEN: SCALAR,
};

function isOperator(op: string): op is ComparisonOperator {
  return (COMPARISON_OPERATORS as readonly string[]).includes(op);
}

/** "Invalid number of argument(s)" for the operator, with DynamoDB's message. */
export function checkArgumentCount(op: string, count: number): void {
  const expected = isOperator(op) ? ARGUMENT_COUNT[op] : undefined;
  const valid = expected === 'one or more' ? count > 0 : expected === count;
  if (!valid) throw invalidParameter(`Invalid number of argument(s) for the ${op} ComparisonOperator`);
}

/**
 * Checks the values of one condition after their count: one type for all, a type the operator
 * accepts, and BETWEEN's bounds in order.
 */
export function checkArgumentValues(op: ComparisonOperator, values: readonly AttributeValue[]): void {
  if (values.length === 0) return;
  const first = attributeType(values[0]!);
  if (values.some((value) => attributeType(value) !== first)) {
    throw invalidParameter('AttributeValues inside AttributeValueList must be of same type');
  }
  for (const value of values) {
    const type = attributeType(value);
    if (!ARGUMENT_TYPES[op].includes(type)) {
      throw invalidParameter(`ComparisonOperator ${op} is not valid for ${type} AttributeValue type`);
    }
  }
  if (op === 'BETWEEN' && (compareScalar(values[0]!, values[1]!) ?? 0) > 0) {
    throw new ValidationException('The BETWEEN condition was provided a range where the lower bound is greater than the upper bound');
  }
}

/** Checks a legacy Condition's argument list (count, types, bounds); returns the operator. */
export function checkCondition(condition: LegacyCondition): ComparisonOperator {
  const op = condition.ComparisonOperator;
  const values = condition.AttributeValueList ?? [];
  checkArgumentCount(op, values.length);
  checkArgumentValues(op as ComparisonOperator, values);
  return op as ComparisonOperator;
}

/**
 * The Condition tree for `attribute <op> values`, with DynamoDB's legacy semantics: NE is true for
 * a missing attribute, NOT_CONTAINS is false for one, NULL/NOT_NULL test existence (not the NULL type).
 * Legacy names are literal top-level attribute names, never document paths.
 */
export function comparisonToCondition(name: string, op: ComparisonOperator, values: readonly AttributeValue[]): Condition {
  const path = [name];
  const attribute: Operand = { type: 'path', path };
  const value = (index: number): Operand => ({ type: 'value', value: values[index]! });
  switch (op) {
    case 'EQ':
      return { type: 'compare', op: '=', left: attribute, right: value(0) };
    case 'NE':
      return { type: 'compare', op: '<>', left: attribute, right: value(0) };
    case 'LE':
      return { type: 'compare', op: '<=', left: attribute, right: value(0) };
    case 'LT':
      return { type: 'compare', op: '<', left: attribute, right: value(0) };
    case 'GE':
      return { type: 'compare', op: '>=', left: attribute, right: value(0) };
    case 'GT':
      return { type: 'compare', op: '>', left: attribute, right: value(0) };
    case 'NOT_NULL':
      return { type: 'attribute_exists', path };
    case 'NULL':
      return { type: 'attribute_not_exists', path };
    case 'CONTAINS':
      return { type: 'contains', operand: attribute, value: value(0) };
    case 'NOT_CONTAINS':
      return {
        type: 'and',
        left: { type: 'attribute_exists', path },
        right: { type: 'not', condition: { type: 'contains', operand: attribute, value: value(0) } },
      };
    case 'BEGINS_WITH':
      return { type: 'begins_with', operand: attribute, prefix: value(0) };
    case 'IN':
      return { type: 'in', operand: attribute, list: values.map((_, index) => value(index)) };
    case 'BETWEEN':
      return { type: 'between', operand: attribute, low: value(0), high: value(1) };
  }
}
