import { evaluateCondition } from '../../src/expressions';
import { expectedToCondition, type ExpectedAttributes } from '../../src/legacy';
import type { AttributeValue } from '../../src/types';
import { INVALID, expectValidation, sample } from './helpers';

const holds = (expected: ExpectedAttributes, operator?: string) => evaluateCondition(expectedToCondition(expected, operator)!, sample());
const op = (name: string, ComparisonOperator: string, AttributeValueList: AttributeValue[]): ExpectedAttributes => ({
  [name]: { ComparisonOperator, AttributeValueList },
});

describe('expectedToCondition: Value and Exists', () => {
  it('returns undefined without Expected', () => {
    expect(expectedToCondition(undefined)).toBeUndefined();
    expect(expectedToCondition({})).toBeUndefined();
  });

  it('Value alone (or with Exists true) is an equality', () => {
    expect(expectedToCondition({ n: { Value: { N: '5' } } })).toEqual({
      type: 'compare',
      op: '=',
      left: { type: 'path', path: ['n'] },
      right: { type: 'value', value: { N: '5' } },
    });
    expect(holds({ n: { Value: { N: '5.0' } } })).toBe(true);
    expect(holds({ n: { Value: { N: '6' }, Exists: true } })).toBe(false);
    expect(holds({ n: { Value: { S: '5' } } })).toBe(false);
    expect(holds({ ss: { Value: { SS: ['dog', 'cat'] } } })).toBe(true);
    expect(holds({ missing: { Value: { S: 'x' } } })).toBe(false);
  });

  it('Exists false requires the attribute to be absent', () => {
    expect(expectedToCondition({ x: { Exists: false } })).toEqual({ type: 'attribute_not_exists', path: ['x'] });
    expect(holds({ x: { Exists: false } })).toBe(true);
    expect(holds({ nul: { Exists: false } })).toBe(false);
  });

  it('names are literal attribute names, not paths', () => {
    expect(holds({ 'a.b': { Value: { S: 'dotted' } } })).toBe(true);
  });

  it('rejects invalid Value/Exists combinations', () => {
    expectValidation(() => expectedToCondition({ a: { Exists: true } }), `${INVALID}Value must be provided when Exists is true for Attribute: a`);
    expectValidation(() => expectedToCondition({ a: {} }), `${INVALID}Value must be provided when Exists is null for Attribute: a`);
    expectValidation(
      () => expectedToCondition({ a: { Exists: false, Value: { S: 'x' } } }),
      `${INVALID}Value cannot be used when Exists is false for Attribute: a`,
    );
  });
});

describe('expectedToCondition: ComparisonOperator', () => {
  it('EQ and NE (NE holds for a missing attribute or another type)', () => {
    expect(holds(op('n', 'EQ', [{ N: '5' }]))).toBe(true);
    expect(holds(op('n', 'EQ', [{ S: '5' }]))).toBe(false);
    expect(holds(op('n', 'NE', [{ N: '6' }]))).toBe(true);
    expect(holds(op('n', 'NE', [{ N: '5' }]))).toBe(false);
    expect(holds(op('n', 'NE', [{ S: '5' }]))).toBe(true);
    expect(holds(op('missing', 'NE', [{ N: '5' }]))).toBe(true);
  });

  it('Value may stand for a one-element AttributeValueList', () => {
    expect(holds({ n: { ComparisonOperator: 'GT', Value: { N: '4' } } })).toBe(true);
  });

  it('LE, LT, GE, GT compare numbers, strings and binaries; other types do not match', () => {
    expect(holds(op('n', 'LE', [{ N: '5' }]))).toBe(true);
    expect(holds(op('n', 'LT', [{ N: '5' }]))).toBe(false);
    expect(holds(op('n', 'GE', [{ N: '5' }]))).toBe(true);
    expect(holds(op('n', 'GT', [{ N: '10' }]))).toBe(false);
    expect(holds(op('s', 'LT', [{ S: 'world' }]))).toBe(true);
    expect(holds(op('b', 'GT', [{ B: Buffer.from('aardvark').toString('base64') }]))).toBe(true);
    expect(holds(op('n', 'LE', [{ S: '9' }]))).toBe(false);
  });

  it('NULL and NOT_NULL test existence, not the NULL type', () => {
    expect(holds(op('nul', 'NOT_NULL', []))).toBe(true);
    expect(holds(op('nul', 'NULL', []))).toBe(false);
    expect(holds(op('missing', 'NULL', []))).toBe(true);
    expect(holds({ missing: { ComparisonOperator: 'NOT_NULL' } })).toBe(false);
  });

  it('CONTAINS: substrings, set and list members', () => {
    expect(holds(op('s', 'CONTAINS', [{ S: 'ell' }]))).toBe(true);
    expect(holds(op('ns', 'CONTAINS', [{ N: '4' }]))).toBe(true);
    expect(holds(op('l', 'CONTAINS', [{ N: '4' }]))).toBe(true);
    expect(holds(op('b', 'CONTAINS', [{ B: Buffer.from('here').toString('base64') }]))).toBe(true);
    expect(holds(op('s', 'CONTAINS', [{ S: 'dog' }]))).toBe(false);
    expect(holds(op('missing', 'CONTAINS', [{ N: '1' }]))).toBe(false);
  });

  it('NOT_CONTAINS is false for a missing attribute', () => {
    expect(holds(op('s', 'NOT_CONTAINS', [{ S: 'dog' }]))).toBe(true);
    expect(holds(op('s', 'NOT_CONTAINS', [{ N: '1' }]))).toBe(true);
    expect(holds(op('ns', 'NOT_CONTAINS', [{ N: '4' }]))).toBe(false);
    expect(holds(op('l', 'NOT_CONTAINS', [{ N: '1' }]))).toBe(true);
    expect(holds(op('missing', 'NOT_CONTAINS', [{ N: '1' }]))).toBe(false);
  });

  it('BEGINS_WITH, IN and BETWEEN', () => {
    expect(holds(op('s', 'BEGINS_WITH', [{ S: 'hell' }]))).toBe(true);
    expect(holds(op('s', 'BEGINS_WITH', [{ S: 'dog' }]))).toBe(false);
    expect(holds(op('n', 'BEGINS_WITH', [{ S: '5' }]))).toBe(false);
    expect(holds(op('n', 'IN', [{ N: '1' }, { N: '5' }]))).toBe(true);
    expect(holds(op('n', 'IN', [{ N: '1' }, { N: '2' }]))).toBe(false);
    expect(holds(op('missing', 'IN', [{ N: '1' }]))).toBe(false);
    expect(holds(op('n', 'BETWEEN', [{ N: '5' }, { N: '7' }]))).toBe(true);
    expect(holds(op('n', 'BETWEEN', [{ N: '6' }, { N: '7' }]))).toBe(false);
    expect(holds(op('s', 'BETWEEN', [{ S: 'a' }, { S: 'z' }]))).toBe(true);
  });

  it('rejects invalid parameter combinations', () => {
    expectValidation(
      () => expectedToCondition({ a: { Value: { N: '1' }, AttributeValueList: [{ N: '1' }], ComparisonOperator: 'EQ' } }),
      `${INVALID}Value and AttributeValueList cannot be used together for Attribute: a`,
    );
    expectValidation(
      () => expectedToCondition({ a: { Exists: true, ComparisonOperator: 'EQ', AttributeValueList: [{ N: '1' }] } }),
      `${INVALID}Exists and ComparisonOperator cannot be used together for Attribute: a`,
    );
    expectValidation(
      () => expectedToCondition({ a: { ComparisonOperator: 'EQ' } }),
      `${INVALID}Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a`,
    );
    expectValidation(
      () => expectedToCondition({ a: { AttributeValueList: [{ N: '1' }] } }),
      `${INVALID}AttributeValueList can only be used with a ComparisonOperator for Attribute: a`,
    );
  });

  it.each([
    ['EQ', [{ N: '1' }, { N: '2' }]],
    ['NE', []],
    ['LE', [{ N: '1' }, { N: '2' }]],
    ['LT', []],
    ['GE', [{ N: '1' }, { N: '2' }]],
    ['GT', []],
    ['NOT_NULL', [{ N: '1' }]],
    ['NULL', [{ N: '1' }]],
    ['CONTAINS', []],
    ['NOT_CONTAINS', [{ N: '1' }, { N: '2' }]],
    ['BEGINS_WITH', [{ S: 'a' }, { S: 'b' }]],
    ['IN', []],
    ['BETWEEN', [{ N: '1' }]],
  ] as [string, AttributeValue[]][])('rejects a wrong argument count for %s', (operator, values) => {
    expectValidation(() => expectedToCondition(op('a', operator, values)), `${INVALID}Invalid number of argument(s) for the ${operator} ComparisonOperator`);
  });

  it('rejects mixed and unsupported types and reversed BETWEEN bounds', () => {
    expectValidation(
      () => expectedToCondition(op('a', 'IN', [{ N: '1' }, { S: '1' }])),
      `${INVALID}AttributeValues inside AttributeValueList must be of same type`,
    );
    expectValidation(() => expectedToCondition(op('a', 'BEGINS_WITH', [{ N: '3' }])), `${INVALID}ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type`);
    expectValidation(() => expectedToCondition(op('a', 'CONTAINS', [{ L: [{ N: '1' }] }])), `${INVALID}ComparisonOperator CONTAINS is not valid for L AttributeValue type`);
    expectValidation(() => expectedToCondition(op('a', 'LT', [{ SS: ['x'] }])), `${INVALID}ComparisonOperator LT is not valid for SS AttributeValue type`);
    expectValidation(
      () => expectedToCondition(op('a', 'BETWEEN', [{ N: '7' }, { N: '5' }])),
      'The BETWEEN condition was provided a range where the lower bound is greater than the upper bound',
    );
  });
});

describe('expectedToCondition: ConditionalOperator', () => {
  const two: ExpectedAttributes = { n: { Value: { N: '5' } }, s: { Value: { S: 'nope' } } };

  it('combines with AND by default, or OR', () => {
    expect(holds(two)).toBe(false);
    expect(holds(two, 'AND')).toBe(false);
    expect(holds(two, 'OR')).toBe(true);
    expect(expectedToCondition(two, 'OR')!.type).toBe('or');
    expect(holds({ ...two, x: { Exists: false } }, 'OR')).toBe(true);
  });

  it('requires two or more conditions', () => {
    expectValidation(() => expectedToCondition(undefined, 'AND'), 'ConditionalOperator cannot be used without Filter or Expected');
    expectValidation(
      () => expectedToCondition({ n: { Value: { N: '5' } } }, 'OR'),
      'ConditionalOperator can only be used when Filter or Expected has two or more elements',
    );
  });
});
