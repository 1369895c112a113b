/**
 * ConditionalOperator: how the conditions of an Expected, QueryFilter or ScanFilter map combine
 * (AND by default), with DynamoDB's rules on when it may be given.
 */
import { ValidationException } from '../errors';
import type { Condition } from '../expressions/ast';

export type ConditionalOperator = 'AND' | 'OR';

/** DynamoDB accepts ConditionalOperator only with a map of two or more conditions. */
export function checkConditionalOperator(conditionCount: number | undefined, conditionalOperator: string | undefined): void {
  if (conditionalOperator === undefined) return;
  if (conditionCount === undefined) {
    throw new ValidationException('ConditionalOperator cannot be used without Filter or Expected');
  }
  if (conditionCount < 2) {
    throw new ValidationException('ConditionalOperator can only be used when Filter or Expected has two or more elements');
  }
}

/** Joins conditions, in the map's order, with AND or OR; undefined for none. */
export function combineConditions(conditions: readonly Condition[], conditionalOperator: string | undefined): Condition | undefined {
  const type = conditionalOperator === 'OR' ? 'or' : 'and';
  let combined: Condition | undefined;
  for (const condition of conditions) {
    combined = combined === undefined ? condition : { type, left: combined, right: condition };
  }
  return combined;
}
