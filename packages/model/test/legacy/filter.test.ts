import { evaluateCondition } from '../../src/expressions';
import { assertQueryFilterAvoidsKey, filterToCondition, type LegacyConditions } from '../../src/legacy';
import type { AttributeValue } from '../../src/types';
import { INVALID, expectValidation, sample } from './helpers';

const matches = (conditions: LegacyConditions, operator?: string) =>
  evaluateCondition(filterToCondition(conditions, operator, 'ScanFilter')!, sample());
const one = (ComparisonOperator: string, AttributeValueList?: AttributeValue[]) => ({ ComparisonOperator, AttributeValueList });

describe('filterToCondition', () => {
  it('returns undefined without a filter', () => {
    expect(filterToCondition(undefined, undefined, 'QueryFilter')).toBeUndefined();
  });

  it('converts every operator', () => {
    expect(matches({ n: one('EQ', [{ N: '5' }]) })).toBe(true);
    expect(matches({ missing: one('NE', [{ N: '5' }]) })).toBe(true);
    expect(matches({ n: one('LE', [{ N: '4' }]) })).toBe(false);
    expect(matches({ n: one('LT', [{ N: '6' }]) })).toBe(true);
    expect(matches({ s: one('GE', [{ S: 'hello' }]) })).toBe(true);
    expect(matches({ s: one('GT', [{ S: 'hello' }]) })).toBe(false);
    expect(matches({ bool: one('NOT_NULL') })).toBe(true);
    expect(matches({ missing: one('NULL', []) })).toBe(true);
    expect(matches({ ss: one('CONTAINS', [{ S: 'cat' }]) })).toBe(true);
    expect(matches({ ss: one('NOT_CONTAINS', [{ S: 'cow' }]) })).toBe(true);
    expect(matches({ missing: one('NOT_CONTAINS', [{ S: 'cow' }]) })).toBe(false);
    expect(matches({ s: one('BEGINS_WITH', [{ S: 'he' }]) })).toBe(true);
    expect(matches({ s: one('IN', [{ S: 'a' }, { S: 'hello' }]) })).toBe(true);
    expect(matches({ n: one('BETWEEN', [{ N: '1' }, { N: '4' }]) })).toBe(false);
  });

  it('combines with AND by default, or OR', () => {
    const two = { n: one('EQ', [{ N: '5' }]), s: one('EQ', [{ S: 'x' }]) };
    expect(matches(two)).toBe(false);
    expect(matches(two, 'OR')).toBe(true);
  });

  it('rejects ConditionalOperator without two or more conditions', () => {
    expectValidation(() => filterToCondition(undefined, 'OR', 'ScanFilter'), 'ConditionalOperator cannot be used without Filter or Expected');
    expectValidation(
      () => filterToCondition({ n: one('NULL') }, 'OR', 'QueryFilter'),
      'ConditionalOperator can only be used when Filter or Expected has two or more elements',
    );
  });

  it('rejects invalid argument lists', () => {
    expectValidation(() => filterToCondition({ n: one('EQ') }, undefined, 'ScanFilter'), `${INVALID}Invalid number of argument(s) for the EQ ComparisonOperator`);
    expectValidation(() => filterToCondition({ n: one('IN', []) }, undefined, 'ScanFilter'), `${INVALID}Invalid number of argument(s) for the IN ComparisonOperator`);
    expectValidation(
      () => filterToCondition({ n: one('NULL', [{ N: '1' }]) }, undefined, 'ScanFilter'),
      `${INVALID}Invalid number of argument(s) for the NULL ComparisonOperator`,
    );
    expectValidation(
      () => filterToCondition({ n: one('BETWEEN', [{ N: '1' }, { S: '2' }]) }, undefined, 'ScanFilter'),
      `${INVALID}AttributeValues inside AttributeValueList must be of same type`,
    );
    expectValidation(
      () => filterToCondition({ n: one('GT', [{ BOOL: true }]) }, undefined, 'ScanFilter'),
      `${INVALID}ComparisonOperator GT is not valid for BOOL AttributeValue type`,
    );
    expectValidation(
      () => filterToCondition({ n: one('BETWEEN', [{ S: 'b' }, { S: 'a' }]) }, undefined, 'QueryFilter'),
      'The BETWEEN condition was provided a range where the lower bound is greater than the upper bound',
    );
  });
});

describe('assertQueryFilterAvoidsKey', () => {
  const keySchema = { partitionKey: { name: 'pk', type: 'S' as const }, sortKey: { name: 'sk', type: 'N' as const } };
  it('rejects key attributes', () => {
    expect(() => assertQueryFilterAvoidsKey({ n: one('NULL') }, keySchema)).not.toThrow();
    expectValidation(
      () => assertQueryFilterAvoidsKey({ sk: one('NULL') }, keySchema),
      'QueryFilter can only contain non-primary key attributes: Primary key attribute: sk',
    );
  });
});
