/**
 * UpdateItem against a real cluster, asserting DynamoDB's documented results and exact error
 * messages: every UpdateExpression clause and function, every ReturnValues setting (including the
 * nested-path cases of UPDATED_OLD / UPDATED_NEW), conditions, legacy AttributeUpdates and
 * Expected, key attributes, expression errors and consumed capacity.
 */
import { conformanceCluster, expectFailure, expectSuccess, INVALID, type Api, type Json } from '../support/conformance';
import { ROUTER_ID } from '../support/test-cluster';

const SLOT = 13;
const HASH = 'upd_hash';
const RANGE = 'upd_range';

const cluster = conformanceCluster(SLOT, { [HASH]: [['pk', 'S']], [RANGE]: [['pk', 'S'], ['sk', 'N']] });
const api: Api = (operation, body) => cluster.api(operation, body);

let keyCounter = 0;
/** A fresh key per use, so that cases do not see each other's items. */
const freshKey = () => ({ pk: { S: `k${++keyCounter}` } });

const update = (body: Json) => expectSuccess(api, 'UpdateItem', { TableName: HASH, ...body });
const updateFails = (body: Json, name: string, message?: string | RegExp) => expectFailure(api, 'UpdateItem', { TableName: HASH, ...body }, name, message);
const put = (item: Json) => expectSuccess(api, 'PutItem', { TableName: HASH, Item: item });
const get = async (key: Json): Promise<Json | undefined> =>
  (await expectSuccess(api, 'GetItem', { TableName: HASH, Key: key, ConsistentRead: true })).Item as Json | undefined;

/** Runs one update on a fresh item holding `item`, returning the response and the item after. */
async function updateOn(item: Json, params: Json): Promise<{ response: Json; after: Json | undefined }> {
  const key = freshKey();
  if (Object.keys(item).length > 0) await put({ ...key, ...item });
  const response = await update({ Key: key, ...params });
  const after = await get(key);
  if (after) delete after.pk;
  return { response, after };
}

const S = (s: string) => ({ S: s });
const N = (n: string) => ({ N: n });

describe('UpdateItem: clauses', () => {
  test('SET creates a missing item', async () => {
    const key = freshKey();
    expect(await update({ Key: key, UpdateExpression: 'SET a = :v', ExpressionAttributeValues: { ':v': S('x') } })).toEqual({});
    expect(await get(key)).toEqual({ ...key, a: S('x') });
  });

  test('REMOVE alone on a missing item creates nothing and returns nothing', async () => {
    const key = freshKey();
    expect(await update({ Key: key, UpdateExpression: 'REMOVE a', ReturnValues: 'ALL_NEW' })).toEqual({});
    expect(await get(key)).toBeUndefined();
  });

  test('SET arithmetic is exact decimal arithmetic', async () => {
    const { after } = await updateOn(
      { a: N('0.1'), big: N('99999999999999999999999999999999999999') },
      {
        UpdateExpression: 'SET a = a + :b, c = :b - a, d = big - :one',
        ExpressionAttributeValues: { ':b': N('0.2'), ':one': N('1') },
      },
    );
    expect(after).toEqual({ a: N('0.3'), c: N('0.1'), big: N('99999999999999999999999999999999999999'), d: N('99999999999999999999999999999999999998') });
  });

  test('if_not_exists and list_append', async () => {
    const { after } = await updateOn(
      { l: { L: [S('b')] }, here: N('1') },
      {
        UpdateExpression: 'SET l = list_append(:front, l), l2 = list_append(l, :front), here = if_not_exists(here, :zero), absent = if_not_exists(absent, :zero)',
        ExpressionAttributeValues: { ':front': { L: [S('a')] }, ':zero': N('0') },
      },
    );
    expect(after).toEqual({ l: { L: [S('a'), S('b')] }, l2: { L: [S('b'), S('a')] }, here: N('1'), absent: N('0') });
  });

  test('list elements: set in place, set past the end appends, remove shifts', async () => {
    const { after } = await updateOn(
      { l: { L: [N('0'), N('1'), N('2'), N('3')] } },
      { UpdateExpression: 'SET l[1] = :x, l[10] = :y REMOVE l[0], l[2]', ExpressionAttributeValues: { ':x': S('x'), ':y': S('y') } },
    );
    expect(after).toEqual({ l: { L: [S('x'), N('3'), S('y')] } });
  });

  test('nested map paths; a path through a missing map is invalid for update', async () => {
    const { after } = await updateOn({ m: { M: { a: { M: {} } } } }, { UpdateExpression: 'SET m.a.b = :v, m.c = :v', ExpressionAttributeValues: { ':v': N('1') } });
    expect(after).toEqual({ m: { M: { a: { M: { b: N('1') } }, c: N('1') } } });
    const key = freshKey();
    await put({ ...key, m: { M: {} } });
    await updateFails(
      { Key: key, UpdateExpression: 'SET m.x.y = :v', ExpressionAttributeValues: { ':v': N('1') } },
      'ValidationException',
      'The document path provided in the update expression is invalid for update',
    );
    await updateFails(
      { Key: key, UpdateExpression: 'SET nothing[0] = :v', ExpressionAttributeValues: { ':v': N('1') } },
      'ValidationException',
      'The document path provided in the update expression is invalid for update',
    );
  });

  test('operands read the item as it was: SET a = b, b = a swaps', async () => {
    const { after } = await updateOn({ a: S('1'), b: S('2') }, { UpdateExpression: 'SET a = b, b = a' });
    expect(after).toEqual({ a: S('2'), b: S('1') });
  });

  test('a missing operand, and operands of the wrong type', async () => {
    const key = freshKey();
    await put({ ...key, s: S('x'), n: N('1') });
    await updateFails({ Key: key, UpdateExpression: 'SET a = absent' }, 'ValidationException', 'The provided expression refers to an attribute that does not exist in the item');
    await updateFails(
      { Key: key, UpdateExpression: 'SET a = s + :one', ExpressionAttributeValues: { ':one': N('1') } },
      'ValidationException',
      'An operand in the update expression has an incorrect data type',
    );
    await updateFails(
      { Key: key, UpdateExpression: 'SET a = list_append(n, :l)', ExpressionAttributeValues: { ':l': { L: [] } } },
      'ValidationException',
      'An operand in the update expression has an incorrect data type',
    );
    await updateFails({ Key: key, UpdateExpression: 'ADD s :one', ExpressionAttributeValues: { ':one': N('1') } }, 'ValidationException', 'An operand in the update expression has an incorrect data type');
    expect(await get(key)).toEqual({ ...key, s: S('x'), n: N('1') });
  });

  test('ADD: numbers add (a missing attribute counts as 0), sets unite', async () => {
    const { after } = await updateOn(
      { n: N('5'), ss: { SS: ['a', 'b'] }, ns: { NS: ['1'] } },
      { UpdateExpression: 'ADD n :n, fresh :n, ss :ss, ns :ns, newset :ss', ExpressionAttributeValues: { ':n': N('-1.5'), ':ss': { SS: ['b', 'c'] }, ':ns': { NS: ['1.0', '2'] } } },
    );
    expect(after).toEqual({ n: N('3.5'), fresh: N('-1.5'), ss: { SS: ['a', 'b', 'c'] }, ns: { NS: ['1', '2'] }, newset: { SS: ['b', 'c'] } });
  });

  test('DELETE removes set members; removing the last member removes the attribute', async () => {
    const { after } = await updateOn(
      { ss: { SS: ['a', 'b', 'c'] }, ns: { NS: ['1', '2'] } },
      { UpdateExpression: 'DELETE ss :ss, ns :ns, absent :ss', ExpressionAttributeValues: { ':ss': { SS: ['a', 'z'] }, ':ns': { NS: ['1', '2'] } } },
    );
    expect(after).toEqual({ ss: { SS: ['b', 'c'] } });
  });

  test('clauses in any order, keywords in any case', async () => {
    const { after } = await updateOn(
      { r: S('x'), n: N('1') },
      { UpdateExpression: 'remove r add n :one set s = :s', ExpressionAttributeValues: { ':one': N('1'), ':s': S('s') } },
    );
    expect(after).toEqual({ n: N('2'), s: S('s') });
  });
});

describe('UpdateItem: ReturnValues', () => {
  const base = { a: S('hi'), b: S('dog') };

  test('NONE (the default) returns nothing', async () => {
    expect((await updateOn(base, { UpdateExpression: 'SET b = :v', ExpressionAttributeValues: { ':v': S('cat') } })).response).toEqual({});
    expect((await updateOn(base, { UpdateExpression: 'SET b = :v', ExpressionAttributeValues: { ':v': S('cat') }, ReturnValues: 'NONE' })).response).toEqual({});
  });

  test('ALL_OLD: the whole item before; nothing when there was none', async () => {
    const key = freshKey();
    await put({ ...key, ...base });
    expect(await update({ Key: key, UpdateExpression: 'SET b = :v', ExpressionAttributeValues: { ':v': S('cat') }, ReturnValues: 'ALL_OLD' })).toEqual({
      Attributes: { ...key, ...base },
    });
    expect(await update({ Key: freshKey(), UpdateExpression: 'SET b = :v', ExpressionAttributeValues: { ':v': S('cat') }, ReturnValues: 'ALL_OLD' })).toEqual({});
  });

  test('ALL_NEW: the whole item after, key included', async () => {
    const key = freshKey();
    await put({ ...key, ...base });
    expect(await update({ Key: key, UpdateExpression: 'SET b = :v REMOVE a', ExpressionAttributeValues: { ':v': S('cat') }, ReturnValues: 'ALL_NEW' })).toEqual({
      Attributes: { ...key, b: S('cat') },
    });
    const created = freshKey();
    expect(await update({ Key: created, UpdateExpression: 'SET b = :v', ExpressionAttributeValues: { ':v': S('cat') }, ReturnValues: 'ALL_NEW' })).toEqual({
      Attributes: { ...created, b: S('cat') },
    });
  });

  test('UPDATED_OLD: the targeted attributes that existed before', async () => {
    const key = freshKey();
    await put({ ...key, ...base });
    const run = (expression: string, values?: Json) =>
      update({ Key: key, UpdateExpression: expression, ...(values ? { ExpressionAttributeValues: values } : {}), ReturnValues: 'UPDATED_OLD' });
    expect(await run('SET b = :v, c = :w', { ':v': S('cat'), ':w': S('hello') })).toEqual({ Attributes: { b: S('dog') } });
    expect(await run('SET b = :v', { ':v': S('cat') })).toEqual({ Attributes: { b: S('cat') } });
    expect(await run('REMOVE b')).toEqual({ Attributes: { b: S('cat') } });
    expect(await run('SET b = :v', { ':v': S('cat') })).toEqual({});
  });

  test('UPDATED_NEW: the targeted attributes after, removed ones left out', async () => {
    const key = freshKey();
    await put({ ...key, ...base, n: N('1') });
    const run = (expression: string, values?: Json) =>
      update({ Key: key, UpdateExpression: expression, ...(values ? { ExpressionAttributeValues: values } : {}), ReturnValues: 'UPDATED_NEW' });
    expect(await run('SET b = :v, c = :w', { ':v': S('cat'), ':w': S('hello') })).toEqual({ Attributes: { b: S('cat'), c: S('hello') } });
    expect(await run('REMOVE b')).toEqual({});
    expect(await run('SET n = n + :one', { ':one': N('1') })).toEqual({ Attributes: { n: N('2') } });
    expect(await run('ADD n :one REMOVE c', { ':one': N('1') })).toEqual({ Attributes: { n: N('3') } });
  });

  test('UPDATED_OLD and UPDATED_NEW project nested paths', async () => {
    const key = freshKey();
    await put({ ...key, a: { M: { b: S('dog'), c: { L: [N('1'), N('2'), N('3')] } } }, d: S('cat') });
    const run = (returnValues: string, expression: string, values?: Json) =>
      update({ Key: key, UpdateExpression: expression, ...(values ? { ExpressionAttributeValues: values } : {}), ReturnValues: returnValues });
    expect(await run('UPDATED_OLD', 'SET a.b = :v', { ':v': S('hi') })).toEqual({ Attributes: { a: { M: { b: S('dog') } } } });
    expect(await run('UPDATED_OLD', 'SET a.c[1] = :v', { ':v': N('7') })).toEqual({ Attributes: { a: { M: { c: { L: [N('2')] } } } } });
    expect(await run('UPDATED_OLD', 'SET a.c[1] = :v, a.b = :w', { ':v': N('8'), ':w': S('dog') })).toEqual({
      Attributes: { a: { M: { b: S('hi'), c: { L: [N('7')] } } } },
    });
    expect(await run('UPDATED_NEW', 'SET a.c[1] = :v, a.b = :w', { ':v': N('3'), ':w': S('cow') })).toEqual({
      Attributes: { a: { M: { b: S('cow'), c: { L: [N('3')] } } } },
    });
    expect(await run('ALL_NEW', 'SET a.b = :v', { ':v': S('hi') })).toEqual({
      Attributes: { ...key, a: { M: { b: S('hi'), c: { L: [N('1'), N('3'), N('3')] } } }, d: S('cat') },
    });
    // a.c[3] does not exist: only a.c[1] was there to be removed.
    expect(await run('UPDATED_OLD', 'REMOVE a.c[1], a.c[3]')).toEqual({ Attributes: { a: { M: { c: { L: [N('3')] } } } } });
    expect(await run('UPDATED_OLD', 'SET a.x1 = :v', { ':v': N('8') })).toEqual({});
    expect(await run('UPDATED_NEW', 'SET a.x2 = :v', { ':v': N('8') })).toEqual({ Attributes: { a: { M: { x2: N('8') } } } });
    // Setting past the end appends: the element is not at the index named, so nothing comes back.
    expect(await run('UPDATED_NEW', 'SET a.c[100] = :v', { ':v': N('70') })).toEqual({});
  });

  test('an unknown ReturnValues', async () => {
    await updateFails(
      { Key: freshKey(), UpdateExpression: 'SET a = :v', ExpressionAttributeValues: { ':v': N('1') }, ReturnValues: 'DOG' },
      'ValidationException',
      "1 validation error detected: Value 'DOG' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
    );
  });
});

describe('UpdateItem: conditions', () => {
  test('a false condition changes nothing; ReturnValuesOnConditionCheckFailure ALL_OLD returns the item', async () => {
    const key = freshKey();
    await put({ ...key, s: S('dog') });
    const body = {
      TableName: HASH,
      Key: key,
      ConditionExpression: 's = :old',
      UpdateExpression: 'SET s = :new',
      ExpressionAttributeValues: { ':old': S('rat'), ':new': S('cow') },
    };
    const failed = await api('UpdateItem', { ...body, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
    expect({ status: failed.status, body: failed.json }).toEqual({
      status: 400,
      body: { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed', Item: { ...key, s: S('dog') } },
    });
    const plain = await api('UpdateItem', body);
    expect(plain.json).toEqual({ __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed' });
    expect(await get(key)).toEqual({ ...key, s: S('dog') });
    // Nothing to return for a missing item.
    const missing = await api('UpdateItem', { ...body, Key: freshKey(), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
    expect(missing.json).toEqual({ __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed' });
    expect(await update({ Key: key, ConditionExpression: 's = :old', UpdateExpression: 'SET s = :new', ExpressionAttributeValues: { ':old': S('dog'), ':new': S('cow') } })).toEqual({});
  });

  test('conditions with functions, size, IN, BETWEEN and nested paths', async () => {
    const key = freshKey();
    await put({ ...key, s: S('hello'), n: N('5'), l: { L: [S('a'), S('b')] }, m: { M: { x: { SS: ['p', 'q'] } } } });
    const ok = async (condition: string) =>
      update({
        Key: key,
        ConditionExpression: condition,
        UpdateExpression: 'SET touched = :t',
        ExpressionAttributeValues: { ':t': { BOOL: true }, ':h': S('he'), ':two': N('2'), ':lo': N('1'), ':hi': N('9'), ':p': S('p'), ':S': S('S'), ':five': N('5') },
      });
    await ok('begins_with(s, :h) AND size(l) = :two AND n BETWEEN :lo AND :hi AND contains(m.x, :p) AND attribute_type(s, :S) AND n IN (:lo, :five) AND NOT attribute_exists(nope)');
    await expectFailure(
      api,
      'UpdateItem',
      { TableName: HASH, Key: key, ConditionExpression: 'size(s) > :hi', UpdateExpression: 'SET touched = :t', ExpressionAttributeValues: { ':t': { BOOL: false }, ':hi': N('9') } },
      'ConditionalCheckFailedException',
      'The conditional request failed',
    );
  });

  test('legacy Expected with AttributeUpdates', async () => {
    const key = freshKey();
    await put({ ...key, n: N('1') });
    await updateFails({ Key: key, AttributeUpdates: { n: { Action: 'PUT', Value: N('2') } }, Expected: { n: { Value: N('7') } } }, 'ConditionalCheckFailedException', 'The conditional request failed');
    expect(await update({ Key: key, AttributeUpdates: { n: { Action: 'PUT', Value: N('2') } }, Expected: { n: { Value: N('1') } }, ReturnValues: 'ALL_NEW' })).toEqual({
      Attributes: { ...key, n: N('2') },
    });
  });
});

describe('UpdateItem: legacy AttributeUpdates', () => {
  test('PUT (the default), ADD of numbers, sets and lists, DELETE with and without a value', async () => {
    const { response, after } = await updateOn(
      { n: N('1'), ss: { SS: ['a', 'b'] }, gone: S('x'), l: { L: [S('a')] } },
      {
        AttributeUpdates: {
          p: { Value: S('put') },
          n: { Action: 'ADD', Value: N('2') },
          ss: { Action: 'DELETE', Value: { SS: ['a'] } },
          gone: { Action: 'DELETE' },
          l: { Action: 'ADD', Value: { L: [S('b')] } },
          ns: { Action: 'ADD', Value: { NS: ['1'] } },
        },
        ReturnValues: 'UPDATED_NEW',
      },
    );
    expect(after).toEqual({ p: S('put'), n: N('3'), ss: { SS: ['b'] }, l: { L: [S('a'), S('b')] }, ns: { NS: ['1'] } });
    expect(response).toEqual({ Attributes: { p: S('put'), n: N('3'), ss: { SS: ['b'] }, l: { L: [S('a'), S('b')] }, ns: { NS: ['1'] } } });
  });

  test('an empty AttributeUpdates creates the item with its key alone', async () => {
    const key = freshKey();
    expect(await update({ Key: key, AttributeUpdates: {}, ReturnValues: 'ALL_NEW' })).toEqual({ Attributes: key });
    expect(await update({ Key: key, AttributeUpdates: {}, ReturnValues: 'UPDATED_NEW' })).toEqual({});
    expect(await update({ Key: freshKey() })).toEqual({});
  });

  test.each<[string, Json, string]>([
    ['a PUT without a value', { a: { Action: 'PUT' } }, `${INVALID} Only DELETE action is allowed when no attribute value is specified`],
    ['an ADD without a value', { a: { Action: 'ADD' } }, `${INVALID} Only DELETE action is allowed when no attribute value is specified`],
    ['DELETE with a string', { a: { Action: 'DELETE', Value: S('x') } }, `${INVALID} DELETE action with value is not supported for the type S`],
    ['ADD of a string', { a: { Action: 'ADD', Value: S('x') } }, `${INVALID} ADD action is not supported for the type S`],
    ['ADD of a map', { a: { Action: 'ADD', Value: { M: {} } } }, `${INVALID} ADD action is not supported for the type M`],
    ['an update of the key', { pk: { Action: 'PUT', Value: S('x') } }, `${INVALID} Cannot update attribute pk. This attribute is part of the key`],
    [
      'an unknown Action',
      { a: { Action: 'MERGE', Value: S('x') } },
      "1 validation error detected: Value 'MERGE' at 'attributeUpdates.a.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, DELETE, PUT]",
    ],
  ])('AttributeUpdates with %s', async (_title, attributeUpdates, message) => {
    await updateFails({ Key: freshKey(), AttributeUpdates: attributeUpdates }, 'ValidationException', message);
  });
});

describe('UpdateItem: validation', () => {
  test.each<[string, Json, string]>([
    ['an empty expression', { UpdateExpression: '' }, 'Invalid UpdateExpression: The expression can not be empty;'],
    ['a syntax error', { UpdateExpression: 'SET a = :v,', ExpressionAttributeValues: { ':v': N('1') } }, 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","'],
    ['no clause keyword', { UpdateExpression: 'a = :v', ExpressionAttributeValues: { ':v': N('1') } }, 'Invalid UpdateExpression: Syntax error; token: "a", near: "a ="'],
    ['a reserved word', { UpdateExpression: 'SET name = :v', ExpressionAttributeValues: { ':v': N('1') } }, 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name'],
    ['an undefined value', { UpdateExpression: 'SET a = :v' }, 'Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :v'],
    [
      'an undefined name',
      { UpdateExpression: 'SET #a = :v', ExpressionAttributeValues: { ':v': N('1') } },
      'Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #a',
    ],
    [
      'a section used twice',
      { UpdateExpression: 'SET a = :v SET b = :v', ExpressionAttributeValues: { ':v': N('1') } },
      'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;',
    ],
    [
      'overlapping paths',
      { UpdateExpression: 'SET a = :v REMOVE a.b', ExpressionAttributeValues: { ':v': N('1') } },
      'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]',
    ],
    [
      'the same path twice',
      { UpdateExpression: 'SET a = :v, a = :v', ExpressionAttributeValues: { ':v': N('1') } },
      'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]',
    ],
    [
      'conflicting paths',
      { UpdateExpression: 'SET a[0] = :v, a.b = :v', ExpressionAttributeValues: { ':v': N('1') } },
      'Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]',
    ],
    [
      'ADD of a string',
      { UpdateExpression: 'ADD a :v', ExpressionAttributeValues: { ':v': S('x') } },
      'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING',
    ],
    [
      'DELETE of a number',
      { UpdateExpression: 'DELETE a :v', ExpressionAttributeValues: { ':v': N('1') } },
      'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER',
    ],
    [
      'a condition function',
      { UpdateExpression: 'SET a = attribute_exists(b)' },
      'Invalid UpdateExpression: The function is not allowed in an update expression; function: attribute_exists',
    ],
    ['an unknown function', { UpdateExpression: 'SET a = frob(b)' }, 'Invalid UpdateExpression: Invalid function name; function: frob'],
    [
      'list_append of a string',
      { UpdateExpression: 'SET a = list_append(a, :v)', ExpressionAttributeValues: { ':v': S('x') } },
      'Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S',
    ],
    [
      '+ of a string',
      { UpdateExpression: 'SET a = a + :v', ExpressionAttributeValues: { ':v': S('x') } },
      'Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S',
    ],
    [
      'if_not_exists without a path',
      { UpdateExpression: 'SET a = if_not_exists(:v, :v)', ExpressionAttributeValues: { ':v': S('x') } },
      'Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists',
    ],
    [
      'list_append with one operand',
      { UpdateExpression: 'SET a = list_append(a)' },
      'Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1',
    ],
    ['an update of the key', { UpdateExpression: 'SET pk = :v', ExpressionAttributeValues: { ':v': S('x') } }, `${INVALID} Cannot update attribute pk. This attribute is part of the key`],
    ['a removal of the key', { UpdateExpression: 'REMOVE pk' }, `${INVALID} Cannot update attribute pk. This attribute is part of the key`],
    [
      'a path into the key',
      { UpdateExpression: 'SET pk.a = :v', ExpressionAttributeValues: { ':v': S('x') } },
      "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk",
    ],
    [
      'both UpdateExpression and AttributeUpdates',
      { UpdateExpression: 'SET a = :v', ExpressionAttributeValues: { ':v': N('1') }, AttributeUpdates: { b: { Value: N('1') } } },
      'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}',
    ],
    [
      'both ConditionExpression and Expected',
      { UpdateExpression: 'SET a = :v', ConditionExpression: 'attribute_exists(a)', ExpressionAttributeValues: { ':v': N('1') }, Expected: { a: { Exists: false } } },
      'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {UpdateExpression, ConditionExpression}',
    ],
    [
      'values without expressions',
      { ExpressionAttributeValues: { ':v': N('1') } },
      'ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null',
    ],
    [
      'a value used by neither expression',
      { UpdateExpression: 'SET a = :v', ConditionExpression: 'attribute_not_exists(a)', ExpressionAttributeValues: { ':v': N('1'), ':w': N('2') } },
      'Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}',
    ],
    [
      'a name used by neither expression',
      { UpdateExpression: 'SET #a = :v', ExpressionAttributeNames: { '#a': 'a', '#b': 'b' }, ExpressionAttributeValues: { ':v': N('1') } },
      'Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}',
    ],
    ['an expression over 4 KB', { UpdateExpression: `REMOVE ${'a'.repeat(4090)}` }, 'Invalid UpdateExpression: Expression size has exceeded the maximum allowed size; expression size: 4097'],
  ])('%s', async (_title, params, message) => {
    const key = freshKey();
    await updateFails({ Key: key, ...params }, 'ValidationException', message);
    expect(await get(key)).toBeUndefined();
  });

  test('keys: missing, mistyped, extra attributes', async () => {
    const match = 'The provided key element does not match the schema';
    await updateFails({ Key: { other: S('x') }, UpdateExpression: 'REMOVE a' }, 'ValidationException', match);
    await updateFails({ Key: { pk: N('1') }, UpdateExpression: 'REMOVE a' }, 'ValidationException', match);
    await expectFailure(api, 'UpdateItem', { TableName: RANGE, Key: { pk: S('x') }, UpdateExpression: 'REMOVE a' }, 'ValidationException', match);
    await expectFailure(api, 'UpdateItem', { TableName: RANGE, Key: { pk: S('x'), sk: N('1'), c: S('x') }, UpdateExpression: 'REMOVE a' }, 'ValidationException', match);
    await expectFailure(
      api,
      'UpdateItem',
      { TableName: RANGE, Key: { pk: S('x'), sk: N('1') }, UpdateExpression: 'SET sk = :v', ExpressionAttributeValues: { ':v': N('2') } },
      'ValidationException',
      `${INVALID} Cannot update attribute sk. This attribute is part of the key`,
    );
    await expectFailure(api, 'UpdateItem', { TableName: 'no_such_table', Key: { pk: S('x') }, UpdateExpression: 'REMOVE a' }, 'ResourceNotFoundException', 'Requested resource not found');
  });

  test('an update that makes the item larger than 400 KB is refused', async () => {
    const key = freshKey();
    await put({ ...key, a: S('x'.repeat(300 * 1024)) });
    await updateFails(
      { Key: key, UpdateExpression: 'SET b = :v', ExpressionAttributeValues: { ':v': S('y'.repeat(101 * 1024)) } },
      'ValidationException',
      'Item size to update has exceeded the maximum allowed size',
    );
    expect(Object.keys((await get(key)) ?? {}).sort()).toEqual(['a', 'pk']);
  });

  test('arithmetic past 38 digits is refused', async () => {
    const key = freshKey();
    await put({ ...key, n: N('1E+50') });
    await updateFails(
      { Key: key, UpdateExpression: 'SET n = n + :one', ExpressionAttributeValues: { ':one': N('1') } },
      'ValidationException',
      'Number overflow. Attempting to store a number with magnitude larger than supported range',
    );
  });
});

describe('UpdateItem: ReturnConsumedCapacity', () => {
  test('one unit per started KB of the larger of the item before and after', async () => {
    const key = freshKey();
    expect(await update({ Key: key, UpdateExpression: 'SET a = :v', ExpressionAttributeValues: { ':v': S('x') }, ReturnConsumedCapacity: 'TOTAL' })).toEqual({
      ConsumedCapacity: { TableName: HASH, CapacityUnits: 1 },
    });
    expect(await update({ Key: key, UpdateExpression: 'SET b = :v', ExpressionAttributeValues: { ':v': S('x'.repeat(3000)) }, ReturnConsumedCapacity: 'INDEXES' })).toEqual({
      ConsumedCapacity: { TableName: HASH, CapacityUnits: 3, Table: { CapacityUnits: 3 } },
    });
    expect(await update({ Key: key, UpdateExpression: 'REMOVE b', ReturnConsumedCapacity: 'TOTAL' })).toEqual({ ConsumedCapacity: { TableName: HASH, CapacityUnits: 3 } });
    expect(await update({ Key: key, UpdateExpression: 'REMOVE b', ReturnConsumedCapacity: 'NONE' })).toEqual({});
  });
});

test('after every case the router still serves', async () => {
  expect(cluster.tc.cluster.isRunning(ROUTER_ID)).toBe(true);
  const key = freshKey();
  expect(await update({ Key: key, UpdateExpression: 'SET a = :v', ExpressionAttributeValues: { ':v': N('1') }, ReturnValues: 'ALL_NEW' })).toEqual({
    Attributes: { ...key, a: N('1') },
  });
});
