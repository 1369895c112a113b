/**
 * PutItem against a real cluster, asserting DynamoDB's documented results and exact error
 * messages: ReturnValues, conditions (expression and legacy Expected), expression attribute
 * names and values, consumed capacity, and the data model's rules (types, canonical numbers,
 * sets, empty strings, key sizes, the 400 KB item limit, nesting depth).
 */
import { conformanceCluster, expectFailure, expectSuccess, INVALID, nestedList, nestedMap, type Api, type Json } from '../support/conformance';
import { createTable, dynamoClient } from '@triad/harness';
import { ROUTER_ID } from '../support/test-cluster';

const SLOT = 11;
const HASH = 'put_hash';
const RANGE = 'put_range';
const BINARY = 'put_binary';

const cluster = conformanceCluster(SLOT, { [HASH]: [['pk', 'S']], [RANGE]: [['pk', 'S'], ['sk', 'N']], [BINARY]: [['pk', 'B']] });
const api: Api = (operation, body) => cluster.api(operation, body);

const put = (body: Json) => expectSuccess(api, 'PutItem', { TableName: HASH, ...body });
const putFails = (body: Json, name: string, message?: string | RegExp) => expectFailure(api, 'PutItem', { TableName: HASH, ...body }, name, message);
const get = async (key: Json, table = HASH): Promise<Json | undefined> =>
  (await expectSuccess(api, 'GetItem', { TableName: table, Key: key, ConsistentRead: true })).Item as Json | undefined;

/** Set members in a fixed order: DynamoDB does not keep the order of a set. */
function sortSets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortSets);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [key, child] of Object.entries(value as Json)) {
    out[key] = ['SS', 'NS', 'BS'].includes(key) && Array.isArray(child) ? [...(child as string[])].sort() : sortSets(child);
  }
  return out;
}

describe('PutItem: items and ReturnValues', () => {
  test('a put answers {} and the item reads back exactly', async () => {
    const item = { pk: { S: 'basic' }, a: { S: 'x' } };
    expect(await put({ Item: item })).toEqual({});
    expect(await get({ pk: { S: 'basic' } })).toEqual(item);
  });

  test('a put replaces the whole item', async () => {
    await put({ Item: { pk: { S: 'replace' }, a: { S: 'x' }, b: { N: '1' } } });
    await put({ Item: { pk: { S: 'replace' }, c: { BOOL: true } } });
    expect(await get({ pk: { S: 'replace' } })).toEqual({ pk: { S: 'replace' }, c: { BOOL: true } });
  });

  test('ReturnValues NONE returns nothing; ALL_OLD returns the replaced item, nothing for a new one', async () => {
    expect(await put({ Item: { pk: { S: 'rv' }, v: { N: '1' } }, ReturnValues: 'ALL_OLD' })).toEqual({});
    expect(await put({ Item: { pk: { S: 'rv' }, v: { N: '2' } }, ReturnValues: 'NONE' })).toEqual({});
    expect(await put({ Item: { pk: { S: 'rv' }, v: { N: '3' } }, ReturnValues: 'ALL_OLD' })).toEqual({
      Attributes: { pk: { S: 'rv' }, v: { N: '2' } },
    });
  });

  test.each(['UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW'])('ReturnValues %s is not allowed on PutItem', async (returnValues) => {
    await putFails({ Item: { pk: { S: 'rv-bad' } }, ReturnValues: returnValues }, 'ValidationException', 'ReturnValues can only be ALL_OLD or NONE');
    expect(await get({ pk: { S: 'rv-bad' } })).toBeUndefined();
  });

  test('ReturnValues is case sensitive and checked against its enum', async () => {
    await putFails(
      { Item: { pk: { S: 'rv-bad' } }, ReturnValues: 'none' },
      'ValidationException',
      "1 validation error detected: Value 'none' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
    );
  });

  test('several constraint violations are reported together, in DynamoDB order', async () => {
    await expectFailure(
      api,
      'PutItem',
      { TableName: 'abc;', ReturnConsumedCapacity: 'hi', ReturnItemCollectionMetrics: 'hi', ReturnValues: 'hi' },
      'ValidationException',
      '5 validation errors detected: ' +
        "Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]; " +
        "Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
        "Value null at 'item' failed to satisfy constraint: Member must not be null; " +
        "Value 'hi' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]; " +
        "Value 'hi' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]",
    );
  });

  test('a missing table', async () => {
    await expectFailure(api, 'PutItem', { TableName: 'no_such_table', Item: { pk: { S: 'a' } } }, 'ResourceNotFoundException', 'Requested resource not found');
  });

  test('ReturnItemCollectionMetrics SIZE returns nothing for a table without local indexes', async () => {
    expect(await put({ Item: { pk: { S: 'icm' } }, ReturnItemCollectionMetrics: 'SIZE' })).toEqual({});
  });
});

describe('PutItem: keys', () => {
  test('missing and mistyped key attributes', async () => {
    await putFails({ Item: { other: { S: 'a' } } }, 'ValidationException', `${INVALID} Missing the key pk in the item`);
    await putFails({ Item: {} }, 'ValidationException', `${INVALID} Missing the key pk in the item`);
    for (const [value, type] of [[{ N: '1' }, 'N'], [{ B: 'YQ==' }, 'B'], [{ SS: ['a'] }, 'SS'], [{ BOOL: true }, 'BOOL'], [{ M: {} }, 'M']] as const) {
      await putFails({ Item: { pk: value } }, 'ValidationException', `${INVALID} Type mismatch for key pk expected: S actual: ${type}`);
    }
    await expectFailure(api, 'PutItem', { TableName: RANGE, Item: { pk: { S: 'a' } } }, 'ValidationException', `${INVALID} Missing the key sk in the item`);
    await expectFailure(
      api,
      'PutItem',
      { TableName: RANGE, Item: { pk: { S: 'a' }, sk: { S: '1' } } },
      'ValidationException',
      `${INVALID} Type mismatch for key sk expected: N actual: S`,
    );
  });

  test('empty string and binary key values are refused', async () => {
    await putFails(
      { Item: { pk: { S: '' } } },
      'ValidationException',
      'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk',
    );
    await expectFailure(
      api,
      'PutItem',
      { TableName: BINARY, Item: { pk: { B: '' } } },
      'ValidationException',
      'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: pk',
    );
  });

  test('partition key: 2048 bytes accepted, 2049 refused (counted in UTF-8 bytes)', async () => {
    const hashTooBig = `${INVALID} Size of hashkey has exceeded the maximum size limit of2048 bytes`;
    await put({ Item: { pk: { S: 'k'.repeat(2048) } } });
    expect(await get({ pk: { S: 'k'.repeat(2048) } })).toEqual({ pk: { S: 'k'.repeat(2048) } });
    await putFails({ Item: { pk: { S: 'k'.repeat(2049) } } }, 'ValidationException', hashTooBig);
    // 1025 characters, 2050 bytes.
    await putFails({ Item: { pk: { S: 'é'.repeat(1025) } } }, 'ValidationException', hashTooBig);
    await expectSuccess(api, 'PutItem', { TableName: BINARY, Item: { pk: { B: Buffer.alloc(2048, 1).toString('base64') } } });
    await expectFailure(api, 'PutItem', { TableName: BINARY, Item: { pk: { B: Buffer.alloc(2049, 1).toString('base64') } } }, 'ValidationException', hashTooBig);
  });

  test('sort key: 1024 bytes accepted, 1025 refused', async () => {
    const table = 'put_range_s';
    const client = dynamoClient(cluster.tc.endpoint);
    try {
      await createTable(client, table, ['pk', 'S'], ['sk', 'S']);
    } finally {
      client.destroy();
    }
    await expectSuccess(api, 'PutItem', { TableName: table, Item: { pk: { S: 'a' }, sk: { S: 's'.repeat(1024) } } });
    await expectFailure(
      api,
      'PutItem',
      { TableName: table, Item: { pk: { S: 'a' }, sk: { S: 's'.repeat(1025) } } },
      'ValidationException',
      `${INVALID} Aggregated size of all range keys has exceeded the size limit of 1024 bytes`,
    );
  });
});

describe('PutItem: data types', () => {
  test('every type round-trips; numbers come back in canonical form', async () => {
    const item = {
      pk: { S: 'types' },
      s: { S: 'héllo ✓ 日本 😀' },
      b: { B: Buffer.from([0, 1, 254, 255]).toString('base64') },
      t: { BOOL: true },
      f: { BOOL: false },
      nul: { NULL: true },
      ss: { SS: ['b', 'a'] },
      ns: { NS: ['2', '-1.5'] },
      bs: { BS: ['AQ==', 'Ag=='] },
      l: { L: [{ S: 'a' }, { N: '1' }, { L: [] }, { M: {} }, { NULL: true }] },
      m: { M: { inner: { M: { deep: { SS: ['x'] } } }, list: { L: [{ BOOL: false }] } } },
      n1: { N: '0000012345678901234567890123456789012345678' },
      n2: { N: '-00001.23456789012345678901234567890123456780000' },
      n3: { N: '0009.99999999999999999999999999999999999990000e125' },
      n4: { N: '0001.000e-130' },
      n5: { N: '-0' },
      n6: { N: '1E+2' },
      n7: { N: '1.50' },
      n8: { N: '.5' },
      n9: { N: '5.' },
      n10: { N: '+7' },
      n11: { N: '1' + '0'.repeat(40) },
      n12: { N: '-0.000' },
    };
    await put({ Item: item });
    const expected = {
      ...item,
      n1: { N: '12345678901234567890123456789012345678' },
      n2: { N: '-1.2345678901234567890123456789012345678' },
      n3: { N: '9'.repeat(38) + '0'.repeat(88) },
      n4: { N: '0.' + '0'.repeat(129) + '1' },
      n5: { N: '0' },
      n6: { N: '100' },
      n7: { N: '1.5' },
      n8: { N: '0.5' },
      n9: { N: '5' },
      n10: { N: '7' },
      n11: { N: '1' + '0'.repeat(40) },
      n12: { N: '0' },
      ns: { NS: ['2', '-1.5'] },
    };
    expect(sortSets(await get({ pk: { S: 'types' } }))).toEqual(sortSets(expected));
  });

  test.each([
    ['39 significant digits', '123456789012345678901234567890123456789', 'Attempting to store more than 38 significant digits in a Number'],
    ['39 significant digits after the point', '-1.23456789012345678901234567890123456789', 'Attempting to store more than 38 significant digits in a Number'],
    ['1e126', '1e126', 'Number overflow. Attempting to store a number with magnitude larger than supported range'],
    ['-1e126', '-1e126', 'Number overflow. Attempting to store a number with magnitude larger than supported range'],
    ['1e-131', '1e-131', 'Number underflow. Attempting to store a number with magnitude smaller than supported range'],
    ['-1e-131', '-1e-131', 'Number underflow. Attempting to store a number with magnitude smaller than supported range'],
    ['not a number', 'b', 'The parameter cannot be converted to a numeric value: b'],
    ['an empty number', '', 'The parameter cannot be converted to a numeric value'],
    ['NaN', 'NaN', 'The parameter cannot be converted to a numeric value: NaN'],
    ['Infinity', 'Infinity', 'The parameter cannot be converted to a numeric value: Infinity'],
    ['white space', ' 1', 'The parameter cannot be converted to a numeric value:  1'],
    ['hexadecimal', '0x10', 'The parameter cannot be converted to a numeric value: 0x10'],
  ])('a number of %s is refused', async (_title, text, message) => {
    await putFails({ Item: { pk: { S: 'bad-number' }, n: { N: text } } }, 'ValidationException', message);
    await putFails({ Item: { pk: { S: 'bad-number' }, ns: { NS: ['1', text] } } }, 'ValidationException', message);
  });

  test('the largest and smallest magnitudes are accepted', async () => {
    await put({ Item: { pk: { S: 'range' }, big: { N: '9.9999999999999999999999999999999999999E+125' }, small: { N: '1E-130' }, neg: { N: '-1E-130' } } });
    expect(await get({ pk: { S: 'range' } })).toEqual({
      pk: { S: 'range' },
      big: { N: '9'.repeat(38) + '0'.repeat(88) },
      small: { N: '0.' + '0'.repeat(129) + '1' },
      neg: { N: '-0.' + '0'.repeat(129) + '1' },
    });
  });

  test('empty sets are refused', async () => {
    await putFails({ Item: { pk: { S: 'set' }, s: { SS: [] } } }, 'ValidationException', `${INVALID} An string set  may not be empty`);
    await putFails({ Item: { pk: { S: 'set' }, s: { NS: [] } } }, 'ValidationException', `${INVALID} An number set  may not be empty`);
    await putFails({ Item: { pk: { S: 'set' }, s: { BS: [] } } }, 'ValidationException', `${INVALID} Binary sets should not be empty`);
    await putFails({ Item: { pk: { S: 'set' }, m: { M: { s: { SS: [] } } } } }, 'ValidationException', `${INVALID} An string set  may not be empty`);
  });

  test('duplicate set members are refused (numbers compare by value)', async () => {
    await putFails({ Item: { pk: { S: 'set' }, s: { SS: ['a', 'a'] } } }, 'ValidationException', `${INVALID} Input collection [a, a] contains duplicates.`);
    await putFails({ Item: { pk: { S: 'set' }, s: { NS: ['1', '1'] } } }, 'ValidationException', 'Input collection contains duplicates');
    await putFails({ Item: { pk: { S: 'set' }, s: { NS: ['1', '1.0'] } } }, 'ValidationException', 'Input collection contains duplicates');
    await putFails(
      { Item: { pk: { S: 'set' }, s: { BS: ['Yg==', 'Yg=='] } } },
      'ValidationException',
      `${INVALID} Input collection [Yg==, Yg==]of type BS contains duplicates.`,
    );
  });

  test('empty strings and binaries are allowed in non-key attributes, sets, lists and maps', async () => {
    const item = {
      pk: { S: 'empty' },
      s: { S: '' },
      b: { B: '' },
      ss: { SS: ['', 'a'] },
      bs: { BS: ['', 'AQ=='] },
      l: { L: [{ S: '' }, { B: '' }] },
      m: { M: { '': { S: '' }, x: { B: '' } } },
    };
    await put({ Item: item });
    expect(sortSets(await get({ pk: { S: 'empty' } }))).toEqual(sortSets(item));
  });

  test('malformed attribute values', async () => {
    const empty = 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes';
    await putFails({ Item: { pk: { S: 'v' }, a: {} } }, 'ValidationException', empty);
    await putFails({ Item: { pk: { S: 'v' }, a: { X: 'y' } } }, 'ValidationException', empty);
    await putFails(
      { Item: { pk: { S: 'v' }, a: { S: 'a', N: '1' } } },
      'ValidationException',
      'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
    );
    await putFails({ Item: { pk: { S: 'v' }, a: { NULL: false } } }, 'ValidationException', `${INVALID} Null attribute value types must have the value of true`);
    await putFails({ Item: { pk: { S: 'v' }, a: { L: [{}] } } }, 'ValidationException', empty);
    await putFails({ Item: { pk: { S: 'v' }, a: { S: 1 } } }, 'SerializationException', 'NUMBER_VALUE cannot be converted to String');
    await putFails({ Item: { pk: { S: 'v' }, a: { B: 'abc' } } }, 'SerializationException', 'Base64 encoded length is expected a multiple of 4 bytes but found: 3');
    await putFails({ Item: { pk: { S: 'v' }, a: { BOOL: 'maybe' } } }, 'SerializationException', 'Unexpected token received from parser');
    await putFails({ Item: { pk: { S: 'v' }, a: { SS: 'a' } } }, 'SerializationException', 'Unexpected field type');
    await putFails({ Item: { pk: { S: 'v' }, a: 'x' } }, 'SerializationException', 'Unexpected value type in payload');
    await putFails({ Item: [] }, 'SerializationException', 'Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>');
  });

  test('BOOL and NULL also take the strings true/false', async () => {
    await put({ Item: { pk: { S: 'bool-text' }, a: { BOOL: 'false' }, b: { NULL: 'TRUE' } } });
    expect(await get({ pk: { S: 'bool-text' } })).toEqual({ pk: { S: 'bool-text' }, a: { BOOL: false }, b: { NULL: true } });
  });
});

describe('PutItem: limits', () => {
  // Names count with values: 'pk' + 'k' = 3 bytes, 'b' = 1 byte, so the string may have 409,596 bytes.
  test('an item of exactly 400 KB is accepted, one byte more is refused', async () => {
    await put({ Item: { pk: { S: 'k' }, b: { S: 'x'.repeat(400 * 1024 - 4) } } });
    await putFails({ Item: { pk: { S: 'j' }, b: { S: 'x'.repeat(400 * 1024 - 3) } } }, 'ValidationException', 'Item size has exceeded the maximum allowed size');
    expect(await get({ pk: { S: 'j' } })).toBeUndefined();
    await putFails({ Item: { pk: { S: 'k' }, bb: { S: 'x'.repeat(400 * 1024 - 4) } } }, 'ValidationException', 'Item size has exceeded the maximum allowed size');
    // A number counts about one byte per two digits, plus one: 38 ones followed by 88 zeros take 20.
    const big = { N: '1'.repeat(38) + '0'.repeat(88) };
    await put({ Item: { pk: { S: 'k' }, b: { S: 'x'.repeat(400 * 1024 - 25) }, c: big } });
    await putFails({ Item: { pk: { S: 'k' }, b: { S: 'x'.repeat(400 * 1024 - 24) }, c: big } }, 'ValidationException', 'Item size has exceeded the maximum allowed size');
  });

  test('nesting: 32 levels are accepted, 33 refused, in lists and in maps', async () => {
    const nesting = 'Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit';
    await put({ Item: { pk: { S: 'deep' }, l: nestedList(32), m: nestedMap(32) } });
    expect(await get({ pk: { S: 'deep' } })).toEqual({ pk: { S: 'deep' }, l: nestedList(32), m: nestedMap(32) });
    await putFails({ Item: { pk: { S: 'deeper' }, l: nestedList(33) } }, 'ValidationException', nesting);
    await putFails({ Item: { pk: { S: 'deeper' }, m: nestedMap(33) } }, 'ValidationException', nesting);
  });
});

describe('PutItem: ConditionExpression', () => {
  test('attribute_not_exists guards a create', async () => {
    const body = { Item: { pk: { S: 'cond' }, v: { N: '1' } }, ConditionExpression: 'attribute_not_exists(pk)' };
    expect(await put(body)).toEqual({});
    await putFails(body, 'ConditionalCheckFailedException', 'The conditional request failed');
  });

  test('comparisons with names and values', async () => {
    await put({ Item: { pk: { S: 'cmp' }, status: { S: 'open' }, n: { N: '5' } } });
    const body = (expression: string) => ({
      Item: { pk: { S: 'cmp' }, status: { S: 'open' }, n: { N: '5' } },
      ConditionExpression: expression,
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':open': { S: 'open' }, ':four': { N: '4' } },
    });
    await put(body('#s = :open AND n > :four'));
    await putFails(body('#s <> :open OR n < :four'), 'ConditionalCheckFailedException', 'The conditional request failed');
  });

  test('ReturnValuesOnConditionCheckFailure ALL_OLD returns the item with the error; nothing when there is no item', async () => {
    await put({ Item: { pk: { S: 'rvcf' }, s: { S: 'dog' } } });
    const response = await api('PutItem', {
      TableName: HASH,
      Item: { pk: { S: 'rvcf' }, s: { S: 'cat' } },
      ConditionExpression: 's = :v',
      ExpressionAttributeValues: { ':v': { S: 'cow' } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect({ status: response.status, body: response.json }).toEqual({
      status: 400,
      body: {
        __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
        message: 'The conditional request failed',
        Item: { pk: { S: 'rvcf' }, s: { S: 'dog' } },
      },
    });
    const none = await api('PutItem', {
      TableName: HASH,
      Item: { pk: { S: 'rvcf' }, s: { S: 'cat' } },
      ConditionExpression: 's = :v',
      ExpressionAttributeValues: { ':v': { S: 'cow' } },
      ReturnValuesOnConditionCheckFailure: 'NONE',
    });
    expect(none.json).toEqual({ __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed' });
    const missing = await api('PutItem', {
      TableName: HASH,
      Item: { pk: { S: 'rvcf-missing' } },
      ConditionExpression: 'attribute_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(missing.json).toEqual({ __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed' });
    // A successful conditional put returns nothing.
    expect(await put({ Item: { pk: { S: 'rvcf' }, s: { S: 'cat' } }, ConditionExpression: 's = :v', ExpressionAttributeValues: { ':v': { S: 'dog' } }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })).toEqual({});
  });

  test('ReturnValuesOnConditionCheckFailure accepts only ALL_OLD and NONE', async () => {
    await putFails(
      { Item: { pk: { S: 'x' } }, ReturnValuesOnConditionCheckFailure: 'ALL_NEW' },
      'ValidationException',
      "1 validation error detected: Value 'ALL_NEW' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]",
    );
  });

  test.each<[string, Json, string]>([
    ['an empty expression', { ConditionExpression: '' }, 'Invalid ConditionExpression: The expression can not be empty;'],
    ['a syntax error', { ConditionExpression: 'a = = b' }, 'Invalid ConditionExpression: Syntax error; token: "=", near: "= = b"'],
    ['an unfinished expression', { ConditionExpression: 'a =' }, 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "="'],
    ['a reserved word', { ConditionExpression: 'attribute_exists(status)' }, 'Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status'],
    [
      'an undefined value',
      { ConditionExpression: 'a = :missing' },
      'Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :missing',
    ],
    [
      'an undefined name',
      { ConditionExpression: 'attribute_exists(#missing)' },
      'Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #missing',
    ],
    [
      'an unused name',
      { ConditionExpression: 'attribute_exists(a)', ExpressionAttributeNames: { '#a': 'a', '#b': 'b' } },
      'Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}',
    ],
    [
      'an unused value',
      { ConditionExpression: 'a = :a', ExpressionAttributeValues: { ':a': { S: 'x' }, ':b': { S: 'y' } } },
      'Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}',
    ],
    ['names without an expression', { ExpressionAttributeNames: { '#a': 'a' } }, 'ExpressionAttributeNames can only be specified when using expressions'],
    [
      'values without an expression',
      { ExpressionAttributeValues: { ':a': { S: 'x' } } },
      'ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null',
    ],
    ['empty names', { ConditionExpression: 'attribute_exists(a)', ExpressionAttributeNames: {} }, 'ExpressionAttributeNames must not be empty'],
    ['empty values', { ConditionExpression: 'attribute_exists(a)', ExpressionAttributeValues: {} }, 'ExpressionAttributeValues must not be empty'],
    [
      'a badly formed name key',
      { ConditionExpression: 'attribute_exists(a)', ExpressionAttributeNames: { a: 'a' } },
      'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"',
    ],
    [
      'a badly formed value key',
      { ConditionExpression: 'attribute_exists(a)', ExpressionAttributeValues: { 'a-b': { S: 'x' } } },
      'ExpressionAttributeValues contains invalid key: Syntax error; key: "a-b"',
    ],
    [
      'an invalid value',
      { ConditionExpression: 'a = :a', ExpressionAttributeValues: { ':a': { SS: [] } } },
      'ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :a',
    ],
    [
      'both ConditionExpression and Expected',
      { ConditionExpression: 'attribute_exists(a)', Expected: { a: { Exists: false } } },
      'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}',
    ],
    ['an unknown function', { ConditionExpression: 'frob(a)' }, 'Invalid ConditionExpression: Invalid function name; function: frob'],
    [
      'an update function in a condition',
      { ConditionExpression: 'a = if_not_exists(b, :v)', ExpressionAttributeValues: { ':v': { S: 'x' } } },
      'Invalid ConditionExpression: The function is not allowed in a condition expression; function: if_not_exists',
    ],
    [
      'a wrong number of operands',
      { ConditionExpression: 'begins_with(a)' },
      'Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1',
    ],
    [
      'the same path on both sides',
      { ConditionExpression: 'a = a' },
      'Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]',
    ],
    [
      'redundant parentheses',
      { ConditionExpression: '((a = b))' },
      'Invalid ConditionExpression: The expression has redundant parentheses;',
    ],
    [
      'BETWEEN bounds out of order',
      { ConditionExpression: 'a BETWEEN :hi AND :lo', ExpressionAttributeValues: { ':hi': { N: '5' }, ':lo': { N: '1' } } },
      'Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}',
    ],
    [
      'a document path too deep',
      { ConditionExpression: `attribute_exists(${Array.from({ length: 33 }, () => 'a').join('.')})` },
      'Invalid ConditionExpression: The document path has too many nesting levels; nesting levels: 33',
    ],
    [
      'an expression over 4 KB',
      { ConditionExpression: `attribute_exists(${'a'.repeat(4097)})` },
      'Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4115',
    ],
  ])('ConditionExpression with %s', async (_title, params, message) => {
    await putFails({ Item: { pk: { S: 'never' } }, ...params }, 'ValidationException', message);
    expect(await get({ pk: { S: 'never' } })).toBeUndefined();
  });
});

describe('PutItem: legacy Expected', () => {
  test('Exists false, Value equality, ComparisonOperator, ConditionalOperator OR', async () => {
    await put({ Item: { pk: { S: 'legacy' }, a: { N: '1' } }, Expected: { pk: { Exists: false } } });
    await putFails({ Item: { pk: { S: 'legacy' }, a: { N: '2' } }, Expected: { pk: { Exists: false } } }, 'ConditionalCheckFailedException', 'The conditional request failed');
    await put({ Item: { pk: { S: 'legacy' }, a: { N: '2' } }, Expected: { a: { Value: { N: '1' } } } });
    await put({ Item: { pk: { S: 'legacy' }, a: { N: '3' } }, Expected: { a: { ComparisonOperator: 'BETWEEN', AttributeValueList: [{ N: '1' }, { N: '2' }] } } });
    await putFails(
      { Item: { pk: { S: 'legacy' }, a: { N: '4' } }, Expected: { a: { ComparisonOperator: 'LT', AttributeValueList: [{ N: '3' }] }, b: { Exists: true, Value: { S: 'x' } } } },
      'ConditionalCheckFailedException',
      'The conditional request failed',
    );
    await put({
      Item: { pk: { S: 'legacy' }, a: { N: '4' } },
      Expected: { a: { ComparisonOperator: 'LT', AttributeValueList: [{ N: '3' }] }, b: { ComparisonOperator: 'NULL' } },
      ConditionalOperator: 'OR',
    });
    expect(await get({ pk: { S: 'legacy' } })).toEqual({ pk: { S: 'legacy' }, a: { N: '4' } });
  });

  test.each<[string, Json, string]>([
    ['no Value and no Exists', { a: {} }, `${INVALID} Value must be provided when Exists is null for Attribute: a`],
    ['Exists true without Value', { a: { Exists: true } }, `${INVALID} Value must be provided when Exists is true for Attribute: a`],
    ['Exists false with a Value', { a: { Exists: false, Value: { S: 'a' } } }, `${INVALID} Value cannot be used when Exists is false for Attribute: a`],
    ['a ComparisonOperator alone', { a: { ComparisonOperator: 'LT' } }, `${INVALID} Value or AttributeValueList must be used with ComparisonOperator: LT for Attribute: a`],
    ['Exists with a ComparisonOperator', { a: { Exists: true, ComparisonOperator: 'LT' } }, `${INVALID} Exists and ComparisonOperator cannot be used together for Attribute: a`],
    [
      'Value with AttributeValueList',
      { a: { ComparisonOperator: 'LT', Value: { S: 'a' }, AttributeValueList: [{ S: 'a' }] } },
      `${INVALID} Value and AttributeValueList cannot be used together for Attribute: a`,
    ],
    ['AttributeValueList without an operator', { a: { AttributeValueList: [{ S: 'a' }] } }, `${INVALID} AttributeValueList can only be used with a ComparisonOperator for Attribute: a`],
    ['EQ with no value', { a: { ComparisonOperator: 'EQ', AttributeValueList: [] } }, `${INVALID} Invalid number of argument(s) for the EQ ComparisonOperator`],
    ['NULL with a value', { a: { ComparisonOperator: 'NULL', AttributeValueList: [{ S: 'a' }] } }, `${INVALID} Invalid number of argument(s) for the NULL ComparisonOperator`],
    ['BETWEEN with three values', { a: { ComparisonOperator: 'BETWEEN', AttributeValueList: [{ N: '1' }, { N: '2' }, { N: '3' }] } }, `${INVALID} Invalid number of argument(s) for the BETWEEN ComparisonOperator`],
    [
      'BETWEEN bounds out of order',
      { a: { ComparisonOperator: 'BETWEEN', AttributeValueList: [{ N: '2' }, { N: '1' }] } },
      'The BETWEEN condition was provided a range where the lower bound is greater than the upper bound',
    ],
    ['mixed value types', { a: { ComparisonOperator: 'IN', AttributeValueList: [{ N: '1' }, { S: '1' }] } }, `${INVALID} AttributeValues inside AttributeValueList must be of same type`],
    ['LT on a set', { a: { ComparisonOperator: 'LT', AttributeValueList: [{ SS: ['a'] }] } }, `${INVALID} ComparisonOperator LT is not valid for SS AttributeValue type`],
  ])('Expected with %s', async (_title, expected, message) => {
    await putFails({ Item: { pk: { S: 'never' } }, Expected: expected }, 'ValidationException', message);
  });

  test('ConditionalOperator needs Expected with two or more conditions', async () => {
    await putFails({ Item: { pk: { S: 'never' } }, ConditionalOperator: 'AND' }, 'ValidationException', 'ConditionalOperator cannot be used without Filter or Expected');
    await putFails(
      { Item: { pk: { S: 'never' } }, ConditionalOperator: 'OR', Expected: { a: { Exists: false } } },
      'ValidationException',
      'ConditionalOperator can only be used when Filter or Expected has two or more elements',
    );
  });
});

describe('PutItem: ReturnConsumedCapacity', () => {
  test('TOTAL, INDEXES and NONE; one unit per started KB of the larger of the old and new item', async () => {
    expect(await put({ Item: { pk: { S: 'cap' } }, ReturnConsumedCapacity: 'TOTAL' })).toEqual({ ConsumedCapacity: { TableName: HASH, CapacityUnits: 1 } });
    expect(await put({ Item: { pk: { S: 'cap' } }, ReturnConsumedCapacity: 'INDEXES' })).toEqual({
      ConsumedCapacity: { TableName: HASH, CapacityUnits: 1, Table: { CapacityUnits: 1 } },
    });
    expect(await put({ Item: { pk: { S: 'cap' } }, ReturnConsumedCapacity: 'NONE' })).toEqual({});
    // pk + 'cap' + 'b' = 6 bytes: 1018 more make exactly 1 KB, one more makes 2 units.
    expect(await put({ Item: { pk: { S: 'cap' }, b: { S: 'x'.repeat(1018) } }, ReturnConsumedCapacity: 'TOTAL' })).toEqual({
      ConsumedCapacity: { TableName: HASH, CapacityUnits: 1 },
    });
    expect(await put({ Item: { pk: { S: 'cap' }, b: { S: 'x'.repeat(1019) } }, ReturnConsumedCapacity: 'TOTAL' })).toEqual({
      ConsumedCapacity: { TableName: HASH, CapacityUnits: 2 },
    });
    expect(await put({ Item: { pk: { S: 'cap' }, b: { S: 'x'.repeat(5000) } }, ReturnConsumedCapacity: 'TOTAL' })).toEqual({
      ConsumedCapacity: { TableName: HASH, CapacityUnits: 5 },
    });
    // Replacing a 5 KB item with a small one still costs the larger size.
    expect(await put({ Item: { pk: { S: 'cap' } }, ReturnConsumedCapacity: 'TOTAL' })).toEqual({ ConsumedCapacity: { TableName: HASH, CapacityUnits: 5 } });
  });
});

test('after every case the router still serves', async () => {
  expect(cluster.tc.cluster.isRunning(ROUTER_ID)).toBe(true);
  expect(await put({ Item: { pk: { S: 'last' } } })).toEqual({});
});
