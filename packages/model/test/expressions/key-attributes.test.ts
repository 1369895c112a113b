import {
  assertFilterAvoidsKey,
  assertKeyPathsScalar,
  assertUpdateSparesKey,
  conditionPaths,
  parseCondition,
  parseProjection,
  parseUpdate,
  topLevelNames,
  updatePaths,
} from '../../src/expressions';
import type { KeySchema } from '../../src/types';
import { ctx, expectValidation } from './helpers';

const schema: KeySchema = { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'N' } };

describe('key attribute checks', () => {
  it('lists the paths a condition reads', () => {
    const tree = parseCondition('FilterExpression', 'a.b = :one AND (size(c[1]) > d OR NOT attribute_exists(e)) AND f IN (g, :one) AND begins_with(h, i) AND contains(j, k) AND l BETWEEN m AND n AND attribute_type(o, :typeS)', ctx());
    expect(topLevelNames(conditionPaths(tree))).toEqual(['a', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o']);
  });

  it('lists the paths an update touches or reads', () => {
    const tree = parseUpdate('SET a = b + :one, c = if_not_exists(d, e), f = list_append(g, h) REMOVE j ADD k :one DELETE l :ss', ctx());
    expect(topLevelNames(updatePaths(tree))).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'j', 'k', 'l']);
  });

  it('rejects updates of key attributes', () => {
    expectValidation(
      () => assertUpdateSparesKey(parseUpdate('SET a = :one, pk = :s', ctx()), schema),
      'One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key',
    );
    expectValidation(
      () => assertUpdateSparesKey(parseUpdate('REMOVE sk', ctx()), schema),
      'One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key',
    );
    expectValidation(
      () => assertUpdateSparesKey(parseUpdate('ADD pk.x :one', ctx()), schema),
      'One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key',
    );
    expect(() => assertUpdateSparesKey(parseUpdate('SET a = pk', ctx()), schema)).not.toThrow();
  });

  it('rejects filters on key attributes, partition key first', () => {
    expectValidation(
      () => assertFilterAvoidsKey(parseCondition('FilterExpression', 'sk > :one AND size(pk) > :one', ctx()), schema),
      'Filter Expression can only contain non-primary key attributes: Primary key attribute: pk',
    );
    expectValidation(
      () => assertFilterAvoidsKey(parseCondition('FilterExpression', 'a = :one OR sk > :one', ctx()), schema),
      'Filter Expression can only contain non-primary key attributes: Primary key attribute: sk',
    );
    expect(() => assertFilterAvoidsKey(parseCondition('FilterExpression', 'a = :one', ctx()), schema)).not.toThrow();
  });

  it('rejects paths into key attributes', () => {
    expectValidation(
      () => assertKeyPathsScalar(parseProjection('a, pk.x', ctx()), ['pk', 'sk']),
      "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk",
    );
    expectValidation(
      () => assertKeyPathsScalar(parseProjection('gsk[0]', ctx()), ['gpk', 'gsk'], 'IndexKey'),
      "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: gsk",
    );
    expect(() => assertKeyPathsScalar(parseProjection('pk, sk, a.b', ctx()), ['pk', 'sk'])).not.toThrow();
  });
});
