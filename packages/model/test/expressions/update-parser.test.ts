import { parseUpdate, type UpdateExpression } from '../../src/expressions';
import { ctx, expectValidation } from './helpers';

const parse = (text: string): UpdateExpression => parseUpdate(text, ctx());
const invalid = (text: string, message: string) => expectValidation(() => parse(text), `Invalid UpdateExpression: ${message}`);
const syntax = (text: string, token: string, near: string) => invalid(text, `Syntax error; token: "${token}", near: "${near}"`);
const P = (...path: (string | number)[]) => ({ type: 'path' as const, path });
const V = (value: unknown) => ({ type: 'value' as const, value });

describe('update parser: structure', () => {
  it('parses SET with values, paths, arithmetic and functions', () => {
    expect(parse('SET a = :one, b.c[2] = d, e = f + :one, g = :ten - h')).toEqual({
      set: [
        { path: ['a'], value: V({ N: '1' }) },
        { path: ['b', 'c', 2], value: P('d') },
        { path: ['e'], value: { type: 'plus', left: P('f'), right: V({ N: '1' }) } },
        { path: ['g'], value: { type: 'minus', left: V({ N: '10' }), right: P('h') } },
      ],
      remove: [],
      add: [],
      delete: [],
    });
    expect(parse('SET a = if_not_exists(a, :zero) + :one').set[0]!.value).toEqual({
      type: 'plus',
      left: { type: 'if_not_exists', path: ['a'], fallback: V({ N: '0' }) },
      right: V({ N: '1' }),
    });
    expect(parse('SET l = list_append(if_not_exists(l, :l), :l)').set[0]!.value).toEqual({
      type: 'list_append',
      first: { type: 'if_not_exists', path: ['l'], fallback: V({ L: [{ N: '1' }] }) },
      second: V({ L: [{ N: '1' }] }),
    });
  });

  it('accepts parentheses around a whole value and around single operands', () => {
    expect(parse('SET a = (b + :one)').set[0]!.value).toEqual({ type: 'plus', left: P('b'), right: V({ N: '1' }) });
    expect(parse('SET a = (b) + (:one)').set[0]!.value).toEqual({ type: 'plus', left: P('b'), right: V({ N: '1' }) });
    expect(parse('SET a = (b), c = :one').set[0]!.value).toEqual(P('b'));
  });

  it('parses REMOVE, ADD and DELETE', () => {
    expect(parse('REMOVE a, b.c, d[3]')).toMatchObject({ remove: [['a'], ['b', 'c'], ['d', 3]] });
    expect(parse('ADD n :one, s :ss')).toMatchObject({
      add: [
        { path: ['n'], value: { N: '1' } },
        { path: ['s'], value: { SS: ['x', 'y'] } },
      ],
    });
    expect(parse('DELETE s :ss')).toMatchObject({ delete: [{ path: ['s'], value: { SS: ['x', 'y'] } }] });
  });

  it('takes clauses in any order, case-insensitively', () => {
    const tree = parse('delete s :ss remove r add n :one set a = :one');
    expect(tree).toEqual({
      set: [{ path: ['a'], value: V({ N: '1' }) }],
      remove: [['r']],
      add: [{ path: ['n'], value: { N: '1' } }],
      delete: [{ path: ['s'], value: { SS: ['x', 'y'] } }],
    });
    expect(JSON.parse(JSON.stringify(tree))).toEqual(tree);
  });

  it('resolves #names in targets and operands', () => {
    expect(parse('SET #n = #a, #dot.#b = :one')).toMatchObject({
      set: [
        { path: ['name'], value: P('a') },
        { path: ['x.y', 'b'], value: V({ N: '1' }) },
      ],
    });
  });
});

describe('update parser: syntax errors', () => {
  it('quotes the offending token and its neighbours', () => {
    syntax('INVALID SYNTAX HERE', 'INVALID', 'INVALID SYNTAX');
    syntax('SET', '<EOF>', 'SET');
    syntax('SET a = :one,', '<EOF>', ',');
    syntax('SET a = ', '<EOF>', '= ');
    syntax('SET a :one', ':one', 'a :one');
    syntax('SET a = b + c + d', '+', 'c + d');
    syntax('SET a = list_append(b, c + d)', '+', 'c + d');
    syntax('SET a = (((b)))', '(', '((b');
    syntax('REMOVE a = :one', '=', 'a = :one');
    syntax('ADD a b', 'b', 'a b');
    syntax('ADD a', '<EOF>', 'a');
    syntax('DELETE :ss', ':ss', 'DELETE :ss');
    syntax('SET a = :one REMOVE', '<EOF>', 'REMOVE');
    syntax('SET a = :one SET', '<EOF>', 'SET');
    syntax('SET remove = :one', 'remove', 'SET remove =');
    syntax('SET a = :one b = :one', 'b', ':one b =');
    syntax('SET a[x] = :one', 'x', '[x]');
    syntax('SET a = :one REMOVE b, ', '<EOF>', ', ');
  });
});

describe('update parser: semantic errors', () => {
  it('rejects an empty or oversized expression', () => {
    invalid('', 'The expression can not be empty;');
    const text = 'SET a = :one, ' + 'b'.repeat(4090) + ' = :one';
    invalid(text, `Expression size has exceeded the maximum allowed size; expression size: ${text.length}`);
  });

  it('allows each clause once', () => {
    invalid('SET a = :one SET b = :one', 'The "SET" section can only be used once in an update expression;');
    invalid('REMOVE a ADD n :one remove b', 'The "REMOVE" section can only be used once in an update expression;');
    invalid('ADD n :one ADD m :one', 'The "ADD" section can only be used once in an update expression;');
    invalid('DELETE s :ss DELETE t :ss', 'The "DELETE" section can only be used once in an update expression;');
  });

  it('rejects overlapping and conflicting paths', () => {
    invalid('SET a = :one REMOVE a.b', 'Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]');
    invalid('SET a.b = :one, a.b = :ten', 'Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, b]');
    invalid('REMOVE a[1].b ADD a[1] :one', 'Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, [1], b], path two: [a, [1]]');
    invalid('SET #a = :one REMOVE a', 'Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]');
    invalid('SET a.b = :one REMOVE a[1]', 'Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]');
    // Operands may read the paths being written.
    expect(() => parse('SET a = a + :one, b = a')).not.toThrow();
    expect(() => parse('SET a.b = :one, a.c = :one, a.l[1] = :one, a.l[2] = :one')).not.toThrow();
  });

  it('rejects reserved words and undefined placeholders', () => {
    invalid('SET name = :one', 'Attribute name is a reserved keyword; reserved keyword: name');
    invalid('SET a = b.Value', 'Attribute name is a reserved keyword; reserved keyword: Value');
    invalid('SET #x = :one', 'An expression attribute name used in the document path is not defined; attribute name: #x');
    invalid('SET a = :x', 'An expression attribute value used in expression is not defined; attribute value: :x');
    invalid('ADD a :x', 'An expression attribute value used in expression is not defined; attribute value: :x');
    // Names are reported before values, whatever the order.
    invalid('SET a = :x, #x = :one', 'An expression attribute name used in the document path is not defined; attribute name: #x');
  });

  it('checks functions', () => {
    invalid('SET a = foo(b)', 'Invalid function name; function: foo');
    invalid('SET a = size(b)', 'The function is not allowed in an update expression; function: size');
    invalid('SET a = attribute_exists(b)', 'The function is not allowed in an update expression; function: attribute_exists');
    invalid('SET a = if_not_exists(b)', 'Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1');
    invalid('SET a = list_append(b, c, d)', 'Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 3');
    invalid('SET a = if_not_exists(:one, b)', 'Operator or function requires a document path; operator or function: if_not_exists');
    invalid('SET a = list_append(b, :s)', 'Incorrect operand type for operator or function; operator or function: list_append, operand type: S');
    invalid('SET a = :s + b', 'Incorrect operand type for operator or function; operator or function: +, operand type: S');
    invalid('SET a = b - :ss', 'Incorrect operand type for operator or function; operator or function: -, operand type: SS');
  });

  it('checks ADD and DELETE operand types', () => {
    invalid('ADD a :s', 'Incorrect operand type for operator or function; operator: ADD, operand type: STRING');
    invalid('ADD a :l', 'Incorrect operand type for operator or function; operator: ADD, operand type: LIST');
    invalid('ADD a :m', 'Incorrect operand type for operator or function; operator: ADD, operand type: MAP');
    invalid('ADD a :bool', 'Incorrect operand type for operator or function; operator: ADD, operand type: BOOLEAN');
    invalid('DELETE a :one', 'Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER');
    invalid('DELETE a :b', 'Incorrect operand type for operator or function; operator: DELETE, operand type: BINARY');
    invalid('DELETE a :null', 'Incorrect operand type for operator or function; operator: DELETE, operand type: NULL');
    expect(() => parse('ADD a :ns, b :bs DELETE c :ss')).not.toThrow();
  });

  it('reports errors by DynamoDB priority', () => {
    invalid('SET a = :x, name = foo(b)', 'Attribute name is a reserved keyword; reserved keyword: name');
    invalid('SET a = foo(b) SET c = :one', 'Invalid function name; function: foo');
    invalid('SET a = :x SET c = :one', 'The "SET" section can only be used once in an update expression;');
    invalid('SET a = :x REMOVE a', 'An expression attribute value used in expression is not defined; attribute value: :x');
    invalid('ADD a :s REMOVE a', 'Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]');
    invalid('ADD a :s SET b = :s + :one', 'Incorrect operand type for operator or function; operator: ADD, operand type: STRING');
  });

  it('limits operators', () => {
    const values = { ':o': { N: '1' } };
    const actions = (count: number) => 'SET ' + Array.from({ length: count }, (_, i) => `a${i}=:o+:o`).join(',');
    expect(() => parseUpdate(actions(300), ctx({}, values))).not.toThrow();
    expectValidation(
      () => parseUpdate(actions(301), ctx({}, values)),
      'Invalid UpdateExpression: The expression contains too many operators; operator count: 301',
    );
  });
});
