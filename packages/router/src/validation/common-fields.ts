import type { FieldSpec } from './request-schema';

/** Fields shared by many operations, with DynamoDB's constraints. */
export const TABLE_NAME: FieldSpec = { type: 'String', notNull: true, pattern: '[a-zA-Z0-9_.-]+', lengthMin: 3, lengthMax: 255 };
export const KEY: FieldSpec = { type: { map: { type: 'AttributeValue' } }, notNull: true };
export const ITEM: FieldSpec = { type: { map: { type: 'AttributeValue' } }, notNull: true };
export const EXPRESSION_ATTRIBUTE_NAMES: FieldSpec = { type: { map: { type: 'String' } } };
/** Values are checked with the expressions, whose errors name the key (see expression-params.ts). */
export const EXPRESSION_ATTRIBUTE_VALUES: FieldSpec = { type: { map: { type: 'AttributeValueUnchecked' } } };
export const EXPRESSION: FieldSpec = { type: 'String' };
export const CONSISTENT_READ: FieldSpec = { type: 'Boolean' };
export const RETURN_CONSUMED_CAPACITY: FieldSpec = { type: 'String', enumValues: ['INDEXES', 'TOTAL', 'NONE'] };
export const RETURN_ITEM_COLLECTION_METRICS: FieldSpec = { type: 'String', enumValues: ['SIZE', 'NONE'] };
export const RETURN_VALUES: FieldSpec = {
  type: 'String',
  // DynamoDB lists them in this order in its enum violation message.
  enumValues: ['ALL_NEW', 'UPDATED_OLD', 'ALL_OLD', 'NONE', 'UPDATED_NEW'],
};
export const RETURN_VALUES_ON_CONDITION_CHECK_FAILURE: FieldSpec = { type: 'String', enumValues: ['ALL_OLD', 'NONE'] };
export const LIMIT: FieldSpec = { type: 'Integer', valueMin: 1 };

/** Legacy Expected: attribute values inside are validated like any other. */
export const EXPECTED: FieldSpec = {
  type: {
    map: {
      type: {
        className: 'ExpectedAttributeValue',
        struct: {
          Value: { type: 'AttributeValueField' },
          Exists: { type: 'Boolean' },
          ComparisonOperator: { type: 'String', enumValues: ['IN', 'NULL', 'BETWEEN', 'LT', 'NOT_CONTAINS', 'EQ', 'GT', 'NOT_NULL', 'NE', 'LE', 'BEGINS_WITH', 'GE', 'CONTAINS'] },
          AttributeValueList: { type: { list: { type: 'AttributeValue' } } },
        },
      },
    },
  },
};
export const CONDITIONAL_OPERATOR: FieldSpec = { type: 'String', enumValues: ['OR', 'AND'] };
