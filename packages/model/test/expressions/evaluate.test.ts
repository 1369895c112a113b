import { evaluateCondition, parseCondition } from '../../src/expressions';
import type { AttributeValue, Item } from '../../src/types';
import { ctx } from './helpers';

const item: Item = {
  n: { N: '5' },
  n2: { N: '5.0' },
  s: { S: 'abc' },
  emoji: { S: '\u{1F600}x' },
  b: { B: 'AQID' }, // 01 02 03
  t: { BOOL: true },
  nul: { NULL: true },
  l: { L: [{ S: 'ab' }, { N: '1' }, { M: { k: { S: 'v' } } }] },
  m: { M: { k: { S: 'v' }, nested: { M: { deep: { N: '7' } } } } },
  ss: { SS: ['x', 'y'] },
  ns: { NS: ['1', '2.5'] },
  bs: { BS: ['AQ==', 'Ag=='] },
};

const values: Record<string, AttributeValue> = {
  ':abc': { S: 'abc' },
  ':a': { S: 'a' },
  ':b': { S: 'b' },
  ':z': { S: 'z' },
  ':x': { S: 'x' },
  ':v': { S: 'v' },
  ':n5': { N: '5' },
  ':n5e0': { N: '5E0' },
  ':n7': { N: '7' },
  ':n3': { N: '3' },
  ':n2': { N: '2' },
  ':n1': { N: '1' },
  ':n25': { N: '2.50' },
  ':bin12': { B: 'AQI=' },
  ':bin2': { B: 'Ag==' },
  ':bin0102030': { B: 'AQIDAA==' },
  ':yes': { BOOL: true },
  ':null': { NULL: true },
  ':setxy': { SS: ['y', 'x'] },
  ':listab': { L: [{ S: 'ab' }, { N: '1' }, { M: { k: { S: 'v' } } }] },
  ':mapk': { M: { k: { S: 'v' } } },
  ':typeS': { S: 'S' },
  ':typeN': { S: 'N' },
  ':typeM': { S: 'M' },
  ':typeNULL': { S: 'NULL' },
};

const checkOn = (target: Item | undefined, text: string): boolean =>
  evaluateCondition(parseCondition('ConditionExpression', text, ctx({}, values)), target);
const check = (text: string): boolean => checkOn(item, text);

describe('evaluateCondition: comparisons', () => {
  it('compares numbers numerically', () => {
    expect(check('n = :n5')).toBe(true);
    expect(check('n = :n5e0')).toBe(true);
    expect(check('n2 = n')).toBe(true);
    expect(check('n < :n7')).toBe(true);
    expect(check('n <= :n5')).toBe(true);
    expect(check('n > :n7')).toBe(false);
    expect(check('n >= :n5')).toBe(true);
    expect(check('n <> :n7')).toBe(true);
    expect(check(':n7 > n')).toBe(true);
  });

  it('compares strings by UTF-8 bytes and binaries by unsigned bytes', () => {
    expect(check('s > :a')).toBe(true);
    expect(check('s < :b')).toBe(true);
    expect(check('emoji > :z')).toBe(true);
    expect(check('b > :bin12')).toBe(true);
    expect(check('b < :bin2')).toBe(true);
  });

  it('is false across types, and for absent attributes (<> is true)', () => {
    expect(check('n = :abc')).toBe(false);
    expect(check('n < :abc')).toBe(false);
    expect(check('n <> :abc')).toBe(true);
    expect(check('absent = :n5')).toBe(false);
    expect(check('absent < :n5')).toBe(false);
    expect(check('absent <> :n5')).toBe(true);
  });

  it('compares documents, sets, booleans and nulls for equality', () => {
    expect(check('t = :yes')).toBe(true);
    expect(check('nul = :null')).toBe(true);
    expect(check('ss = :setxy')).toBe(true);
    expect(check('l = :listab')).toBe(true);
    expect(check('l[2] = :mapk')).toBe(true);
    expect(check('m.k = :v')).toBe(true);
    expect(check('m.nested.deep = :n7')).toBe(true);
    expect(check('l[1] = :n1')).toBe(true);
    expect(check('l[7] = :n1')).toBe(false);
    expect(check('s.k = :v')).toBe(false);
  });

  it('evaluates BETWEEN inclusively and only within one type', () => {
    expect(check('n BETWEEN :n5 AND :n7')).toBe(true);
    expect(check('n BETWEEN :n1 AND :n5')).toBe(true);
    expect(check('n BETWEEN :n1 AND :n3')).toBe(false);
    expect(check('s BETWEEN :a AND :b')).toBe(true);
    expect(check('s BETWEEN :n1 AND :n3')).toBe(false);
    expect(check('absent BETWEEN :n1 AND :n3')).toBe(false);
  });

  it('evaluates IN', () => {
    expect(check('n IN (:n1, :n5)')).toBe(true);
    expect(check('n IN (:n1, :abc)')).toBe(false);
    expect(check('s IN (:abc)')).toBe(true);
    expect(check('absent IN (:abc)')).toBe(false);
    expect(check('ss IN (:setxy)')).toBe(true);
  });
});

describe('evaluateCondition: functions', () => {
  it('attribute_exists and attribute_not_exists', () => {
    expect(check('attribute_exists(n)')).toBe(true);
    expect(check('attribute_exists(m.nested.deep)')).toBe(true);
    expect(check('attribute_exists(l[2].k)')).toBe(true);
    expect(check('attribute_exists(l[3])')).toBe(false);
    expect(check('attribute_exists(nul)')).toBe(true);
    expect(check('attribute_not_exists(absent)')).toBe(true);
    expect(check('attribute_not_exists(m.k)')).toBe(false);
  });

  it('attribute_type', () => {
    expect(check('attribute_type(s, :typeS)')).toBe(true);
    expect(check('attribute_type(n, :typeN)')).toBe(true);
    expect(check('attribute_type(m, :typeM)')).toBe(true);
    expect(check('attribute_type(nul, :typeNULL)')).toBe(true);
    expect(check('attribute_type(n, :typeS)')).toBe(false);
    expect(check('attribute_type(absent, :typeS)')).toBe(false);
  });

  it('begins_with on strings and binaries', () => {
    expect(check('begins_with(s, :a)')).toBe(true);
    expect(check('begins_with(s, :abc)')).toBe(true);
    expect(check('begins_with(s, :b)')).toBe(false);
    expect(check('begins_with(b, :bin12)')).toBe(true);
    expect(check('begins_with(b, :bin2)')).toBe(false);
    expect(check('begins_with(b, :bin0102030)')).toBe(false);
    expect(check('begins_with(n, :a)')).toBe(false);
    expect(check('begins_with(absent, :a)')).toBe(false);
  });

  it('contains on strings, sets and lists', () => {
    expect(check('contains(s, :b)')).toBe(true);
    expect(check('contains(s, :z)')).toBe(false);
    expect(check('contains(ss, :x)')).toBe(true);
    expect(check('contains(ss, :z)')).toBe(false);
    expect(check('contains(ns, :n25)')).toBe(true);
    expect(check('contains(ns, :abc)')).toBe(false);
    expect(check('contains(bs, :bin2)')).toBe(true);
    expect(check('contains(l, :n1)')).toBe(true);
    expect(check('contains(l, :mapk)')).toBe(true);
    expect(check('contains(l, :abc)')).toBe(false);
    expect(check('contains(b, :bin2)')).toBe(true);
    expect(check('contains(n, :n5)')).toBe(false);
    expect(check('contains(absent, :a)')).toBe(false);
    expect(check('contains(s, m.k)')).toBe(false);
  });

  it('size of strings (UTF-8 bytes), binaries, sets, lists and maps', () => {
    expect(check('size(s) = :n3')).toBe(true);
    expect(check('size(emoji) = :n5')).toBe(true);
    expect(check('size(b) = :n3')).toBe(true);
    expect(check('size(ss) = :n2')).toBe(true);
    expect(check('size(l) = :n3')).toBe(true);
    expect(check('size(m) = :n2')).toBe(true);
    expect(check('size(m.nested) = :n1')).toBe(true);
    expect(check('size(n) = :n1')).toBe(false);
    expect(check('size(absent) = :n1')).toBe(false);
    expect(check('size(absent) <> :n1')).toBe(true);
    expect(check('size(s) BETWEEN :n1 AND :n3')).toBe(true);
    expect(check('size(:abc) = :n3')).toBe(true);
  });
});

describe('evaluateCondition: logic', () => {
  it('combines with AND, OR and NOT', () => {
    expect(check('n = :n5 AND s = :abc')).toBe(true);
    expect(check('n = :n7 OR s = :abc')).toBe(true);
    expect(check('n = :n7 OR s = :z AND n = :n5')).toBe(false);
    expect(check('(n = :n7 OR s = :abc) AND n = :n5')).toBe(true);
    expect(check('NOT n = :n7')).toBe(true);
    expect(check('NOT attribute_exists(absent)')).toBe(true);
    expect(check('NOT absent = :n1')).toBe(true);
  });

  it('treats a missing item as empty', () => {
    expect(checkOn(undefined, 'attribute_not_exists(n)')).toBe(true);
    expect(checkOn(undefined, 'attribute_exists(n)')).toBe(false);
    expect(checkOn(undefined, 'n <> :n5')).toBe(true);
    expect(checkOn(undefined, 'NOT n = :n5')).toBe(true);
  });

  it('evaluates a tree that went through JSON', () => {
    const tree = parseCondition('FilterExpression', 'size(l) > :n1 AND contains(ss, :x) AND m.k IN (:v, :a)', ctx({}, values));
    expect(evaluateCondition(JSON.parse(JSON.stringify(tree)), item)).toBe(true);
  });
});
