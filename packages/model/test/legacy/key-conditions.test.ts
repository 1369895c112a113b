import { keyConditionsToKeyCondition } from '../../src/legacy';
import type { AttributeValue, KeySchema } from '../../src/types';
import { INVALID, expectValidation } from './helpers';

const hashOnly: KeySchema = { partitionKey: { name: 'pk', type: 'S' } };
const hashRange: KeySchema = { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'N' } };
const c = (ComparisonOperator: string, ...AttributeValueList: AttributeValue[]) => ({ ComparisonOperator, AttributeValueList });

describe('keyConditionsToKeyCondition', () => {
  it('extracts the partition value and sort condition', () => {
    expect(keyConditionsToKeyCondition({ pk: c('EQ', { S: 'a' }) }, hashOnly)).toEqual({ partitionValue: { S: 'a' } });
    expect(keyConditionsToKeyCondition({ pk: c('EQ', { S: 'a' }) }, hashRange)).toEqual({ partitionValue: { S: 'a' } });
    for (const op of ['EQ', 'LT', 'LE', 'GT', 'GE']) {
      expect(keyConditionsToKeyCondition({ sk: c(op, { N: '3' }), pk: c('EQ', { S: 'a' }) }, hashRange)).toEqual({
        partitionValue: { S: 'a' },
        sortCondition: { op, values: [{ N: '3' }] },
      });
    }
    expect(keyConditionsToKeyCondition({ pk: c('EQ', { S: 'a' }), sk: c('BETWEEN', { N: '1' }, { N: '9' }) }, hashRange).sortCondition).toEqual({
      op: 'BETWEEN',
      values: [{ N: '1' }, { N: '9' }],
    });
  });

  it('BEGINS_WITH on a string sort key', () => {
    const schema: KeySchema = { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'S' } };
    expect(keyConditionsToKeyCondition({ pk: c('EQ', { S: 'a' }), sk: c('BEGINS_WITH', { S: 'x' }) }, schema).sortCondition).toEqual({
      op: 'BEGINS_WITH',
      values: [{ S: 'x' }],
    });
  });

  it('rejects the wrong number of conditions', () => {
    expectValidation(() => keyConditionsToKeyCondition({}, hashRange), 'Conditions can be of length 1 or 2 only');
    expectValidation(
      () => keyConditionsToKeyCondition({ pk: c('EQ', { S: 'a' }), sk: c('EQ', { N: '1' }), x: c('EQ', { N: '1' }) }, hashRange),
      'Conditions can be of length 1 or 2 only',
    );
    expectValidation(() => keyConditionsToKeyCondition({ pk: c('EQ', { S: 'a' }), x: c('EQ', { N: '1' }) }, hashOnly), 'Query key condition not supported');
  });

  it('rejects missing key attributes', () => {
    expectValidation(() => keyConditionsToKeyCondition({ sk: c('EQ', { N: '1' }) }, hashRange), 'Query condition missed key schema element: pk');
    expectValidation(
      () => keyConditionsToKeyCondition({ pk: c('EQ', { S: 'a' }), x: c('EQ', { N: '1' }) }, hashRange),
      'Query condition missed key schema element: sk',
    );
  });

  it.each(['NE', 'CONTAINS', 'NOT_CONTAINS', 'IN'])('rejects %s as not indexable', (op) => {
    expectValidation(() => keyConditionsToKeyCondition({ pk: c(op, { S: 'a' }) }, hashOnly), 'Attempted conditional constraint is not an indexable operation');
    expectValidation(
      () => keyConditionsToKeyCondition({ pk: c('EQ', { S: 'a' }), sk: c(op, { N: '1' }) }, hashRange),
      'Attempted conditional constraint is not an indexable operation',
    );
  });

  it('rejects NULL and NOT_NULL as not indexable', () => {
    expectValidation(() => keyConditionsToKeyCondition({ pk: c('NULL') }, hashOnly), 'Attempted conditional constraint is not an indexable operation');
    expectValidation(
      () => keyConditionsToKeyCondition({ pk: c('EQ', { S: 'a' }), sk: c('NOT_NULL') }, hashRange),
      'Attempted conditional constraint is not an indexable operation',
    );
  });

  it('rejects a partition condition other than EQ', () => {
    expectValidation(() => keyConditionsToKeyCondition({ pk: c('GT', { S: 'a' }) }, hashRange), 'Query key condition not supported');
    expectValidation(() => keyConditionsToKeyCondition({ pk: c('BEGINS_WITH', { S: 'a' }) }, hashOnly), 'Query key condition not supported');
  });

  it('rejects values of the wrong type', () => {
    expectValidation(
      () => keyConditionsToKeyCondition({ pk: c('EQ', { N: '1' }) }, hashOnly),
      `${INVALID}Condition parameter type does not match schema type`,
    );
    expectValidation(
      () => keyConditionsToKeyCondition({ pk: c('EQ', { S: 'a' }), sk: c('LT', { S: '1' }) }, hashRange),
      `${INVALID}Condition parameter type does not match schema type`,
    );
  });

  it('validates the argument lists first', () => {
    expectValidation(() => keyConditionsToKeyCondition({ pk: c('EQ') }, hashOnly), `${INVALID}Invalid number of argument(s) for the EQ ComparisonOperator`);
    expectValidation(
      () => keyConditionsToKeyCondition({ pk: c('EQ', { S: 'a' }), sk: c('BEGINS_WITH', { N: '1' }) }, hashRange),
      `${INVALID}ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type`,
    );
    expectValidation(
      () => keyConditionsToKeyCondition({ pk: c('EQ', { S: 'a' }), sk: c('BETWEEN', { N: '9' }, { N: '1' }) }, hashRange),
      'The BETWEEN condition was provided a range where the lower bound is greater than the upper bound',
    );
  });
});
