/**
 * GetItem and DeleteItem against a real cluster, asserting DynamoDB's documented results and
 * exact error messages: keys, ConsistentRead, ProjectionExpression and AttributesToGet,
 * ReturnValues, conditions (expression and legacy Expected), and consumed capacity.
 */
import { conformanceCluster, expectFailure, expectSuccess, INVALID, type Api, type Json } from '../support/conformance';
import { eventually } from '@triad/harness';
import { ROUTER_ID } from '../support/test-cluster';

const SLOT = 12;
const HASH = 'gd_hash';
const RANGE = 'gd_range';

const DOC = {
  pk: { S: 'doc' },
  a: { S: 'x' },
  n: { N: '1.5' },
  m: { M: { b: { M: { c: { S: 'deep' }, d: { N: '2' } } }, e: { L: [{ S: 'l0' }, { S: 'l1' }, { M: { f: { S: 'g' } } }] } } },
  l: { L: [{ N: '0' }, { N: '1' }, { N: '2' }, { N: '3' }] },
  status: { S: 'open' },
};

const cluster = conformanceCluster(SLOT, { [HASH]: [['pk', 'S']], [RANGE]: [['pk', 'S'], ['sk', 'N']] });
const api: Api = (operation, body) => cluster.api(operation, body);

beforeAll(async () => {
  await expectSuccess(api, 'PutItem', { TableName: HASH, Item: DOC });
  await expectSuccess(api, 'PutItem', { TableName: RANGE, Item: { pk: { S: 'r' }, sk: { N: '1' }, v: { S: 'one' } } });
});

const get = (body: Json) => expectSuccess(api, 'GetItem', { TableName: HASH, ...body });
const getFails = (body: Json, name: string, message?: string | RegExp) => expectFailure(api, 'GetItem', { TableName: HASH, ...body }, name, message);
const del = (body: Json) => expectSuccess(api, 'DeleteItem', { TableName: HASH, ...body });
const delFails = (body: Json, name: string, message?: string | RegExp) => expectFailure(api, 'DeleteItem', { TableName: HASH, ...body }, name, message);
const put = (item: Json) => expectSuccess(api, 'PutItem', { TableName: HASH, Item: item });

const MATCH_SCHEMA = 'The provided key element does not match the schema';

describe('GetItem', () => {
  test('an existing item, strongly and eventually consistent; a missing one answers {}', async () => {
    expect(await get({ Key: { pk: { S: 'doc' } }, ConsistentRead: true })).toEqual({ Item: DOC });
    await eventually('an eventually consistent read to see the item', async () => {
      expect(await get({ Key: { pk: { S: 'doc' } }, ConsistentRead: false })).toEqual({ Item: DOC });
    });
    expect(await get({ Key: { pk: { S: 'doc' } } })).toEqual({ Item: DOC });
    expect(await get({ Key: { pk: { S: 'nothing' } }, ConsistentRead: true })).toEqual({});
    expect(await get({ Key: { pk: { S: 'nothing' } } })).toEqual({});
    expect(await expectSuccess(api, 'GetItem', { TableName: RANGE, Key: { pk: { S: 'r' }, sk: { N: '1.0' } }, ConsistentRead: true })).toEqual({
      Item: { pk: { S: 'r' }, sk: { N: '1' }, v: { S: 'one' } },
    });
  });

  test('ConsistentRead also takes the strings true and false', async () => {
    expect(await get({ Key: { pk: { S: 'doc' } }, ConsistentRead: 'true' })).toEqual({ Item: DOC });
    await getFails({ Key: { pk: { S: 'doc' } }, ConsistentRead: 'sometimes' }, 'SerializationException', 'Unexpected token received from parser');
  });

  test.each<[string, Json, string]>([
    ['a missing key attribute', { other: { S: 'a' } }, MATCH_SCHEMA],
    ['an empty key', {}, MATCH_SCHEMA],
    ['a mistyped key', { pk: { N: '1' } }, MATCH_SCHEMA],
    ['an extra attribute', { pk: { S: 'doc' }, a: { S: 'x' } }, MATCH_SCHEMA],
    ['an empty key string', { pk: { S: '' } }, `${INVALID} The AttributeValue for a key attribute cannot contain an empty string value. Key: pk`],
    ['a key over 2048 bytes', { pk: { S: 'k'.repeat(2049) } }, `${INVALID} Size of hashkey has exceeded the maximum size limit of2048 bytes`],
  ])('%s', async (_title, key, message) => {
    await getFails({ Key: key }, 'ValidationException', message);
  });

  test('a composite key needs both attributes', async () => {
    await expectFailure(api, 'GetItem', { TableName: RANGE, Key: { pk: { S: 'r' } } }, 'ValidationException', MATCH_SCHEMA);
    await expectFailure(api, 'GetItem', { TableName: RANGE, Key: { pk: { S: 'r' }, sk: { S: '1' } } }, 'ValidationException', MATCH_SCHEMA);
  });

  test('a missing table, and a missing Key', async () => {
    await expectFailure(api, 'GetItem', { TableName: 'no_such_table', Key: { pk: { S: 'a' } } }, 'ResourceNotFoundException', 'Requested resource not found');
    await getFails({}, 'ValidationException', "1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null");
  });

  test('ProjectionExpression: top-level names, nested paths, list elements, names; absent paths add nothing', async () => {
    expect(
      await get({
        Key: { pk: { S: 'doc' } },
        ConsistentRead: true,
        ProjectionExpression: 'a, m.b.c, m.e[2].f, l[3], l[1], #s, absent, m.absent, l[9]',
        ExpressionAttributeNames: { '#s': 'status' },
      }),
    ).toEqual({
      Item: {
        a: { S: 'x' },
        m: { M: { b: { M: { c: { S: 'deep' } } }, e: { L: [{ M: { f: { S: 'g' } } }] } } },
        l: { L: [{ N: '1' }, { N: '3' }] },
        status: { S: 'open' },
      },
    });
    expect(await get({ Key: { pk: { S: 'doc' } }, ConsistentRead: true, ProjectionExpression: 'absent' })).toEqual({ Item: {} });
    expect(await get({ Key: { pk: { S: 'nothing' } }, ConsistentRead: true, ProjectionExpression: 'a' })).toEqual({});
  });

  test('AttributesToGet: top-level names only', async () => {
    expect(await get({ Key: { pk: { S: 'doc' } }, ConsistentRead: true, AttributesToGet: ['a', 'status', 'm.b'] })).toEqual({
      Item: { a: { S: 'x' }, status: { S: 'open' } },
    });
  });

  test.each<[string, Json, string]>([
    ['an empty expression', { ProjectionExpression: '' }, 'Invalid ProjectionExpression: The expression can not be empty;'],
    ['a syntax error', { ProjectionExpression: 'a,, b' }, 'Invalid ProjectionExpression: Syntax error; token: ",", near: ",, b"'],
    ['a reserved word', { ProjectionExpression: 'a, status' }, 'Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: status'],
    [
      'overlapping paths',
      { ProjectionExpression: 'm, m.b' },
      'Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m], path two: [m, b]',
    ],
    [
      'the same path twice',
      { ProjectionExpression: 'a, a' },
      'Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]',
    ],
    [
      'conflicting paths',
      { ProjectionExpression: 'm.b, m[0]' },
      'Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [m, b], path two: [m, [0]]',
    ],
    [
      'an undefined name',
      { ProjectionExpression: '#x' },
      'Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #x',
    ],
    ['an unused name', { ProjectionExpression: 'a', ExpressionAttributeNames: { '#x': 'x' } }, 'Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}'],
    ['names without a projection', { ExpressionAttributeNames: { '#x': 'x' } }, 'ExpressionAttributeNames can only be specified when using expressions'],
    [
      'both ProjectionExpression and AttributesToGet',
      { ProjectionExpression: 'a', AttributesToGet: ['a'] },
      'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}',
    ],
    ['duplicate AttributesToGet', { AttributesToGet: ['a', 'a'] }, `${INVALID} Duplicate value in attribute name: a`],
    [
      'an empty AttributesToGet',
      { AttributesToGet: [] },
      "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ],
    [
      'a list index out of range',
      { ProjectionExpression: 'l[2147483648]' },
      'Invalid ProjectionExpression: List index is not within the allowable range; index: 2147483648',
    ],
    ['a path too deep', { ProjectionExpression: Array.from({ length: 33 }, () => 'a').join('.') }, 'Invalid ProjectionExpression: The document path has too many nesting levels; nesting levels: 33'],
  ])('ProjectionExpression with %s', async (_title, params, message) => {
    await getFails({ Key: { pk: { S: 'doc' } }, ...params }, 'ValidationException', message);
  });

  test('ReturnConsumedCapacity: 4 KB units, halved for eventually consistent reads, one unit for a missing item', async () => {
    const key = { pk: { S: 'cap' } };
    // 'pk' + 'cap' + 'b' = 6 bytes: 4090 more make 4 KB exactly.
    await put({ ...key, b: { S: 'x'.repeat(4090) } });
    const capacity = async (consistent: boolean, mode = 'TOTAL') =>
      (await get({ Key: key, ConsistentRead: consistent, ReturnConsumedCapacity: mode, ProjectionExpression: 'pk' })).ConsumedCapacity;
    expect(await capacity(true)).toEqual({ TableName: HASH, CapacityUnits: 1 });
    expect(await capacity(false)).toEqual({ TableName: HASH, CapacityUnits: 0.5 });
    expect(await capacity(true, 'INDEXES')).toEqual({ TableName: HASH, CapacityUnits: 1, Table: { CapacityUnits: 1 } });
    expect(await capacity(true, 'NONE')).toBeUndefined();
    await put({ ...key, b: { S: 'x'.repeat(4091) } });
    expect(await capacity(true)).toEqual({ TableName: HASH, CapacityUnits: 2 });
    expect(await capacity(false)).toEqual({ TableName: HASH, CapacityUnits: 1 });
    expect((await get({ Key: { pk: { S: 'nothing' } }, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' })).ConsumedCapacity).toEqual({
      TableName: HASH,
      CapacityUnits: 1,
    });
    expect((await get({ Key: { pk: { S: 'nothing' } }, ReturnConsumedCapacity: 'TOTAL' })).ConsumedCapacity).toEqual({ TableName: HASH, CapacityUnits: 0.5 });
  });
});

describe('DeleteItem', () => {
  test('deletes an item; deleting a missing one is not an error', async () => {
    await put({ pk: { S: 'd1' }, a: { S: 'x' } });
    expect(await del({ Key: { pk: { S: 'd1' } } })).toEqual({});
    expect(await get({ Key: { pk: { S: 'd1' } }, ConsistentRead: true })).toEqual({});
    expect(await del({ Key: { pk: { S: 'd1' } } })).toEqual({});
  });

  test('ReturnValues ALL_OLD returns the deleted item, nothing when there was none; NONE returns nothing', async () => {
    await put({ pk: { S: 'd2' }, a: { S: 'x' } });
    expect(await del({ Key: { pk: { S: 'd2' } }, ReturnValues: 'ALL_OLD' })).toEqual({ Attributes: { pk: { S: 'd2' }, a: { S: 'x' } } });
    expect(await del({ Key: { pk: { S: 'd2' } }, ReturnValues: 'ALL_OLD' })).toEqual({});
    await put({ pk: { S: 'd2' }, a: { S: 'x' } });
    expect(await del({ Key: { pk: { S: 'd2' } }, ReturnValues: 'NONE' })).toEqual({});
  });

  test.each(['UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW'])('ReturnValues %s is not allowed on DeleteItem', async (returnValues) => {
    await put({ pk: { S: 'd3' } });
    await delFails({ Key: { pk: { S: 'd3' } }, ReturnValues: returnValues }, 'ValidationException', 'ReturnValues can only be ALL_OLD or NONE');
    expect(await get({ Key: { pk: { S: 'd3' } }, ConsistentRead: true })).toEqual({ Item: { pk: { S: 'd3' } } });
  });

  test('ConditionExpression, and ReturnValuesOnConditionCheckFailure', async () => {
    await put({ pk: { S: 'd4' }, s: { S: 'dog' } });
    await delFails({ Key: { pk: { S: 'd4' } }, ConditionExpression: 's = :v', ExpressionAttributeValues: { ':v': { S: 'cat' } } }, 'ConditionalCheckFailedException', 'The conditional request failed');
    const failed = await api('DeleteItem', {
      TableName: HASH,
      Key: { pk: { S: 'd4' } },
      ConditionExpression: 's = :v',
      ExpressionAttributeValues: { ':v': { S: 'cat' } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect({ status: failed.status, body: failed.json }).toEqual({
      status: 400,
      body: { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed', Item: { pk: { S: 'd4' }, s: { S: 'dog' } } },
    });
    expect(
      await del({ Key: { pk: { S: 'd4' } }, ConditionExpression: 's = :v', ExpressionAttributeValues: { ':v': { S: 'dog' } }, ReturnValues: 'ALL_OLD' }),
    ).toEqual({ Attributes: { pk: { S: 'd4' }, s: { S: 'dog' } } });
    // On a missing item a condition sees no attributes.
    await delFails({ Key: { pk: { S: 'd4' } }, ConditionExpression: 'attribute_exists(pk)' }, 'ConditionalCheckFailedException', 'The conditional request failed');
    expect(await del({ Key: { pk: { S: 'd4' } }, ConditionExpression: 'attribute_not_exists(pk)' })).toEqual({});
  });

  test('legacy Expected', async () => {
    await put({ pk: { S: 'd5' }, n: { N: '3' } });
    await delFails({ Key: { pk: { S: 'd5' } }, Expected: { n: { Value: { N: '4' } } } }, 'ConditionalCheckFailedException', 'The conditional request failed');
    await delFails({ Key: { pk: { S: 'd5' } }, Expected: { n: { Exists: false } } }, 'ConditionalCheckFailedException', 'The conditional request failed');
    expect(await del({ Key: { pk: { S: 'd5' } }, Expected: { n: { ComparisonOperator: 'GE', AttributeValueList: [{ N: '3' }] } }, ReturnValues: 'ALL_OLD' })).toEqual({
      Attributes: { pk: { S: 'd5' }, n: { N: '3' } },
    });
  });

  test.each<[string, Json, string]>([
    [
      'both ConditionExpression and Expected',
      { ConditionExpression: 'attribute_exists(a)', Expected: { a: { Exists: false } } },
      'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}',
    ],
    ['values without an expression', { ExpressionAttributeValues: { ':v': { S: 'x' } } }, 'ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null'],
    ['names without an expression', { ExpressionAttributeNames: { '#n': 'x' } }, 'ExpressionAttributeNames can only be specified when using expressions'],
    ['an unused value', { ConditionExpression: 'attribute_exists(a)', ExpressionAttributeValues: { ':v': { S: 'x' } } }, 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}'],
    ['a syntax error', { ConditionExpression: 'attribute_exists(a) AND' }, 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "AND"'],
    ['a reserved word', { ConditionExpression: 'size(data) > :n', ExpressionAttributeValues: { ':n': { N: '1' } } }, 'Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: data'],
    ['a Key that does not match', { Key: { other: { S: 'x' } } }, MATCH_SCHEMA],
    ['ConditionalOperator without Expected', { ConditionalOperator: 'OR' }, 'ConditionalOperator cannot be used without Filter or Expected'],
    [
      'an unknown ReturnValuesOnConditionCheckFailure',
      { ReturnValuesOnConditionCheckFailure: 'UPDATED_OLD' },
      "1 validation error detected: Value 'UPDATED_OLD' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]",
    ],
  ])('%s', async (_title, params, message) => {
    await put({ pk: { S: 'd6' } });
    await delFails({ Key: { pk: { S: 'd6' } }, ...params }, 'ValidationException', message);
    expect(await get({ Key: { pk: { S: 'd6' } }, ConsistentRead: true })).toEqual({ Item: { pk: { S: 'd6' } } });
  });

  test('a missing table', async () => {
    await expectFailure(api, 'DeleteItem', { TableName: 'no_such_table', Key: { pk: { S: 'a' } } }, 'ResourceNotFoundException', 'Requested resource not found');
  });

  test('ReturnConsumedCapacity: one unit per started KB of the deleted item, one for a missing item', async () => {
    await put({ pk: { S: 'dcap' }, b: { S: 'x'.repeat(2500) } });
    expect(await del({ Key: { pk: { S: 'dcap' } }, ReturnConsumedCapacity: 'TOTAL' })).toEqual({ ConsumedCapacity: { TableName: HASH, CapacityUnits: 3 } });
    expect(await del({ Key: { pk: { S: 'dcap' } }, ReturnConsumedCapacity: 'INDEXES' })).toEqual({
      ConsumedCapacity: { TableName: HASH, CapacityUnits: 1, Table: { CapacityUnits: 1 } },
    });
  });
});

test('after every case the router still serves', async () => {
  expect(cluster.tc.cluster.isRunning(ROUTER_ID)).toBe(true);
  expect(await get({ Key: { pk: { S: 'doc' } }, ConsistentRead: true })).toEqual({ Item: DOC });
});
