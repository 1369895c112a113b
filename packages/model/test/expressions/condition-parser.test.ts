import { parseCondition, type Condition } from '../../src/expressions';
import { ctx, expectValidation } from './helpers';

const parse = (text: string, kind: 'ConditionExpression' | 'FilterExpression' = 'ConditionExpression'): Condition =>
  parseCondition(kind, text, ctx());
const P = (...path: (string | number)[]) => ({ type: 'path' as const, path });
const V = (value: unknown) => ({ type: 'value' as const, value });

describe('condition parser: structure', () => {
  it('parses comparisons with every comparator', () => {
    for (const op of ['=', '<>', '<', '<=', '>', '>=']) {
      expect(parse(`a ${op} :one`)).toEqual({ type: 'compare', op, left: P('a'), right: V({ N: '1' }) });
    }
    expect(parse('a<=:one')).toEqual({ type: 'compare', op: '<=', left: P('a'), right: V({ N: '1' }) });
  });

  it('parses document paths with maps, lists and placeholders', () => {
    expect(parse('a.b[3].c = :one')).toMatchObject({ left: P('a', 'b', 3, 'c') });
    expect(parse('#n[0][1] = :one')).toMatchObject({ left: P('name', 0, 1) });
    expect(parse('#dot.#n = :one')).toMatchObject({ left: P('x.y', 'name') });
    expect(parse('a . b [ 2 ] = :one')).toMatchObject({ left: P('a', 'b', 2) });
    expect(parse('_private = :one')).toMatchObject({ left: P('_private') });
  });

  it('gives AND precedence over OR and NOT over AND', () => {
    expect(parse('a = :one OR b = :one AND c = :one')).toEqual({
      type: 'or',
      left: { type: 'compare', op: '=', left: P('a'), right: V({ N: '1' }) },
      right: {
        type: 'and',
        left: { type: 'compare', op: '=', left: P('b'), right: V({ N: '1' }) },
        right: { type: 'compare', op: '=', left: P('c'), right: V({ N: '1' }) },
      },
    });
    expect(parse('NOT a = :one AND b = :one')).toMatchObject({ type: 'and', left: { type: 'not' } });
    expect(parse('NOT (a = :one AND b = :one)')).toMatchObject({ type: 'not', condition: { type: 'and' } });
    expect(parse('NOT NOT attribute_exists(a)')).toEqual({
      type: 'not',
      condition: { type: 'not', condition: { type: 'attribute_exists', path: ['a'] } },
    });
  });

  it('associates AND and OR to the left', () => {
    expect(parse('a = :one AND b = :one AND c = :one')).toMatchObject({
      type: 'and',
      left: { type: 'and', left: { left: P('a') }, right: { left: P('b') } },
      right: { left: P('c') },
    });
  });

  it('honours parentheses', () => {
    expect(parse('(a = :one OR b = :one) AND c = :one')).toMatchObject({ type: 'and', left: { type: 'or' } });
    expect(parse('(a) = (:one)')).toEqual({ type: 'compare', op: '=', left: P('a'), right: V({ N: '1' }) });
  });

  it('keywords are case-insensitive', () => {
    expect(parse('a between :one and :five or not b in (:one)')).toMatchObject({
      type: 'or',
      left: { type: 'between' },
      right: { type: 'not', condition: { type: 'in' } },
    });
  });

  it('parses BETWEEN, binding its AND before the logical AND', () => {
    expect(parse('a BETWEEN :one AND :five AND b = :one')).toEqual({
      type: 'and',
      left: { type: 'between', operand: P('a'), low: V({ N: '1' }), high: V({ N: '5' }) },
      right: { type: 'compare', op: '=', left: P('b'), right: V({ N: '1' }) },
    });
  });

  it('parses IN lists', () => {
    expect(parse('a IN (:one, :five, b)')).toEqual({
      type: 'in',
      operand: P('a'),
      list: [V({ N: '1' }), V({ N: '5' }), P('b')],
    });
  });

  it('parses every function', () => {
    expect(parse('attribute_exists(a.b)')).toEqual({ type: 'attribute_exists', path: ['a', 'b'] });
    expect(parse('attribute_not_exists(#n)')).toEqual({ type: 'attribute_not_exists', path: ['name'] });
    expect(parse('attribute_type(a, :typeS)')).toEqual({ type: 'attribute_type', path: ['a'], attributeType: 'S' });
    expect(parse('begins_with(a, :s)')).toEqual({ type: 'begins_with', operand: P('a'), prefix: V({ S: 'ab' }) });
    expect(parse('contains(a, :s)')).toEqual({ type: 'contains', operand: P('a'), value: V({ S: 'ab' }) });
    expect(parse('size(a) > :one')).toEqual({
      type: 'compare',
      op: '>',
      left: { type: 'size', operand: P('a') },
      right: V({ N: '1' }),
    });
    expect(parse('size(a) BETWEEN size(b) AND :five')).toMatchObject({ type: 'between', low: { type: 'size' } });
    expect(parse('contains(a, size(b))')).toMatchObject({ value: { type: 'size' } });
    expect(parse('a IN (size(b))')).toMatchObject({ list: [{ type: 'size' }] });
  });

  it('produces plain JSON', () => {
    const tree = parse('a.b[1] = :m AND contains(c, :bs) OR NOT attribute_type(d, :typeS)');
    expect(JSON.parse(JSON.stringify(tree))).toEqual(tree);
  });

  it('accepts 100 IN operands', () => {
    const values: Record<string, { N: string }> = {};
    const names = Array.from({ length: 100 }, (_, i) => `:v${i}`);
    names.forEach((n, i) => (values[n] = { N: String(i) }));
    const tree = parseCondition('ConditionExpression', `a IN (${names.join(',')})`, ctx({}, values));
    expect(tree).toMatchObject({ type: 'in' });
  });

  it('parses deeply nested parentheses without overflowing', () => {
    // 149 levels, 299 operators: the deepest nesting of this shape DynamoDB accepts.
    const depth = 149;
    const text = 'a=:one AND ('.repeat(depth) + 'a=:one' + ')'.repeat(depth);
    expect(() => parse(text)).not.toThrow();
    // The most deeply nested expressions that fit in 4 KB fail cleanly, not with a stack overflow.
    const parens = '('.repeat(2040) + 'a' + ')'.repeat(2040) + '=:one';
    expectValidation(() => parse(parens), 'Invalid ConditionExpression: The expression has redundant parentheses;');
    const nots = 'NOT '.repeat(1020) + 'a=:one';
    expectValidation(() => parse(nots), 'Invalid ConditionExpression: The expression contains too many operators; operator count: 1021');
  });
});

describe('condition parser: syntax errors', () => {
  const syntax = (text: string, token: string, near: string, kind: 'ConditionExpression' | 'FilterExpression' = 'ConditionExpression') =>
    expectValidation(() => parse(text, kind), `Invalid ${kind}: Syntax error; token: "${token}", near: "${near}"`);

  it('quotes the offending token and its neighbours', () => {
    syntax('a x b', 'x', 'a x b');
    syntax('a = :one x', 'x', ':one x');
    syntax('a = ', '<EOF>', '= ');
    syntax('a', '<EOF>', 'a');
    syntax('a AND b = :one', 'AND', 'a AND b');
    syntax('contains (themes, :s', '<EOF>', ':s');
    syntax('attribute_type()', ')', '()');
    syntax('(#n)', '<EOF>', ')');
    syntax('a = :one AND', '<EOF>', 'AND');
    syntax('a = :one )', ')', ':one )');
    syntax('a[x] = :one', 'x', '[x]');
    syntax('a[] = :one', ']', '[] =');
    syntax('a = $b', '$', '= $b');
    syntax('my-attr = :one', '-', 'my-attr');
    syntax('= :one', '=', '= :one');
    syntax('a = b = c', '=', 'b = c');
    syntax('(a = :one) = :five', '=', ') = :five');
    syntax('a BETWEEN :one OR :five', 'OR', ':one OR :five');
    syntax('a IN :one', ':one', 'IN :one');
    syntax('a IN ()', ')', '()');
    syntax('NOT a', '<EOF>', 'a');
    syntax('a = AND', 'AND', '= AND');
    syntax('a = :one AND OR b = :one', 'OR', 'AND OR b');
    syntax('   ', '<EOF>', '');
    syntax('a = 1', '1', '= 1');
    syntax('a = (b = :one)', '=', 'b = :one');
  });

  it('names the expression kind', () => {
    syntax('a', '<EOF>', 'a', 'FilterExpression');
  });
});

describe('condition parser: semantic errors', () => {
  const invalid = (text: string, message: string, kind: 'ConditionExpression' | 'FilterExpression' = 'ConditionExpression') =>
    expectValidation(() => parse(text, kind), `Invalid ${kind}: ${message}`);

  it('rejects an empty expression', () => {
    invalid('', 'The expression can not be empty;');
    invalid('', 'The expression can not be empty;', 'FilterExpression');
  });

  it('rejects expressions over 4 KB', () => {
    const text = 'a = :one AND ' + 'b'.repeat(4096);
    invalid(text, `Expression size has exceeded the maximum allowed size; expression size: ${text.length}`);
    // Counted in UTF-8 bytes.
    const wide = 'a = :one OR ' + '\u00e9'.repeat(2043);
    expect(wide.length).toBeLessThan(4096);
    invalid(wide, `Expression size has exceeded the maximum allowed size; expression size: ${12 + 2043 * 2}`);
  });

  it('rejects reserved words as literal names, at any depth', () => {
    invalid('name = :one', 'Attribute name is a reserved keyword; reserved keyword: name');
    invalid('a.Status = :one', 'Attribute name is a reserved keyword; reserved keyword: Status');
    invalid('attribute_exists(a.b.size)', 'Attribute name is a reserved keyword; reserved keyword: size');
    expect(() => parse('#n = :one')).not.toThrow();
  });

  it('rejects undefined placeholders', () => {
    invalid('#x = :one', 'An expression attribute name used in the document path is not defined; attribute name: #x');
    invalid('a = :x', 'An expression attribute value used in expression is not defined; attribute value: :x');
    invalid('a = :x AND #y = :one', 'An expression attribute value used in expression is not defined; attribute value: :x');
    invalid('a = :x', 'An expression attribute value used in expression is not defined; attribute value: :x', 'FilterExpression');
    expectValidation(
      () => parseCondition('ConditionExpression', 'a = :v', ctx()),
      'Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v',
    );
  });

  it('rejects unknown functions and wrong operand counts', () => {
    invalid('foo(a)', 'Invalid function name; function: foo');
    invalid('SIZE(a) = :one', 'Invalid function name; function: SIZE');
    invalid('if_not_exists(a, :one) = :one', 'The function is not allowed in a condition expression; function: if_not_exists');
    invalid('list_append(a, :l) = :l', 'The function is not allowed in a condition expression; function: list_append');
    invalid('begins_with(a, :s, :t)', 'Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 3');
    invalid('attribute_exists(a, b)', 'Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2');
    invalid('size(a, b) = :one', 'Incorrect number of operands for operator or function; operator or function: size, number of operands: 2');
  });

  it('rejects functions used in the wrong place', () => {
    invalid('size(a)', 'The function is not allowed to be used this way in an expression; function: size');
    invalid('size(a) AND a = :one', 'The function is not allowed to be used this way in an expression; function: size');
    invalid('attribute_exists(a) = :one', 'The function is not allowed to be used this way in an expression; function: attribute_exists');
    invalid('a IN (contains(b, :s))', 'The function is not allowed to be used this way in an expression; function: contains');
    invalid('begins_with(attribute_type(a, :typeS), :s)', 'The function is not allowed to be used this way in an expression; function: attribute_type');
  });

  it('requires document paths where functions need them', () => {
    invalid('attribute_exists(:s)', 'Operator or function requires a document path; operator or function: attribute_exists');
    invalid('attribute_not_exists(size(a))', 'Operator or function requires a document path; operator or function: attribute_not_exists');
  });

  it('checks operand types of functions', () => {
    invalid('begins_with(a, :one)', 'Incorrect operand type for operator or function; operator or function: begins_with, operand type: N');
    invalid('begins_with(size(a), :s)', 'Incorrect operand type for operator or function; operator or function: begins_with, operand type: N');
    invalid('size(:one) = :one', 'Incorrect operand type for operator or function; operator or function: size, operand type: N');
    invalid('size(:bool) = :one', 'Incorrect operand type for operator or function; operator or function: size, operand type: BOOL');
    invalid('size(size(a)) = :one', 'Incorrect operand type for operator or function; operator or function: size, operand type: N');
    invalid('attribute_type(a, :one)', 'Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N');
    invalid('attribute_type(a, b)', 'Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}');
    invalid('attribute_type(a, :s)', 'Invalid attribute type name found; type: ab, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}');
    expect(() => parse('size(:s) = :one')).not.toThrow();
    expect(() => parse('begins_with(a, :b)')).not.toThrow();
  });

  it('requires the first operand to differ from the others', () => {
    const distinct = (op: string, path: string) =>
      `The first operand must be distinct from the remaining operands for this operator or function; operator: ${op}, first operand: ${path}`;
    invalid('a = a', distinct('=', '[a]'));
    invalid('a.b[1] <> #a.b[1]', distinct('<>', '[a, b, [1]]'));
    invalid('begins_with(a, a)', distinct('begins_with', '[a]'));
    invalid('a BETWEEN :one AND a', distinct('BETWEEN', '[a]'));
    invalid('a IN (:one, a)', distinct('IN', '[a]'));
    expect(() => parse('a = b')).not.toThrow();
    expect(() => parse('a.b = a')).not.toThrow();
  });

  it('checks BETWEEN bounds given as values', () => {
    invalid(
      'a BETWEEN :one AND :s',
      'The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:ab}',
    );
    invalid(
      'a BETWEEN :ten AND :five',
      'The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:5}',
    );
    invalid(
      'a BETWEEN :t AND :s',
      'The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {S:abc}, upper bound operand: AttributeValue: {S:ab}',
    );
    expect(() => parse('a BETWEEN :five AND :five')).not.toThrow();
    expect(() => parse('a BETWEEN b AND :five')).not.toThrow();
  });

  it('limits expressions to 300 operators', () => {
    const ok = Array.from({ length: 150 }, () => 'a = :one').join(' OR ');
    expect(ok.length).toBeLessThanOrEqual(4096);
    expect(() => parse(ok)).not.toThrow(); // 150 comparisons, 149 ORs
    const tooMany = ok + ' OR attribute_exists(b)'; // + OR + function = 301
    invalid(tooMany, 'The expression contains too many operators; operator count: 301');
  });

  it('limits IN to 100 operands', () => {
    const values: Record<string, { N: string }> = {};
    const names = Array.from({ length: 101 }, (_, i) => `:v${i}`);
    names.forEach((n, i) => (values[n] = { N: String(i) }));
    expectValidation(
      () => parseCondition('ConditionExpression', `a IN (${names.join(',')})`, ctx({}, values)),
      'Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101',
    );
  });

  it('rejects redundant parentheses', () => {
    invalid('((a = :one))', 'The expression has redundant parentheses;');
    invalid('((a)) = :one', 'The expression has redundant parentheses;');
    invalid('a = :one AND ((b = :one))', 'The expression has redundant parentheses;');
    expect(() => parse('((a = :one) AND (b = :one))')).not.toThrow();
    expect(() => parse('(a = :one)')).not.toThrow();
  });

  it('limits path depth', () => {
    const deep = ['a', ...Array.from({ length: 32 }, () => 'b')].join('.');
    invalid(`attribute_exists(${deep})`, 'The document path has too many nesting levels; nesting levels: 33');
    const ok = ['a', ...Array.from({ length: 31 }, () => 'b')].join('.');
    expect(() => parse(`attribute_exists(${ok})`)).not.toThrow();
  });

  it('reports semantic errors by category, not by position', () => {
    // Redundant parentheses beat everything else.
    invalid('name = :x AND ((a = :one))', 'The expression has redundant parentheses;');
    // Unknown functions beat reserved words.
    invalid('name = :one AND foo(a)', 'Invalid function name; function: foo');
    // Reserved words beat undefined placeholders.
    invalid('a = :x AND name = :one', 'Attribute name is a reserved keyword; reserved keyword: name');
    // Errors of single conditions: the first condition (in source order) with an error wins,
    // whether its error is an undefined placeholder or a bad operand.
    invalid('a = :x AND begins_with(b, :one)', 'An expression attribute value used in expression is not defined; attribute value: :x');
    invalid('begins_with(b, :one) AND a = :x', 'Incorrect operand type for operator or function; operator or function: begins_with, operand type: N');
    invalid('a = :one AND begins_with(b, :one) AND c = :x', 'Incorrect operand type for operator or function; operator or function: begins_with, operand type: N');
    invalid('#x = :one AND a = :y', 'An expression attribute name used in the document path is not defined; attribute name: #x');
    // Within one condition, an undefined placeholder comes before its operand errors.
    invalid('begins_with(:one, :x)', 'An expression attribute value used in expression is not defined; attribute value: :x');
    // But syntax errors come first of all.
    invalid('name = :x AND', 'Syntax error; token: "<EOF>", near: "AND"');
  });
});
