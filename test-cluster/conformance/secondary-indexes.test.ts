/**
 * Local and global secondary indexes against a real cluster, through the AWS SDK v3: writes keep
 * every index in step (sparse, projected, moved and removed with the item), Query and Scan read
 * them with DynamoDB's defaults, paging and errors, and UpdateTable backfills a new index.
 */
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  UpdateTableCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { dynamoClient, eventually } from '@triad/harness';
import { startTestCluster, type TestCluster } from '../support/test-cluster';

const SLOT = 17;
const TABLE = 'orders';

let tc: TestCluster;
let client: DynamoDBClient;

beforeAll(async () => {
  tc = await startTestCluster(SLOT);
  client = dynamoClient(tc.endpoint);
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'customer', AttributeType: 'S' },
        { AttributeName: 'orderId', AttributeType: 'S' },
        { AttributeName: 'placed', AttributeType: 'N' },
        { AttributeName: 'status', AttributeType: 'S' },
        { AttributeName: 'total', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'customer', KeyType: 'HASH' },
        { AttributeName: 'orderId', KeyType: 'RANGE' },
      ],
      LocalSecondaryIndexes: [
        {
          IndexName: 'byPlaced',
          KeySchema: [
            { AttributeName: 'customer', KeyType: 'HASH' },
            { AttributeName: 'placed', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byStatus',
          KeySchema: [
            { AttributeName: 'status', KeyType: 'HASH' },
            { AttributeName: 'total', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['note'] },
        },
      ],
    }),
  );
});

afterAll(async () => {
  client?.destroy();
  await tc?.stop();
});

afterEach(() => {
  if (tc) expect(tc.unexpectedExits).toEqual([]);
});

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });

function order(customer: string, orderId: string, fields: { placed?: number; status?: string; total?: number; note?: string; extra?: string }) {
  const item: Record<string, AttributeValue> = { customer: s(customer), orderId: s(orderId) };
  if (fields.placed !== undefined) item.placed = n(fields.placed);
  if (fields.status !== undefined) item.status = s(fields.status);
  if (fields.total !== undefined) item.total = n(fields.total);
  if (fields.note !== undefined) item.note = s(fields.note);
  if (fields.extra !== undefined) item.extra = s(fields.extra);
  return item;
}

const put = (item: Record<string, AttributeValue>, table = TABLE) => client.send(new PutItemCommand({ TableName: table, Item: item }));

async function queryAll(input: QueryCommandInput): Promise<{ items: Record<string, AttributeValue>[]; pages: number }> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  let pages = 0;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
    pages++;
  } while (start);
  return { items, pages };
}

/** A global index is maintained asynchronously, as DynamoDB's are: a Query right after a write may not see it yet. */
function expectIndexed(input: QueryCommandInput, expected: unknown, view = (items: Record<string, AttributeValue>[]): unknown => items) {
  return eventually('the global index to reflect the writes', async () => expect(view((await queryAll(input)).items)).toEqual(expected));
}

async function expectValidation(promise: Promise<unknown>, message: string): Promise<void> {
  const error = await promise.then(() => undefined, (e: unknown) => e as { name: string; message: string; $metadata?: { httpStatusCode?: number } });
  expect(error).toBeDefined();
  expect({ name: error!.name, status: error!.$metadata?.httpStatusCode, message: error!.message }).toEqual({ name: 'ValidationException', status: 400, message });
}

const byStatus = (status: string, extra: Partial<QueryCommandInput> = {}): QueryCommandInput => ({
  TableName: TABLE,
  IndexName: 'byStatus',
  KeyConditionExpression: '#s = :s',
  ExpressionAttributeNames: { '#s': 'status' },
  ExpressionAttributeValues: { ':s': s(status) },
  ...extra,
});

describe('global secondary index', () => {
  beforeAll(async () => {
    // Many customers, so the index's entries of one status lie in many partitions.
    for (let i = 0; i < 40; i++) {
      await put(order(`c${i}`, 'o1', { placed: i, status: i % 2 === 0 ? 'open' : 'shipped', total: 100 - i, note: `n${i}`, extra: 'x' }));
    }
    await put(order('c-sparse', 'o1', { placed: 1, total: 5 })); // no status: not in byStatus
    for (const status of ['open', 'shipped']) await expectIndexed(byStatus(status), 20, (items) => items.length);
  });

  test('Query returns the projected attributes of every entry, ordered by the index sort key', async () => {
    const { items } = await queryAll(byStatus('open'));
    expect(items).toHaveLength(20);
    expect(items.map((i) => Number(i.total.N))).toEqual([...items.map((i) => Number(i.total.N))].sort((a, b) => a - b));
    // INCLUDE ['note']: table keys, index keys and note; not placed or extra.
    expect(Object.keys(items[0]).sort()).toEqual(['customer', 'note', 'orderId', 'status', 'total']);
  });

  test('pages of Limit items cover the index once, forward and backward', async () => {
    const all = (await queryAll(byStatus('shipped'))).items.map((i) => i.customer.S);
    const paged = await queryAll(byStatus('shipped', { Limit: 3 }));
    expect(paged.items.map((i) => i.customer.S)).toEqual(all);
    expect(paged.pages).toBeGreaterThanOrEqual(7);
    const backward = await queryAll(byStatus('shipped', { Limit: 4, ScanIndexForward: false }));
    expect(backward.items.map((i) => i.customer.S)).toEqual([...all].reverse());
    const first = await client.send(new QueryCommand(byStatus('shipped', { Limit: 1 })));
    expect(Object.keys(first.LastEvaluatedKey!).sort()).toEqual(['customer', 'orderId', 'status', 'total']);
  });

  test('a sort key condition narrows the entries', async () => {
    const { items } = await queryAll(
      byStatus('open', { KeyConditionExpression: '#s = :s AND #t BETWEEN :lo AND :hi', ExpressionAttributeNames: { '#s': 'status', '#t': 'total' }, ExpressionAttributeValues: { ':s': s('open'), ':lo': n(70), ':hi': n(80) } }),
    );
    expect(items.map((i) => Number(i.total.N))).toEqual([70, 72, 74, 76, 78, 80]);
  });

  test('writes move, update and remove entries', async () => {
    await put(order('mover', 'o1', { status: 'pending', total: 1, note: 'a' }));
    await expectIndexed(byStatus('pending'), ['a'], (items) => items.map((i) => i.note.S));
    await client.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { customer: s('mover'), orderId: s('o1') },
        UpdateExpression: 'SET #s = :s, note = :n',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': s('held'), ':n': s('b') },
      }),
    );
    await expectIndexed(byStatus('pending'), []);
    await expectIndexed(byStatus('held'), ['b'], (items) => items.map((i) => i.note.S));
    await client.send(new UpdateItemCommand({ TableName: TABLE, Key: { customer: s('mover'), orderId: s('o1') }, UpdateExpression: 'REMOVE #s', ExpressionAttributeNames: { '#s': 'status' } }));
    await expectIndexed(byStatus('held'), []);
    await put(order('mover', 'o1', { status: 'held', total: 2 }));
    await client.send(new DeleteItemCommand({ TableName: TABLE, Key: { customer: s('mover'), orderId: s('o1') } }));
    await expectIndexed(byStatus('held'), []);
  });

  test('BatchWriteItem maintains the index too', async () => {
    await client.send(
      new BatchWriteItemCommand({
        RequestItems: { [TABLE]: [1, 2, 3].map((i) => ({ PutRequest: { Item: order(`b${i}`, 'o1', { status: 'batched', total: i }) } })) },
      }),
    );
    await expectIndexed(byStatus('batched'), ['b1', 'b2', 'b3'], (items) => items.map((i) => i.customer.S));
  });

  test('Scan of the index returns only the items in it, projected', async () => {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: TABLE, IndexName: 'byStatus', Limit: 7, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    expect(items.filter((i) => i.customer.S?.startsWith('c'))).toHaveLength(40);
    expect(items.some((i) => i.customer.S === 'c-sparse')).toBe(false);
    expect(items.every((i) => i.placed === undefined && i.extra === undefined)).toBe(true);
  });

  test("DynamoDB's errors for reads a global index does not allow", async () => {
    await expectValidation(client.send(new QueryCommand(byStatus('open', { ConsistentRead: true }))), 'Consistent reads are not supported on global secondary indexes');
    await expectValidation(
      client.send(new QueryCommand(byStatus('open', { Select: 'ALL_ATTRIBUTES' }))),
      'One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index byStatus because its projection type is not ALL',
    );
    await expectValidation(client.send(new QueryCommand(byStatus('open', { IndexName: 'nope' }))), 'The table does not have the specified index: nope');
  });

  test('an item whose index key has the wrong type or is empty is refused', async () => {
    await expectValidation(
      put({ ...order('bad', 'o1', { total: 1 }), status: n(3) }),
      'One or more parameter values were invalid: Type mismatch for Index Key status Expected: S Actual: N IndexName: byStatus',
    );
    await expectValidation(
      put({ ...order('bad', 'o1', { total: 1 }), status: s('') }),
      'One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: byStatus, IndexKey: status',
    );
    await expectValidation(
      client.send(new UpdateItemCommand({ TableName: TABLE, Key: { customer: s('bad'), orderId: s('o1') }, UpdateExpression: 'SET #t = :t', ExpressionAttributeNames: { '#t': 'total' }, ExpressionAttributeValues: { ':t': s('1') } })),
      'One or more parameter values were invalid: Type mismatch for Index Key total Expected: N Actual: S IndexName: byStatus',
    );
  });
});

describe('local secondary index', () => {
  beforeAll(async () => {
    for (let i = 0; i < 12; i++) await put(order('lsi', `o${String(i).padStart(2, '0')}`, { placed: 1000 - i * 10, status: 'x', note: `n${i}`, extra: 'e' }));
    await put(order('lsi', 'unplaced', { note: 'none' }));
  });

  const byPlaced = (extra: Partial<QueryCommandInput> = {}): QueryCommandInput => ({
    TableName: TABLE,
    IndexName: 'byPlaced',
    KeyConditionExpression: 'customer = :c',
    ExpressionAttributeValues: { ':c': s('lsi') },
    ...extra,
  });

  test('Query orders the collection by the index sort key and projects its keys by default', async () => {
    // Eventually consistent: a replica that has not applied the last puts yet answers without them.
    await eventually('every put in the local index', async () => {
      const { items } = await queryAll(byPlaced());
      expect(items.map((i) => i.orderId.S)).toEqual(['o11', 'o10', 'o09', 'o08', 'o07', 'o06', 'o05', 'o04', 'o03', 'o02', 'o01', 'o00']);
      expect(Object.keys(items[0]).sort()).toEqual(['customer', 'orderId', 'placed']);
    });
  });

  test('ConsistentRead and ALL_ATTRIBUTES fetch whole items, paging with the index key in LastEvaluatedKey', async () => {
    const first = await client.send(new QueryCommand(byPlaced({ ConsistentRead: true, Select: 'ALL_ATTRIBUTES', Limit: 5 })));
    expect(first.Items![0]).toEqual(order('lsi', 'o11', { placed: 890, status: 'x', note: 'n11', extra: 'e' }));
    expect(Object.keys(first.LastEvaluatedKey!).sort()).toEqual(['customer', 'orderId', 'placed']);
    const { items } = await queryAll(byPlaced({ ConsistentRead: true, Limit: 5, ScanIndexForward: false, KeyConditionExpression: 'customer = :c AND placed > :p', ExpressionAttributeValues: { ':c': s('lsi'), ':p': n(950) } }));
    expect(items.map((i) => i.placed.N)).toEqual(['1000', '990', '980', '970', '960']);
  });
});

describe('capacity and item collection metrics', () => {
  test('a write counts the index entries it changes; an index read counts against the index', async () => {
    const written = await client.send(
      new PutItemCommand({ TableName: TABLE, Item: order('cap', 'o1', { placed: 1, status: 'cap', total: 1 }), ReturnConsumedCapacity: 'INDEXES', ReturnItemCollectionMetrics: 'SIZE' }),
    );
    expect(written.ConsumedCapacity).toEqual({
      TableName: TABLE,
      CapacityUnits: 3,
      Table: { CapacityUnits: 1 },
      LocalSecondaryIndexes: { byPlaced: { CapacityUnits: 1 } },
      GlobalSecondaryIndexes: { byStatus: { CapacityUnits: 1 } },
    });
    expect(written.ItemCollectionMetrics).toEqual({ ItemCollectionKey: { customer: s('cap') }, SizeEstimateRangeGB: [0, 1] });
    // Changing only an attribute no index projects writes the table alone (the local entry is rewritten free).
    const updated = await client.send(
      new UpdateItemCommand({ TableName: TABLE, Key: { customer: s('cap'), orderId: s('o1') }, UpdateExpression: 'SET extra = :e', ExpressionAttributeValues: { ':e': s('e') }, ReturnConsumedCapacity: 'TOTAL' }),
    );
    expect(updated.ConsumedCapacity).toEqual({ TableName: TABLE, CapacityUnits: 1 });
    const read = await client.send(new QueryCommand(byStatus('cap', { ReturnConsumedCapacity: 'INDEXES' })));
    expect(read.ConsumedCapacity).toEqual({ TableName: TABLE, CapacityUnits: 0.5, Table: { CapacityUnits: 0 }, GlobalSecondaryIndexes: { byStatus: { CapacityUnits: 0.5 } } });
  });
});

describe('UpdateTable adds and removes a global index', () => {
  const table = 'backfilled';

  test('a new index is backfilled from existing items, becomes ACTIVE, and can be deleted', async () => {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    for (let i = 0; i < 60; i++) await put({ id: s(`item${i}`), colour: s(i % 3 === 0 ? 'red' : 'blue'), size: n(i) }, table);
    await client.send(
      new UpdateTableCommand({
        TableName: table,
        AttributeDefinitions: [
          { AttributeName: 'colour', AttributeType: 'S' },
          { AttributeName: 'size', AttributeType: 'N' },
        ],
        GlobalSecondaryIndexUpdates: [
          { Create: { IndexName: 'byColour', KeySchema: [{ AttributeName: 'colour', KeyType: 'HASH' }, { AttributeName: 'size', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } } },
        ],
      }),
    );
    // Written while the index is being built: must be in it too.
    await put({ id: s('late'), colour: s('red'), size: n(1000) }, table);
    await eventually(
      'the index to become ACTIVE',
      async () => {
        const description = await client.send(new DescribeTableCommand({ TableName: table }));
        expect(description.Table!.GlobalSecondaryIndexes?.[0]?.IndexStatus).toBe('ACTIVE');
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    await expectIndexed(
      { TableName: table, IndexName: 'byColour', KeyConditionExpression: 'colour = :c', ExpressionAttributeValues: { ':c': s('red') } },
      [...Array.from({ length: 20 }, (_, k) => k * 3), 1000],
      (items) => items.map((i) => Number(i.size.N)),
    );

    await client.send(new UpdateTableCommand({ TableName: table, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'byColour' } }] }));
    await eventually(
      'the index to be gone',
      async () => {
        const description = await client.send(new DescribeTableCommand({ TableName: table }));
        expect(description.Table!.GlobalSecondaryIndexes).toBeUndefined();
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    await expectValidation(
      client.send(new QueryCommand({ TableName: table, IndexName: 'byColour', KeyConditionExpression: 'colour = :c', ExpressionAttributeValues: { ':c': s('red') } })),
      'The table does not have the specified index: byColour',
    );
  });
});
