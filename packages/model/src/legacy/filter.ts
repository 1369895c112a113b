/**
 * QueryFilter and ScanFilter: the legacy form of FilterExpression.
 */
import { ValidationException } from '../errors';
import type { KeySchema } from '../types';
import type { Condition } from '../expressions/ast';
import { checkCondition, comparisonToCondition, type LegacyCondition } from './comparison';
import { checkConditionalOperator, combineConditions } from './conditional-operator';

export type LegacyFilterKind = 'QueryFilter' | 'ScanFilter';

export type LegacyConditions = Record<string, LegacyCondition>;

/**
 * Converts a QueryFilter or ScanFilter (and ConditionalOperator) into the tree a FilterExpression
 * parses to; undefined when there is no filter. Throws ValidationException with DynamoDB's messages.
 */
export function filterToCondition(
  conditions: LegacyConditions | undefined,
  conditionalOperator: string | undefined,
  kind: LegacyFilterKind,
): Condition | undefined {
  void kind; // DynamoDB's messages are the same for both ("Filter or Expected").
  checkConditionalOperator(conditions === undefined ? undefined : Object.keys(conditions).length, conditionalOperator);
  if (conditions === undefined) return undefined;
  const trees = Object.entries(conditions).map(([name, condition]) => comparisonToCondition(name, checkCondition(condition), condition.AttributeValueList ?? []));
  return combineConditions(trees, conditionalOperator);
}

/** A QueryFilter may not name the key attributes of the table (or of the queried index). */
export function assertQueryFilterAvoidsKey(conditions: LegacyConditions, keySchema: KeySchema): void {
  const keyNames = keySchema.sortKey === undefined ? [keySchema.partitionKey.name] : [keySchema.partitionKey.name, keySchema.sortKey.name];
  for (const name of keyNames) {
    if (Object.prototype.hasOwnProperty.call(conditions, name)) {
      throw new ValidationException(`QueryFilter can only contain non-primary key attributes: Primary key attribute: ${name}`);
    }
  }
}
