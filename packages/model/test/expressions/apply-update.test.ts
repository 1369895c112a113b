import { applyUpdate, parseUpdate, projectUpdated, updatedAttributeNames } from '../../src/expressions';
import type { Item } from '../../src/types';
import { ctx, expectValidation } from './helpers';

const update = (text: string, item: Item | undefined) => applyUpdate(parseUpdate(text, ctx()), item);
const apply = (text: string, item: Item | undefined): Item => update(text, item).item;

const INVALID_PATH = 'The document path provided in the update expression is invalid for update';
const BAD_TYPE = 'An operand in the update expression has an incorrect data type';
const MISSING = 'The provided expression refers to an attribute that does not exist in the item';

const base = (): Item => ({
  pk: { S: 'k' },
  n: { N: '5' },
  s: { S: 'str' },
  l: { L: [{ S: 'x' }, { S: 'y' }, { S: 'z' }] },
  m: { M: { k: { S: 'v' }, nest: { M: { deep: { N: '1' } } }, arr: { L: [{ N: '1' }, { N: '2' }] } } },
  ss: { SS: ['x', 'y'] },
  ns: { NS: ['1', '2'] },
  bs: { BS: ['AQ==', 'Ag=='] },
});

describe('applyUpdate: SET', () => {
  it('sets top-level attributes, creating the item if needed', () => {
    expect(apply('SET a = :one, b = :s', undefined)).toEqual({ a: { N: '1' }, b: { S: 'ab' } });
    expect(apply('SET n = :ten', base()).n).toEqual({ N: '10' });
  });

  it('does not modify its input', () => {
    const item = base();
    const before = JSON.parse(JSON.stringify(item));
    apply('SET m.k = :one, l[0] = :one REMOVE m.nest ADD ns :ns DELETE ss :ss', item);
    expect(item).toEqual(before);
  });

  it('adds and subtracts numbers exactly', () => {
    expect(apply('SET n = n + :one', base()).n).toEqual({ N: '6' });
    expect(apply('SET n = n - :ten', base()).n).toEqual({ N: '-5' });
    expect(apply('SET x = :one + :ten', base()).x).toEqual({ N: '11' });
    const big = ctx({}, { ':big': { N: '9999999999999999999999999999999999999' }, ':tiny': { N: '0.1' } });
    expect(applyUpdate(parseUpdate('SET a = :big - :tiny', big), {}).item.a).toEqual({
      N: '9999999999999999999999999999999999998.9',
    });
  });

  it('reads every operand from the item as it was', () => {
    const item = { a: { N: '1' }, b: { N: '2' } };
    expect(apply('SET a = b, b = a', item)).toEqual({ a: { N: '2' }, b: { N: '1' } });
  });

  it('supports if_not_exists', () => {
    expect(apply('SET n = if_not_exists(n, :zero) + :one', base()).n).toEqual({ N: '6' });
    expect(apply('SET c = if_not_exists(c, :zero) + :one', base()).c).toEqual({ N: '1' });
    expect(apply('SET c = if_not_exists(m.k, :zero)', base()).c).toEqual({ S: 'v' });
  });

  it('supports list_append in both orders', () => {
    expect(apply('SET l = list_append(l, :l)', base()).l).toEqual({ L: [{ S: 'x' }, { S: 'y' }, { S: 'z' }, { N: '1' }] });
    expect(apply('SET l = list_append(:l, l)', base()).l).toEqual({ L: [{ N: '1' }, { S: 'x' }, { S: 'y' }, { S: 'z' }] });
    expect(apply('SET c = list_append(if_not_exists(c, :l), :l)', base()).c).toEqual({ L: [{ N: '1' }, { N: '1' }] });
  });

  it('sets nested map keys and list elements', () => {
    const item = apply('SET m.k = :one, m.nest.deep = :ten, m.newKey = :s, m.arr[0] = :s', base());
    expect(item.m).toEqual({
      M: {
        k: { N: '1' },
        nest: { M: { deep: { N: '10' } } },
        arr: { L: [{ S: 'ab' }, { N: '2' }] },
        newKey: { S: 'ab' },
      },
    });
  });

  it('appends past the end of a list, in index order', () => {
    expect(apply('SET l[10] = :one', base()).l).toEqual({ L: [{ S: 'x' }, { S: 'y' }, { S: 'z' }, { N: '1' }] });
    expect(apply('SET l[9] = :ten, l[5] = :five', base()).l).toEqual({
      L: [{ S: 'x' }, { S: 'y' }, { S: 'z' }, { N: '5' }, { N: '10' }],
    });
    expect(apply('SET l[3] = :ten, l[1] = :one', base()).l).toEqual({
      L: [{ S: 'x' }, { N: '1' }, { S: 'z' }, { N: '10' }],
    });
  });

  it('rejects paths whose parent is missing or of the wrong kind', () => {
    expectValidation(() => apply('SET nope.k = :one', base()), INVALID_PATH);
    expectValidation(() => apply('SET m.nope.k = :one', base()), INVALID_PATH);
    expectValidation(() => apply('SET s.k = :one', base()), INVALID_PATH);
    expectValidation(() => apply('SET m[0] = :one', base()), INVALID_PATH);
    expectValidation(() => apply('SET l.k = :one', base()), INVALID_PATH);
    expectValidation(() => apply('SET l[5].k = :one', base()), INVALID_PATH);
    expectValidation(() => apply('SET a.b = :one', undefined), INVALID_PATH);
  });

  it('rejects operands of the wrong type and missing operands', () => {
    expectValidation(() => apply('SET n = s + :one', base()), BAD_TYPE);
    expectValidation(() => apply('SET n = :one - s', base()), BAD_TYPE);
    expectValidation(() => apply('SET l = list_append(l, s)', base()), BAD_TYPE);
    expectValidation(() => apply('SET l = list_append(n, l)', base()), BAD_TYPE);
    expectValidation(() => apply('SET n = nope', base()), MISSING);
    expectValidation(() => apply('SET n = nope + :one', base()), MISSING);
    expectValidation(() => apply('SET n = m.nope', base()), MISSING);
    expectValidation(() => apply('SET n = l[7]', base()), MISSING);
  });

  it('reports overflow from arithmetic', () => {
    const c = ctx({}, { ':huge': { N: '9.9999999999999999999999999999999999999E+125' } });
    expect(() => applyUpdate(parseUpdate('SET a = :huge + :huge', c), {})).toThrow(/overflow/i);
  });
});

describe('applyUpdate: REMOVE', () => {
  it('removes attributes, map keys and list elements', () => {
    const item = apply('REMOVE s, m.k, m.arr[0], nope', base());
    expect(item.s).toBeUndefined();
    expect(item.m).toEqual({ M: { nest: { M: { deep: { N: '1' } } }, arr: { L: [{ N: '2' }] } } });
  });

  it('removes list elements by their original indices', () => {
    expect(apply('REMOVE l[0], l[2]', base()).l).toEqual({ L: [{ S: 'y' }] });
    expect(apply('REMOVE l[2], l[0]', base()).l).toEqual({ L: [{ S: 'y' }] });
    expect(apply('REMOVE l[1], l[9]', base()).l).toEqual({ L: [{ S: 'x' }, { S: 'z' }] });
    expect(apply('SET l[1] = :one REMOVE l[0]', base()).l).toEqual({ L: [{ N: '1' }, { S: 'z' }] });
  });

  it('removes elements inside list elements found by original index', () => {
    const item: Item = { l: { L: [{ M: { a: { N: '1' } } }, { M: { a: { N: '2' }, b: { N: '3' } } }] } };
    expect(apply('REMOVE l[0], l[1].a', item).l).toEqual({ L: [{ M: { b: { N: '3' } } }] });
  });

  it('rejects removal under a missing or non-document parent', () => {
    expectValidation(() => apply('REMOVE nope.k', base()), INVALID_PATH);
    expectValidation(() => apply('REMOVE s.k', base()), INVALID_PATH);
    expectValidation(() => apply('REMOVE m[1]', base()), INVALID_PATH);
  });
});

describe('applyUpdate: ADD and DELETE', () => {
  it('adds to numbers and creates missing ones', () => {
    expect(apply('ADD n :one', base()).n).toEqual({ N: '6' });
    expect(apply('ADD c :ten', base()).c).toEqual({ N: '10' });
    expect(apply('ADD m.nest.deep :ten', base()).m).toMatchObject({ M: { nest: { M: { deep: { N: '11' } } } } });
    expect(apply('ADD m.fresh :one', base()).m).toMatchObject({ M: { fresh: { N: '1' } } });
  });

  it('unions sets and creates missing ones', () => {
    const c = ctx({}, { ':more': { SS: ['y', 'z'] }, ':nums': { NS: ['2.0', '3'] }, ':bins': { BS: ['Ag==', 'Aw=='] } });
    const item = applyUpdate(parseUpdate('ADD ss :more, ns :nums, bs :bins, fresh :more', c), base()).item;
    expect(item.ss).toEqual({ SS: ['x', 'y', 'z'] });
    expect(item.ns).toEqual({ NS: ['1', '2', '3'] });
    expect(item.bs).toEqual({ BS: ['AQ==', 'Ag==', 'Aw=='] });
    expect(item.fresh).toEqual({ SS: ['y', 'z'] });
  });

  it('rejects ADD to a value of another type', () => {
    expectValidation(() => apply('ADD s :one', base()), BAD_TYPE);
    expectValidation(() => apply('ADD ss :one', base()), BAD_TYPE);
    expectValidation(() => apply('ADD n :ss', base()), BAD_TYPE);
    expectValidation(() => apply('ADD ns :ss', base()), BAD_TYPE);
    expectValidation(() => apply('ADD nope.k :one', base()), INVALID_PATH);
  });

  it('deletes from sets, removing emptied attributes', () => {
    const c = ctx({}, { ':x': { SS: ['x', 'q'] }, ':all': { SS: ['x', 'y'] }, ':one1': { NS: ['1.00'] } });
    const item = applyUpdate(parseUpdate('DELETE ss :x, ns :one1', c), base()).item;
    expect(item.ss).toEqual({ SS: ['y'] });
    expect(item.ns).toEqual({ NS: ['2'] });
    expect(applyUpdate(parseUpdate('DELETE ss :all', c), base()).item.ss).toBeUndefined();
    expect(applyUpdate(parseUpdate('DELETE nope :all', c), base()).item).toEqual(base());
  });

  it('rejects DELETE from a value of another type', () => {
    expectValidation(() => apply('DELETE ns :ss', base()), BAD_TYPE);
    expectValidation(() => apply('DELETE s :ss', base()), BAD_TYPE);
    expectValidation(() => apply('DELETE nope.k :ss', base()), INVALID_PATH);
  });
});

describe('applyUpdate: what changed', () => {
  it('lists the updated paths and top-level names', () => {
    const tree = parseUpdate('SET a = :one, m.k = :s REMOVE l[0] ADD n :one DELETE ss :ss', ctx());
    const result = applyUpdate(tree, base());
    expect(result.updatedPaths).toEqual([['a'], ['m', 'k'], ['l', 0], ['n'], ['ss']]);
    expect(result.updatedNames).toEqual(['a', 'm', 'l', 'n', 'ss']);
    expect(updatedAttributeNames(tree)).toEqual(['a', 'm', 'l', 'n', 'ss']);
  });

  it('projects the updated parts of an item (UPDATED_OLD / UPDATED_NEW)', () => {
    const tree = parseUpdate('SET m.k = :s, a = :one REMOVE s', ctx());
    const before = base();
    const after = applyUpdate(tree, before).item;
    expect(projectUpdated(before, tree)).toEqual({ m: { M: { k: { S: 'v' } } }, s: { S: 'str' } });
    expect(projectUpdated(after, tree)).toEqual({ m: { M: { k: { S: 'ab' } } }, a: { N: '1' } });
    expect(projectUpdated(undefined, tree)).toEqual({});
  });
});
