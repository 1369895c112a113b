import {
  assertAllUsed,
  createExpressionContext,
  parseCondition,
  parseProjection,
  parseUpdate,
  validateExpressionAttributeKeys,
} from '../../src/expressions';
import { expectValidation } from './helpers';

describe('ExpressionContext', () => {
  it('tracks use across several expressions of one request', () => {
    const ctx = createExpressionContext({ '#a': 'a', '#b': 'b', '#c': 'c' }, { ':x': { N: '1' }, ':y': { N: '2' } });
    parseCondition('ConditionExpression', '#a = :x', ctx);
    expect(ctx.unusedNames()).toEqual(['#b', '#c']);
    parseUpdate('SET #b = :y', ctx);
    parseProjection('#c', ctx);
    expect(() => assertAllUsed(ctx)).not.toThrow();
  });

  it('reports unused names before unused values, in definition order', () => {
    const ctx = createExpressionContext({ '#a': 'a', '#b': 'b', '#c': 'c' }, { ':a': { N: '1' }, ':b': { N: '2' }, ':c': { N: '3' } });
    parseCondition('ConditionExpression', '#b = :b', ctx);
    expectValidation(() => assertAllUsed(ctx), 'Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #c}');
    parseCondition('FilterExpression', '#a = #c', ctx);
    expectValidation(() => assertAllUsed(ctx), 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:a, :c}');
  });

  it('works without names or values', () => {
    const ctx = createExpressionContext();
    parseCondition('ConditionExpression', 'attribute_exists(a)', ctx);
    expect(() => assertAllUsed(ctx)).not.toThrow();
  });

  it('does not resolve inherited properties', () => {
    const ctx = createExpressionContext({}, {});
    expectValidation(
      () => parseCondition('ConditionExpression', '#constructor = :toString', ctx),
      'Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #constructor',
    );
  });

  it('names the expression kind in placeholder errors', () => {
    const ctx = createExpressionContext();
    expectValidation(
      () => parseCondition('FilterExpression', 'a = :v', ctx),
      'Invalid FilterExpression: An expression attribute value used in expression is not defined; attribute value: :v',
    );
    expectValidation(
      () => parseProjection('#p', ctx),
      'Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #p',
    );
    expectValidation(
      () => parseUpdate('SET a = :v', ctx),
      'Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :v',
    );
  });
});

describe('validateExpressionAttributeKeys', () => {
  it('accepts well-formed maps', () => {
    expect(() => validateExpressionAttributeKeys({ '#a_1': 'x' }, { ':B2': { S: 'x' } })).not.toThrow();
    expect(() => validateExpressionAttributeKeys(undefined, undefined)).not.toThrow();
  });

  it('rejects empty maps and malformed keys', () => {
    expectValidation(() => validateExpressionAttributeKeys({}, undefined), 'ExpressionAttributeNames must not be empty');
    expectValidation(() => validateExpressionAttributeKeys(undefined, {}), 'ExpressionAttributeValues must not be empty');
    expectValidation(() => validateExpressionAttributeKeys({ a: 'x' }, undefined), 'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"');
    expectValidation(() => validateExpressionAttributeKeys({ '#': 'x' }, undefined), 'ExpressionAttributeNames contains invalid key: Syntax error; key: "#"');
    expectValidation(() => validateExpressionAttributeKeys(undefined, { ':a-b': { S: 'x' } }), 'ExpressionAttributeValues contains invalid key: Syntax error; key: ":a-b"');
  });
});
