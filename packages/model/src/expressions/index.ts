/**
 * DynamoDB's expression language: parse (resolving #names and :values, recording which were
 * used) → validate → evaluate. Parsing happens on the router; the resulting plain-JSON trees
 * travel to the partition leader, which evaluates conditions and applies updates.
 */
export * from './ast';
export { ExpressionContext, createExpressionContext, assertAllUsed, validateExpressionAttributeKeys } from './context';
export type { ExpressionAttributeNames, ExpressionAttributeValues } from './context';
export { RESERVED_WORDS, isReservedWord } from './reserved-words';
export { parseCondition } from './condition-parser';
export { parseUpdate } from './update-parser';
export { parseProjection } from './projection-parser';
export { parseKeyCondition, extractKeyCondition, checkStartKeyInBounds, sortKeyMatches } from './key-condition';
export type { KeyCondition, SortKeyCondition, SortKeyOperator } from './key-condition';
export { evaluateCondition, operandValue, sizeOf } from './evaluate';
export { valueAtPath } from './document-path';
export {
  applyUpdate,
  projectUpdated,
  updateTargetPaths,
  updatedAttributeNames,
  INVALID_UPDATE_PATH_MESSAGE,
  INCORRECT_OPERAND_TYPE_MESSAGE,
  MISSING_ATTRIBUTE_MESSAGE,
} from './apply-update';
export type { UpdateResult } from './apply-update';
export { projectItem } from './projection';
export {
  conditionPaths,
  updatePaths,
  topLevelNames,
  assertUpdateSparesKey,
  assertFilterAvoidsKey,
  assertKeyPathsScalar,
} from './key-attributes';
