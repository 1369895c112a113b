import { parseProjection, projectItem } from '../../src/expressions';
import type { Item } from '../../src/types';
import { ctx, expectValidation } from './helpers';

const parse = (text: string) => parseProjection(text, ctx());
const invalid = (text: string, message: string) => expectValidation(() => parse(text), `Invalid ProjectionExpression: ${message}`);

describe('parseProjection', () => {
  it('parses a list of paths', () => {
    expect(parse('a, b.c[2], #n, #dot[0].#a')).toEqual([['a'], ['b', 'c', 2], ['name'], ['x.y', 0, 'a']]);
    expect(parse('  a  ')).toEqual([['a']]);
  });

  it('reports syntax errors', () => {
    invalid('a,', 'Syntax error; token: "<EOF>", near: ","');
    invalid('a b', 'Syntax error; token: "b", near: "a b"');
    invalid('l[a]', 'Syntax error; token: "a", near: "[a]"');
    invalid('l[]', 'Syntax error; token: "]", near: "[]"');
    invalid(':v', 'Syntax error; token: ":v", near: ":v"');
    invalid('my-attr', 'Syntax error; token: "-", near: "my-attr"');
    invalid('size(a)', 'Syntax error; token: "(", near: "size(a"');
  });

  it('reports semantic errors by priority', () => {
    invalid('', 'The expression can not be empty;');
    invalid('name', 'Attribute name is a reserved keyword; reserved keyword: name');
    invalid('#x, name', 'Attribute name is a reserved keyword; reserved keyword: name');
    invalid('#x', 'An expression attribute name used in the document path is not defined; attribute name: #x');
    invalid('a, a', 'Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]');
    invalid('a.b, a', 'Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]');
    invalid('a[0], a.b', 'Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]');
    invalid('a[0], a.b, c, c.d', 'Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [c], path two: [c, d]');
    invalid('l[99999999999]', 'List index is not within the allowable range; index: 99999999999');
    const text = Array.from({ length: 800 }, (_, i) => `a${i}`).join(', ');
    invalid(text, `Expression size has exceeded the maximum allowed size; expression size: ${text.length}`);
  });

  it('does not count values', () => {
    const c = ctx();
    parseProjection('#n', c);
    expect(c.unusedNames()).not.toContain('#n');
    expect(c.unusedValues()).toContain(':one');
  });
});

describe('projectItem', () => {
  const item: Item = {
    a: { S: 'a' },
    b: { N: '1' },
    m: { M: { x: { S: 'x' }, y: { M: { z: { N: '2' }, w: { N: '3' } } }, l: { L: [{ N: '0' }, { N: '1' }] } } },
    l: { L: [{ S: 'l0' }, { M: { k: { S: 'v' }, j: { S: 'u' } } }, { S: 'l2' }, { L: [{ S: 'deep' }] }] },
  };
  const project = (text: string) => projectItem(item, parse(text));

  it('keeps top-level attributes', () => {
    expect(project('a, b, nope')).toEqual({ a: { S: 'a' }, b: { N: '1' } });
  });

  it('keeps nested map paths as nested maps', () => {
    expect(project('m.x, m.y.z')).toEqual({ m: { M: { x: { S: 'x' }, y: { M: { z: { N: '2' } } } } } });
    expect(project('m.y')).toEqual({ m: { M: { y: { M: { z: { N: '2' }, w: { N: '3' } } } } } });
  });

  it('packs list elements in index order', () => {
    expect(project('l[2], l[0]')).toEqual({ l: { L: [{ S: 'l0' }, { S: 'l2' }] } });
    expect(project('l[1].k, l[3][0], l[9]')).toEqual({ l: { L: [{ M: { k: { S: 'v' } } }, { L: [{ S: 'deep' }] }] } });
    expect(project('m.l[1]')).toEqual({ m: { M: { l: { L: [{ N: '1' }] } } } });
  });

  it('omits paths that do not exist, without empty containers', () => {
    expect(projectItem(item, [['m', 'nope'], ['l', 7], ['a', 'b'], ['m', 0], ['l', 'k']])).toEqual({});
    expect(project('m.nope, a')).toEqual({ a: { S: 'a' } });
  });

  it('copies values rather than sharing them', () => {
    const projected = project('m');
    (projected.m as { M: Record<string, unknown> }).M.x = { S: 'changed' };
    expect(item.m).toEqual({ M: { x: { S: 'x' }, y: { M: { z: { N: '2' }, w: { N: '3' } } }, l: { L: [{ N: '0' }, { N: '1' }] } } });
  });
});
