/**
 * BatchWriteItem and BatchGetItem against a real cluster, through the AWS SDK v3, asserting
 * DynamoDB's documented results and its exact error messages.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { createTable, dynamoClient, eventually } from '@triad/harness';
import { startTestCluster, type TestCluster } from '../support/test-cluster';

const SLOT = 8;

type Item = Record<string, AttributeValue>;

let tc: TestCluster;
let client: DynamoDBClient;

const HASH = 'batch_hash';
const COMPOSITE = 'batch_composite';

beforeAll(async () => {
  tc = await startTestCluster(SLOT);
  client = dynamoClient(tc.endpoint);
  await createTable(client, HASH, ['pk', 'S']);
  await createTable(client, COMPOSITE, ['pk', 'S'], ['sk', 'N']);
});

afterAll(async () => {
  client?.destroy();
  await tc?.stop();
});

afterEach(() => {
  if (tc) expect(tc.unexpectedExits).toEqual([]);
});

async function expectDynamoError(promise: Promise<unknown>, name: string, message?: string | RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as { name: string; message: string; $metadata?: { httpStatusCode?: number } },
  );
  expect(error).toBeDefined();
  expect({ name: error!.name, status: error!.$metadata?.httpStatusCode }).toEqual({ name, status: 400 });
  if (typeof message === 'string') expect(error!.message).toBe(message);
  else if (message) expect(error!.message).toMatch(message);
}

async function getItem(table: string, key: Item): Promise<Item | undefined> {
  return (await client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
}

const put = (item: Item): WriteRequest => ({ PutRequest: { Item: item } });
const del = (key: Item): WriteRequest => ({ DeleteRequest: { Key: key } });

/** Writes the items in batches of 25, failing if any come back unprocessed. */
async function writeAll(table: string, items: Item[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    const { UnprocessedItems } = await client.send(
      new BatchWriteItemCommand({ RequestItems: { [table]: items.slice(i, i + 25).map(put) } }),
    );
    expect(UnprocessedItems).toEqual({});
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const DUPLICATES = 'Provided list of item keys contains duplicates';

describe('BatchWriteItem', () => {
  test('a mixed put/delete batch across two tables', async () => {
    await client.send(new PutItemCommand({ TableName: COMPOSITE, Item: { pk: { S: 'm' }, sk: { N: '1' }, v: { S: 'old' } } }));
    await client.send(new PutItemCommand({ TableName: HASH, Item: { pk: { S: 'gone' } } }));

    const response = await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [HASH]: [put({ pk: { S: 'h1' }, n: { N: '1' } }), put({ pk: { S: 'h2' }, l: { L: [{ S: 'x' }] } }), del({ pk: { S: 'gone' } })],
          [COMPOSITE]: [del({ pk: { S: 'm' }, sk: { N: '1' } }), put({ pk: { S: 'm' }, sk: { N: '2' }, v: { S: 'new' } })],
        },
        ReturnConsumedCapacity: 'TOTAL',
        ReturnItemCollectionMetrics: 'SIZE',
      }),
    );
    expect(response.UnprocessedItems).toEqual({});
    const capacity = [...(response.ConsumedCapacity ?? [])].sort((a, b) => a.TableName!.localeCompare(b.TableName!));
    expect(capacity).toEqual([
      { TableName: COMPOSITE, CapacityUnits: 2 },
      { TableName: HASH, CapacityUnits: 3 },
    ]);

    expect(await getItem(HASH, { pk: { S: 'h1' } })).toEqual({ pk: { S: 'h1' }, n: { N: '1' } });
    expect(await getItem(HASH, { pk: { S: 'h2' } })).toEqual({ pk: { S: 'h2' }, l: { L: [{ S: 'x' }] } });
    expect(await getItem(HASH, { pk: { S: 'gone' } })).toBeUndefined();
    expect(await getItem(COMPOSITE, { pk: { S: 'm' }, sk: { N: '1' } })).toBeUndefined();
    expect(await getItem(COMPOSITE, { pk: { S: 'm' }, sk: { N: '2' } })).toEqual({ pk: { S: 'm' }, sk: { N: '2' }, v: { S: 'new' } });
  });

  test('INDEXES capacity: one entry per table with its Table units', async () => {
    const response = await client.send(
      new BatchWriteItemCommand({ RequestItems: { [HASH]: [put({ pk: { S: 'i1' } })] }, ReturnConsumedCapacity: 'INDEXES' }),
    );
    expect(response.ConsumedCapacity).toEqual([{ TableName: HASH, CapacityUnits: 1, Table: { CapacityUnits: 1 } }]);
  });

  test('26 requests for one table: the map value constraint', async () => {
    const requests = Array.from({ length: 26 }, (_, i) => put({ pk: { S: `over${i}` } }));
    await expectDynamoError(
      client.send(new BatchWriteItemCommand({ RequestItems: { [HASH]: requests } })),
      'ValidationException',
      new RegExp(
        `^1 validation error detected: Value '\\{${HASH}=\\[com\\.amazonaws\\.dynamodb\\.v20120810\\.WriteRequest@[0-9a-f]+(, com\\.amazonaws\\.dynamodb\\.v20120810\\.WriteRequest@[0-9a-f]+){25}\\]\\}' at 'requestItems' ` +
          escape(
            'failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]',
          ) +
          '$',
      ),
    );
    expect(await getItem(HASH, { pk: { S: 'over0' } })).toBeUndefined();
  });

  test('26 requests across two tables: too many items', async () => {
    await expectDynamoError(
      client.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [HASH]: Array.from({ length: 13 }, (_, i) => put({ pk: { S: `two${i}` } })),
            [COMPOSITE]: Array.from({ length: 13 }, (_, i) => put({ pk: { S: 'two' }, sk: { N: String(i) } })),
          },
        }),
      ),
      'ValidationException',
      'Too many items requested for the BatchWriteItem call',
    );
  });

  test('an empty request list for a table', async () => {
    await expectDynamoError(
      client.send(new BatchWriteItemCommand({ RequestItems: { [HASH]: [] } })),
      'ValidationException',
      `1 validation error detected: Value '{${HASH}=[]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]`,
    );
  });

  test('empty RequestItems', async () => {
    await expectDynamoError(
      client.send(new BatchWriteItemCommand({ RequestItems: {} })),
      'ValidationException',
      "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  test('duplicate keys: two puts, or a put and a delete of the same item', async () => {
    await expectDynamoError(
      client.send(new BatchWriteItemCommand({ RequestItems: { [HASH]: [put({ pk: { S: 'd' } }), put({ pk: { S: 'd' }, x: { S: 'y' } })] } })),
      'ValidationException',
      DUPLICATES,
    );
    await expectDynamoError(
      client.send(
        new BatchWriteItemCommand({
          RequestItems: { [COMPOSITE]: [put({ pk: { S: 'd' }, sk: { N: '1' } }), del({ pk: { S: 'd' }, sk: { N: '1.0' } })] },
        }),
      ),
      'ValidationException',
      DUPLICATES,
    );
    expect(await getItem(HASH, { pk: { S: 'd' } })).toBeUndefined();
  });

  test('a missing table fails the whole batch', async () => {
    await expectDynamoError(
      client.send(
        new BatchWriteItemCommand({ RequestItems: { [HASH]: [put({ pk: { S: 'nt' } })], no_such_table: [put({ pk: { S: 'nt' } })] } }),
      ),
      'ResourceNotFoundException',
      'Requested resource not found',
    );
    expect(await getItem(HASH, { pk: { S: 'nt' } })).toBeUndefined();
  });

  test('key and item checks', async () => {
    await expectDynamoError(
      client.send(new BatchWriteItemCommand({ RequestItems: { [HASH]: [put({ other: { S: 'x' } })] } })),
      'ValidationException',
      'The provided key element does not match the schema',
    );
    await expectDynamoError(
      client.send(new BatchWriteItemCommand({ RequestItems: { [HASH]: [del({ pk: { S: 'x' }, extra: { S: 'y' } })] } })),
      'ValidationException',
      'The provided key element does not match the schema',
    );
    await expectDynamoError(
      client.send(new BatchWriteItemCommand({ RequestItems: { [HASH]: [put({ pk: { S: 'big' }, data: { S: 'x'.repeat(400 * 1024) } })] } })),
      'ValidationException',
      'Item size has exceeded the maximum allowed size',
    );
    await expectDynamoError(
      client.send(new BatchWriteItemCommand({ RequestItems: { [HASH]: [{}] } })),
      'ValidationException',
      'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
    );
  });
});

describe('BatchGetItem', () => {
  const KEYS = Array.from({ length: 100 }, (_, i) => ({ pk: { S: `g${String(i).padStart(3, '0')}` } }));

  beforeAll(async () => {
    await writeAll(HASH, KEYS.map((key, i) => ({ ...key, n: { N: String(i) }, name: { S: `name ${i}` }, extra: { S: 'e' } })));
  });

  test('100 keys with a projection; UnprocessedKeys is empty', async () => {
    const response = await eventually('all 100 items readable', async () => {
      const r = await client.send(
        new BatchGetItemCommand({
          RequestItems: { [HASH]: { Keys: KEYS, ProjectionExpression: '#n, n', ExpressionAttributeNames: { '#n': 'name' } } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      expect(r.Responses?.[HASH]).toHaveLength(100);
      return r;
    });
    expect(response.UnprocessedKeys).toEqual({});
    const items = [...response.Responses![HASH]].sort((a, b) => Number(a.n.N) - Number(b.n.N));
    items.forEach((item, i) => expect(item).toEqual({ name: { S: `name ${i}` }, n: { N: String(i) } }));
    expect(response.ConsumedCapacity).toEqual([{ TableName: HASH, CapacityUnits: 50 }]);
  });

  test('missing keys are simply absent; every table appears in Responses', async () => {
    const response = await client.send(
      new BatchGetItemCommand({
        RequestItems: {
          [HASH]: { Keys: [{ pk: { S: 'g000' } }, { pk: { S: 'absent' } }], ConsistentRead: true },
          [COMPOSITE]: { Keys: [{ pk: { S: 'absent' }, sk: { N: '1' } }] },
        },
      }),
    );
    expect(response.UnprocessedKeys).toEqual({});
    expect(response.Responses).toEqual({
      [HASH]: [{ pk: { S: 'g000' }, n: { N: '0' }, name: { S: 'name 0' }, extra: { S: 'e' } }],
      [COMPOSITE]: [],
    });
  });

  test('ConsistentRead sees a write at once and bills whole units', async () => {
    await client.send(new PutItemCommand({ TableName: HASH, Item: { pk: { S: 'fresh' }, v: { N: '1' } } }));
    await client.send(new PutItemCommand({ TableName: HASH, Item: { pk: { S: 'fresh' }, v: { N: '2' } } }));
    const response = await client.send(
      new BatchGetItemCommand({
        RequestItems: { [HASH]: { Keys: [{ pk: { S: 'fresh' } }, { pk: { S: 'g001' } }], ConsistentRead: true, AttributesToGet: ['v', 'n'] } },
        ReturnConsumedCapacity: 'INDEXES',
      }),
    );
    const items = [...response.Responses![HASH]].sort((a, b) => Object.keys(a)[0].localeCompare(Object.keys(b)[0]));
    expect(items).toEqual([{ n: { N: '1' } }, { v: { N: '2' } }]);
    expect(response.ConsumedCapacity).toEqual([{ TableName: HASH, CapacityUnits: 2, Table: { CapacityUnits: 2 } }]);
  });

  test('101 keys for one table: the Keys length constraint', async () => {
    const keys = [...KEYS, { pk: { S: 'g100' } }];
    await expectDynamoError(
      client.send(new BatchGetItemCommand({ RequestItems: { [HASH]: { Keys: keys } } })),
      'ValidationException',
      new RegExp(
        `^1 validation error detected: Value '.*' at 'requestItems\\.${HASH}\\.member\\.keys' failed to satisfy constraint: Member must have length less than or equal to 100$`,
      ),
    );
  });

  test('101 keys across two tables: too many items', async () => {
    await expectDynamoError(
      client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [HASH]: { Keys: KEYS.slice(0, 50) },
            [COMPOSITE]: { Keys: Array.from({ length: 51 }, (_, i) => ({ pk: { S: 'k' }, sk: { N: String(i) } })) },
          },
        }),
      ),
      'ValidationException',
      'Too many items requested for the BatchGetItem call',
    );
  });

  test('duplicate keys', async () => {
    await expectDynamoError(
      client.send(new BatchGetItemCommand({ RequestItems: { [HASH]: { Keys: [{ pk: { S: 'a' } }, { pk: { S: 'a' } }] } } })),
      'ValidationException',
      DUPLICATES,
    );
  });

  test('empty RequestItems, empty Keys, missing table', async () => {
    await expectDynamoError(
      client.send(new BatchGetItemCommand({ RequestItems: {} })),
      'ValidationException',
      "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    await expectDynamoError(
      client.send(new BatchGetItemCommand({ RequestItems: { [HASH]: { Keys: [] } } })),
      'ValidationException',
      `1 validation error detected: Value '[]' at 'requestItems.${HASH}.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1`,
    );
    await expectDynamoError(
      client.send(new BatchGetItemCommand({ RequestItems: { no_such_table: { Keys: [{ pk: { S: 'a' } }] } } })),
      'ResourceNotFoundException',
      'Requested resource not found',
    );
  });

  test('key and expression checks', async () => {
    await expectDynamoError(
      client.send(new BatchGetItemCommand({ RequestItems: { [HASH]: { Keys: [{ nope: { S: 'a' } }] } } })),
      'ValidationException',
      'The provided key element does not match the schema',
    );
    await expectDynamoError(
      client.send(
        new BatchGetItemCommand({ RequestItems: { [HASH]: { Keys: [{ pk: { S: 'a' } }], ProjectionExpression: 'n', AttributesToGet: ['n'] } } }),
      ),
      'ValidationException',
      'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}',
    );
  });

  test('a response over 16 MB stops there: the other keys come back in UnprocessedKeys', async () => {
    const BIG = 'batch_big';
    await createTable(client, BIG, ['pk', 'S']);
    const keys = Array.from({ length: 45 }, (_, i) => ({ pk: { S: `b${String(i).padStart(2, '0')}` } }));
    const data = 'x'.repeat(390_000);
    // Loading 17 MB is not what is tested: puts are idempotent, so the SDK may retry a busy cluster's ServiceUnavailable.
    const loader = dynamoClient(tc.endpoint, { maxAttempts: 5 });
    for (let i = 0; i < keys.length; i += 15) {
      const { UnprocessedItems } = await loader.send(
        new BatchWriteItemCommand({ RequestItems: { [BIG]: keys.slice(i, i + 15).map((key) => put({ ...key, data: { S: data } })) } }),
      );
      expect(UnprocessedItems).toEqual({});
    }
    loader.destroy();
    const first = await client.send(new BatchGetItemCommand({ RequestItems: { [BIG]: { Keys: keys, ConsistentRead: true } } }));
    const returned = first.Responses![BIG];
    const unprocessed = first.UnprocessedKeys![BIG];
    // 16 MiB / ~390 KB: 43 items fit.
    expect(returned).toHaveLength(43);
    expect(unprocessed).toEqual({ Keys: keys.filter((key) => !returned.some((item) => item.pk.S === key.pk.S)), ConsistentRead: true });
    const second = await client.send(new BatchGetItemCommand({ RequestItems: { [BIG]: unprocessed } }));
    expect(second.UnprocessedKeys).toEqual({});
    expect(second.Responses![BIG]).toHaveLength(2);
  });
});
