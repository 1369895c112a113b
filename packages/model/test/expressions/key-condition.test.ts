import { checkStartKeyInBounds, extractKeyCondition, parseKeyCondition, sortKeyMatches } from '../../src/expressions';
import type { KeySchema } from '../../src/types';
import { ctx, expectValidation } from './helpers';

const composite: KeySchema = { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'N' } };
const hashOnly: KeySchema = { partitionKey: { name: 'pk', type: 'S' } };
const values = { ':p': { S: 'q' }, ':lo': { N: '1' }, ':hi': { N: '9' }, ':str': { S: 'a' }, ':bin': { B: 'AQ==' }, ':l': { L: [] }, ':t': { BOOL: true } };

const extract = (text: string, schema: KeySchema = composite) =>
  extractKeyCondition(parseKeyCondition(text, ctx({ '#pk': 'pk', '#sk': 'sk' }, values)), schema);
const invalid = (text: string, message: string, schema: KeySchema = composite) => expectValidation(() => extract(text, schema), message);

describe('extractKeyCondition', () => {
  it('takes the partition key alone', () => {
    expect(extract('pk = :p')).toEqual({ partitionValue: { S: 'q' } });
    expect(extract('#pk = :p', hashOnly)).toEqual({ partitionValue: { S: 'q' } });
    expect(extract(':p = pk')).toEqual({ partitionValue: { S: 'q' } });
  });

  it('takes every sort key operator', () => {
    const cases: [string, string, unknown[]][] = [
      ['sk = :lo', 'EQ', [{ N: '1' }]],
      ['sk < :lo', 'LT', [{ N: '1' }]],
      ['sk <= :lo', 'LE', [{ N: '1' }]],
      ['sk > :lo', 'GT', [{ N: '1' }]],
      ['sk >= :lo', 'GE', [{ N: '1' }]],
      ['sk BETWEEN :lo AND :hi', 'BETWEEN', [{ N: '1' }, { N: '9' }]],
      [':lo < sk', 'GT', [{ N: '1' }]],
      [':lo >= #sk', 'LE', [{ N: '1' }]],
    ];
    for (const [condition, op, vals] of cases) {
      expect(extract(`pk = :p AND ${condition}`)).toEqual({ partitionValue: { S: 'q' }, sortCondition: { op, values: vals } });
      expect(extract(`${condition} AND pk = :p`)).toEqual({ partitionValue: { S: 'q' }, sortCondition: { op, values: vals } });
    }
    const strings: KeySchema = { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'S' } };
    expect(extract('pk = :p AND begins_with(sk, :str)', strings)).toEqual({
      partitionValue: { S: 'q' },
      sortCondition: { op: 'BEGINS_WITH', values: [{ S: 'a' }] },
    });
    expect(extract('(pk = :p) AND (sk > :lo)')).toMatchObject({ sortCondition: { op: 'GT' } });
  });

  it('rejects operators a key condition cannot use', () => {
    invalid('pk = :p OR sk = :lo', 'Invalid operator used in KeyConditionExpression: OR');
    invalid('NOT pk = :p', 'Invalid operator used in KeyConditionExpression: NOT');
    invalid('pk IN (:p)', 'Invalid operator used in KeyConditionExpression: IN');
    invalid('pk = :p AND sk <> :lo', 'Invalid operator used in KeyConditionExpression: <>');
    invalid('pk = :p AND attribute_exists(sk)', 'Invalid operator used in KeyConditionExpression: attribute_exists');
    invalid('pk = :p AND attribute_not_exists(sk)', 'Invalid operator used in KeyConditionExpression: attribute_not_exists');
    invalid('pk = :p AND contains(sk, :lo)', 'Invalid operator used in KeyConditionExpression: contains');
    invalid('pk = :p AND (sk = :lo OR sk = :hi)', 'Invalid operator used in KeyConditionExpression: OR');
  });

  it('rejects malformed conditions', () => {
    invalid('pk = :p AND :lo BETWEEN sk AND :hi', 'Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand');
    invalid('pk = :p AND begins_with(:str, sk)', 'Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand');
    invalid('pk = sk', 'Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition');
    invalid(':p = :str', 'Invalid condition in KeyConditionExpression: No key attribute specified');
    invalid('pk.a = :p', 'Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes');
    invalid('pk = :p AND sk[0] = :lo', 'Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes');
    invalid('pk = :p AND size(sk) = :lo', 'Invalid KeyConditionExpression: KeyConditionExpressions cannot contain nested operations');
    invalid('pk = :p AND sk > :lo AND sk < :hi', 'Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key');
    invalid('pk = :p AND pk = :p', 'Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key');
  });

  it('rejects operand types no key could have, at parse time', () => {
    expectValidation(
      () => parseKeyCondition('pk = :p AND begins_with(sk, :lo)', ctx({}, values)),
      'Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N',
    );
    expectValidation(
      () => parseKeyCondition('pk = :p AND sk < :t', ctx({}, values)),
      'Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: BOOL',
    );
    expectValidation(
      () => parseKeyCondition('pk = :p AND :t >= sk', ctx({}, values)),
      'Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: >=, operand type: BOOL',
    );
    expectValidation(
      () => parseKeyCondition('pk = :p AND sk BETWEEN :t AND :t', ctx({}, values)),
      'Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: BOOL',
    );
  });

  it('checks the conditions against the key schema', () => {
    invalid('pk = :p AND sk > :lo AND extra = :hi', 'The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)');
    invalid('pk = :p AND sk > :lo', 'The number of query conditions (2) exceeds the number of key attributes defined in the schema (1)', hashOnly);
    invalid('sk = :lo', 'Query condition missed key schema element: pk');
    invalid('extra = :p', 'Query condition missed key schema element: pk');
    invalid('pk = :p AND extra = :lo', 'Query condition missed key schema element: sk');
    invalid('pk > :p', 'Query key condition not supported');
    invalid('begins_with(pk, :p)', 'Query key condition not supported');
    invalid('pk = :lo', 'One or more parameter values were invalid: Condition parameter type does not match schema type');
    invalid('pk = :p AND sk = :str', 'One or more parameter values were invalid: Condition parameter type does not match schema type');
    invalid('pk = :p AND sk = :t', 'One or more parameter values were invalid: Condition parameter type does not match schema type');
    invalid('pk = :p AND sk = :l', 'One or more parameter values were invalid: Condition parameter type does not match schema type');
    invalid('pk = :p AND begins_with(sk, :str)', 'One or more parameter values were invalid: Condition parameter type does not match schema type');
    invalid('pk = :p AND sk BETWEEN :lo AND :str', 'Invalid KeyConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}');
    invalid('pk = :p AND sk BETWEEN :hi AND :lo', 'Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:9}, upper bound operand: AttributeValue: {N:1}');
  });
});

describe('checkStartKeyInBounds', () => {
  const schema = { partitionKey: { name: 'pk', type: 'S' as const }, sortKey: { name: 'sk', type: 'N' as const } };
  const start = (pk: string, sk: string) => ({ pk: { S: pk }, sk: { N: sk } });

  it('accepts a start key inside the condition', () => {
    expect(() => checkStartKeyInBounds(start('a', '5'), schema, { partitionValue: { S: 'a' } })).not.toThrow();
    expect(() => checkStartKeyInBounds(start('a', '5'), schema, { partitionValue: { S: 'a' }, sortCondition: { op: 'BETWEEN', values: [{ N: '1' }, { N: '9' }] } })).not.toThrow();
  });

  it("refuses one outside, with DynamoDB's messages", () => {
    expect(() => checkStartKeyInBounds(start('b', '5'), schema, { partitionValue: { S: 'a' } })).toThrow(
      'The provided starting key is outside query boundaries based on provided conditions',
    );
    expect(() => checkStartKeyInBounds(start('a', '5'), schema, { partitionValue: { S: 'a' }, sortCondition: { op: 'GT', values: [{ N: '5' }] } })).toThrow(
      'The provided starting key does not match the range key predicate',
    );
    expect(() => checkStartKeyInBounds(start('b', '6'), schema, { partitionValue: { S: 'a' }, sortCondition: { op: 'GT', values: [{ N: '5' }] } })).toThrow(
      'The query can return at most one row and cannot be restarted',
    );
  });
});

describe('sortKeyMatches', () => {
  it('matches every operator', () => {
    const n = (v: string) => ({ N: v });
    expect(sortKeyMatches({ op: 'EQ', values: [n('2')] }, n('2.0'))).toBe(true);
    expect(sortKeyMatches({ op: 'LT', values: [n('2')] }, n('2'))).toBe(false);
    expect(sortKeyMatches({ op: 'LE', values: [n('2')] }, n('2'))).toBe(true);
    expect(sortKeyMatches({ op: 'GE', values: [n('2')] }, n('1'))).toBe(false);
    expect(sortKeyMatches({ op: 'BEGINS_WITH', values: [{ S: 'ab' }] }, { S: 'abc' })).toBe(true);
    expect(sortKeyMatches({ op: 'BEGINS_WITH', values: [{ B: Buffer.from('ab').toString('base64') }] }, { B: Buffer.from('ac').toString('base64') })).toBe(false);
  });
});
