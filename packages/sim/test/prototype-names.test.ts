import { SimCluster } from '../src';

/**
 * Attribute names that are also names on Object.prototype (issue 13 item 8): `__proto__`,
 * `constructor`, `prototype`, `hasOwnProperty`, `toString` must be stored, read, updated,
 * projected and used as keys like any other name. Requests are built from JSON text, as the HTTP
 * layer's JSON.parse builds them, so that `__proto__` is an own member of the request.
 */
jest.setTimeout(120_000);
process.env.TRIAD_LOG_LEVEL ??= 'error';

const NAMES = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf'];

let cluster: SimCluster;
let router: Awaited<ReturnType<SimCluster['startRouter']>>;

const req = (json: string) => JSON.parse(json) as Record<string, unknown>;
const text = (value: unknown) => JSON.stringify(value);

beforeAll(async () => {
  cluster = new SimCluster({ seed: 13 });
  await cluster.startNodes('storage-a', 'storage-b', 'storage-c');
  for (let i = 0; i < 120; i++) await cluster.advance(250);
  router = await cluster.startRouter();
  await router.requestRetrying('CreateTable', {
    TableName: 'Plain', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST',
  });
  await router.requestRetrying('CreateTable', req(`{"TableName":"Proto","AttributeDefinitions":[{"AttributeName":"__proto__","AttributeType":"S"},{"AttributeName":"constructor","AttributeType":"S"}],
    "KeySchema":[{"AttributeName":"__proto__","KeyType":"HASH"},{"AttributeName":"constructor","KeyType":"RANGE"}],"BillingMode":"PAY_PER_REQUEST"}`));
});


test.each(NAMES)('PutItem then GetItem keeps an attribute named %s, top level and nested', async (name) => {
  const n = text(name);
  await router.requestRetrying('PutItem', req(`{"TableName":"Plain","Item":{"id":{"S":${text(`put-${name}`)}},${n}:{"S":"top"},"m":{"M":{${n}:{"N":"1"}}}}}`));
  const got = (await router.request('GetItem', req(`{"TableName":"Plain","Key":{"id":{"S":${text(`put-${name}`)}}},"ConsistentRead":true}`))) as { Item: Record<string, unknown> };
  expect(JSON.parse(text(got))).toEqual(JSON.parse(`{"Item":{"id":{"S":${text(`put-${name}`)}},${n}:{"S":"top"},"m":{"M":{${n}:{"N":"1"}}}}}`));
  // A projection names it through ExpressionAttributeNames.
  const projected = await router.request('GetItem', req(`{"TableName":"Plain","Key":{"id":{"S":${text(`put-${name}`)}}},"ConsistentRead":true,
    "ProjectionExpression":"#n, m.#n","ExpressionAttributeNames":{"#n":${n}}}`));
  expect(JSON.parse(text(projected))).toEqual(JSON.parse(`{"Item":{${n}:{"S":"top"},"m":{"M":{${n}:{"N":"1"}}}}}`));
});

test.each(NAMES)('an absent attribute named %s is absent (not found on a prototype)', async (name) => {
  const n = text(name);
  await router.requestRetrying('PutItem', req(`{"TableName":"Plain","Item":{"id":{"S":"bare"}}}`));
  const projected = await router.request('GetItem', req(`{"TableName":"Plain","Key":{"id":{"S":"bare"}},"ConsistentRead":true,
    "ProjectionExpression":"#n","ExpressionAttributeNames":{"#n":${n}}}`));
  expect(JSON.parse(text(projected))).toEqual({ Item: {} });
  await expect(router.request('UpdateItem', req(`{"TableName":"Plain","Key":{"id":{"S":"bare"}},
    "UpdateExpression":"SET x = :v","ConditionExpression":"attribute_exists(#n)","ExpressionAttributeNames":{"#n":${n}},"ExpressionAttributeValues":{":v":{"N":"1"}}}`)))
    .rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
});

test.each(NAMES)('UpdateItem SET, ADD and REMOVE an attribute named %s', async (name) => {
  const n = text(name);
  const key = `{"id":{"S":${text(`upd-${name}`)}}}`;
  await router.requestRetrying('UpdateItem', req(`{"TableName":"Plain","Key":${key},"UpdateExpression":"SET #n = :v, m = :m ADD c.#n :one",
    "ExpressionAttributeNames":{"#n":${n}},"ExpressionAttributeValues":{":v":{"S":"set"},":m":{"M":{${n}:{"S":"inner"}}},":one":{"N":"1"}}}`)).catch(async () => {
    // ADD on a path inside a missing map fails in DynamoDB too; do it in two steps.
    await router.requestRetrying('UpdateItem', req(`{"TableName":"Plain","Key":${key},"UpdateExpression":"SET #n = :v, m = :m, c = :c",
      "ExpressionAttributeNames":{"#n":${n}},"ExpressionAttributeValues":{":v":{"S":"set"},":m":{"M":{${n}:{"S":"inner"}}},":c":{"M":{}}}}`));
  });
  await router.requestRetrying('UpdateItem', req(`{"TableName":"Plain","Key":${key},"UpdateExpression":"ADD #n2 :one SET m.#n = :w",
    "ExpressionAttributeNames":{"#n":${n},"#n2":${text(`${name}2`)}},"ExpressionAttributeValues":{":one":{"N":"1"},":w":{"S":"again"}}}`));
  let got = await router.request('GetItem', req(`{"TableName":"Plain","Key":${key},"ConsistentRead":true}`));
  expect(JSON.parse(text(got))).toMatchObject({ Item: JSON.parse(`{${n}:{"S":"set"},"m":{"M":{${n}:{"S":"again"}}},${text(`${name}2`)}:{"N":"1"}}`) });
  await router.requestRetrying('UpdateItem', req(`{"TableName":"Plain","Key":${key},"UpdateExpression":"REMOVE #n, m.#n",
    "ConditionExpression":"#n = :v","ExpressionAttributeNames":{"#n":${n}},"ExpressionAttributeValues":{":v":{"S":"set"}}}`));
  got = await router.request('GetItem', req(`{"TableName":"Plain","Key":${key},"ConsistentRead":true}`));
  const item = JSON.parse(text(got)).Item as Record<string, unknown>;
  expect(Object.prototype.hasOwnProperty.call(item, name)).toBe(false);
  expect(item.m).toEqual({ M: {} });
});

test('a table whose keys are named __proto__ and constructor stores, queries and batch-reads items', async () => {
  for (const sk of ['a', 'b']) {
    await router.requestRetrying('PutItem', req(`{"TableName":"Proto","Item":{"__proto__":{"S":"p"},"constructor":{"S":"${sk}"},"v":{"N":"1"}}}`));
  }
  const got = await router.request('GetItem', req(`{"TableName":"Proto","Key":{"__proto__":{"S":"p"},"constructor":{"S":"a"}},"ConsistentRead":true}`));
  expect(JSON.parse(text(got))).toEqual(JSON.parse(`{"Item":{"__proto__":{"S":"p"},"constructor":{"S":"a"},"v":{"N":"1"}}}`));
  const query = await router.request('Query', req(`{"TableName":"Proto","KeyConditionExpression":"#p = :p","ExpressionAttributeNames":{"#p":"__proto__"},
    "ExpressionAttributeValues":{":p":{"S":"p"}},"ConsistentRead":true,"Limit":1}`)) as { Items: unknown[]; LastEvaluatedKey: unknown };
  expect(JSON.parse(text(query))).toMatchObject(JSON.parse(`{"Count":1,"LastEvaluatedKey":{"__proto__":{"S":"p"},"constructor":{"S":"a"}}}`));
  const next = await router.request('Query', req(`{"TableName":"Proto","KeyConditionExpression":"#p = :p","ExpressionAttributeNames":{"#p":"__proto__"},
    "ExpressionAttributeValues":{":p":{"S":"p"}},"ConsistentRead":true,"ExclusiveStartKey":${text(query.LastEvaluatedKey)}}`));
  expect(JSON.parse(text(next))).toMatchObject(JSON.parse(`{"Count":1,"Items":[{"constructor":{"S":"b"}}]}`));
  const batch = await router.request('BatchGetItem', req(`{"RequestItems":{"Proto":{"Keys":[{"__proto__":{"S":"p"},"constructor":{"S":"a"}},{"__proto__":{"S":"p"},"constructor":{"S":"b"}}],"ConsistentRead":true}}}`));
  expect((JSON.parse(text(batch)) as { Responses: { Proto: unknown[] } }).Responses.Proto).toHaveLength(2);
  await router.requestRetrying('BatchWriteItem', req(`{"RequestItems":{"Proto":[{"DeleteRequest":{"Key":{"__proto__":{"S":"p"},"constructor":{"S":"a"}}}}]}}`));
  const scan = await router.request('Scan', req(`{"TableName":"Proto","ConsistentRead":true}`));
  expect(JSON.parse(text(scan))).toMatchObject({ Count: 1 });
});

test('a key attribute named constructor that is missing is refused, not read from the prototype', async () => {
  await expect(router.request('PutItem', req(`{"TableName":"Proto","Item":{"__proto__":{"S":"p"}}}`))).rejects.toMatchObject({ name: 'ValidationException' });
});

test('a global index keyed on an attribute named constructor, and the legacy parameters, handle prototype names', async () => {
  await router.requestRetrying('CreateTable', req(`{"TableName":"Indexed","AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"},{"AttributeName":"constructor","AttributeType":"S"}],
    "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST",
    "GlobalSecondaryIndexes":[{"IndexName":"byCtor","KeySchema":[{"AttributeName":"constructor","KeyType":"HASH"}],"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["__proto__"]}}]}`));
  await router.requestRetrying('PutItem', req(`{"TableName":"Indexed","Item":{"id":{"S":"i1"},"constructor":{"S":"c"},"__proto__":{"S":"kept"},"other":{"S":"dropped"}}}`));
  // Not in the index: it has no attribute named constructor (and must not find the prototype's).
  await router.requestRetrying('PutItem', req(`{"TableName":"Indexed","Item":{"id":{"S":"i2"},"__proto__":{"S":"x"}}}`));
  let items: unknown[] = [];
  for (let i = 0; i < 40 && items.length === 0; i++) {
    await cluster.advance(250);
    const query = await router.request('Query', req(`{"TableName":"Indexed","IndexName":"byCtor","KeyConditionExpression":"#c = :c","ExpressionAttributeNames":{"#c":"constructor"},
      "ExpressionAttributeValues":{":c":{"S":"c"}}}`));
    items = (JSON.parse(text(query)) as { Items: unknown[] }).Items;
  }
  expect(items).toEqual([JSON.parse(`{"id":{"S":"i1"},"constructor":{"S":"c"},"__proto__":{"S":"kept"}}`)]);
  const scan = await router.request('Scan', req(`{"TableName":"Indexed","IndexName":"byCtor"}`));
  expect(JSON.parse(text(scan))).toMatchObject({ Count: 1 });

  // Legacy parameters: AttributeUpdates, Expected, AttributesToGet, ScanFilter.
  await router.requestRetrying('UpdateItem', req(`{"TableName":"Plain","Key":{"id":{"S":"legacy"}},
    "AttributeUpdates":{"__proto__":{"Action":"PUT","Value":{"S":"v"}},"constructor":{"Action":"ADD","Value":{"N":"2"}}},
    "Expected":{"__proto__":{"Exists":false}}}`));
  const got = await router.request('GetItem', req(`{"TableName":"Plain","Key":{"id":{"S":"legacy"}},"ConsistentRead":true,"AttributesToGet":["__proto__","constructor"]}`));
  expect(JSON.parse(text(got))).toEqual(JSON.parse(`{"Item":{"__proto__":{"S":"v"},"constructor":{"N":"2"}}}`));
  const updated = await router.request('UpdateItem', req(`{"TableName":"Plain","Key":{"id":{"S":"legacy"}},"ReturnValues":"UPDATED_NEW",
    "AttributeUpdates":{"__proto__":{"Action":"PUT","Value":{"S":"w"}}},"Expected":{"__proto__":{"Value":{"S":"v"}}}}`));
  expect(JSON.parse(text(updated))).toEqual(JSON.parse(`{"Attributes":{"__proto__":{"S":"w"}}}`));
  const filtered = await router.request('Scan', req(`{"TableName":"Plain","ConsistentRead":true,"ScanFilter":{"__proto__":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"w"}]}}}`));
  expect(JSON.parse(text(filtered))).toMatchObject({ Count: 1 });
  const deleted = await router.request('DeleteItem', req(`{"TableName":"Plain","Key":{"id":{"S":"legacy"}},"ReturnValues":"ALL_OLD"}`));
  expect(JSON.parse(text(deleted))).toEqual(JSON.parse(`{"Attributes":{"id":{"S":"legacy"},"__proto__":{"S":"w"},"constructor":{"N":"2"}}}`));
});
