/**
 * DynamoDB's legacy (pre-expression) request parameters, converted into the same plain-JSON trees
 * the expression parsers produce, so evaluation stays in one place: Expected and
 * ConditionalOperator → Condition, QueryFilter/ScanFilter → Condition, KeyConditions → KeyCondition,
 * AttributeUpdates → UpdateExpression, AttributesToGet → ProjectionExpression.
 */
export { COMPARISON_OPERATORS } from './comparison';
export type { ComparisonOperator, LegacyCondition } from './comparison';
export type { ConditionalOperator } from './conditional-operator';
export { expectedToCondition } from './expected';
export type { ExpectedAttributeValue, ExpectedAttributes } from './expected';
export { filterToCondition, assertQueryFilterAvoidsKey } from './filter';
export type { LegacyConditions, LegacyFilterKind } from './filter';
export { keyConditionsToKeyCondition } from './key-conditions';
export { attributeUpdatesToUpdate } from './attribute-updates';
export type { AttributeAction, AttributeValueUpdate, AttributeUpdates } from './attribute-updates';
export { attributesToGetToProjection } from './attributes-to-get';
