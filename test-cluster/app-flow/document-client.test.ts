/**
 * The small-shop application flow (README.md in this folder) through the AWS SDK for JavaScript v3
 * DocumentClient (@aws-sdk/lib-dynamodb), configured as for AWS but for the endpoint: plain
 * JavaScript values, BatchWrite with UnprocessedItems, paginateQuery, conditional updates,
 * concurrent counters and the table waiters, on a table with two global secondary indexes.
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceNotFoundException,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  paginateQuery,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { TEST_CREDENTIALS, eventually } from '@triad/harness';
import { startTestCluster, type TestCluster } from '../support/test-cluster';
import {
  BATCH_WRITE_REQUESTS_MAX,
  TABLE,
  afterShipping,
  chunks,
  entities,
  gsi1KeyOf,
  gsi2Entries,
  itemsOf,
  keyOf,
  order,
  ordersNewestFirst,
  ordersWithStatus,
  scanExpectations,
  scenario,
  tableInput,
  userProfile,
  type Entity,
} from './shop';

const SLOT = 18;
/** Rounds of re-sending UnprocessedItems before the test gives up. */
const UNPROCESSED_ROUNDS_MAX = 10;
/** How long a read of a global index (eventually consistent) may take to show a write. */
const INDEX_CATCH_UP_MS = 10_000;

let tc: TestCluster;
let client: DynamoDBClient;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  tc = await startTestCluster(SLOT);
  // As an application configures it for AWS, but for the endpoint (and the test suite's credentials).
  client = new DynamoDBClient({
    endpoint: tc.endpoint,
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
  });
  doc = DynamoDBDocumentClient.from(client);
});

afterAll(async () => {
  doc?.destroy();
  await tc?.stop();
});

afterEach(() => {
  if (tc) expect(tc.unexpectedExits).toEqual([]);
});

/** BatchWrite of any number of requests: 25 per call, re-sending UnprocessedItems with a short backoff. */
async function batchWrite(requests: NonNullable<BatchWriteCommandInput['RequestItems']>[string]): Promise<number> {
  let calls = 0;
  for (const chunk of chunks(requests, BATCH_WRITE_REQUESTS_MAX)) {
    let pending: BatchWriteCommandInput['RequestItems'] = { [TABLE]: chunk };
    for (let round = 0; pending && Object.keys(pending).length > 0; round++) {
      if (round === UNPROCESSED_ROUNDS_MAX) throw new Error(`still unprocessed after ${round} rounds: ${JSON.stringify(pending)}`);
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
      const answer: BatchWriteCommandOutput = await doc.send(new BatchWriteCommand({ RequestItems: pending }));
      calls++;
      pending = answer.UnprocessedItems;
    }
  }
  return calls;
}

async function expectConditionalCheckFailed(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConditionalCheckFailedException);
  expect((error as Error).name).toBe('ConditionalCheckFailedException');
}

async function queryAll(input: QueryCommandInput): Promise<Entity[]> {
  const items: Entity[] = [];
  for await (const page of paginateQuery({ client: doc }, input)) items.push(...(page.Items ?? []));
  return items;
}

const userOrdersQuery = (userId: string): QueryCommandInput => ({
  TableName: TABLE,
  KeyConditionExpression: 'PK = :pk AND begins_with(SK, :order)',
  ExpressionAttributeValues: { ':pk': `USER#${userId}`, ':order': 'ORDER#' },
  ScanIndexForward: false,
  ConsistentRead: true,
});

const gsi1Query = (status: string): QueryCommandInput => ({
  TableName: TABLE,
  IndexName: 'GSI1',
  KeyConditionExpression: 'GSI1PK = :status',
  ExpressionAttributeValues: { ':status': `STATUS#${status}` },
});

const gsi2Query = (gsi2pk: string): QueryCommandInput => ({
  TableName: TABLE,
  IndexName: 'GSI2',
  KeyConditionExpression: 'GSI2PK = :pk',
  ExpressionAttributeValues: { ':pk': gsi2pk },
});

function expectIndexesActive(description: Record<string, any> | undefined): void {
  const indexes = [...(description?.GlobalSecondaryIndexes ?? [])].sort((a, b) => a.IndexName.localeCompare(b.IndexName));
  expect(indexes.map((index) => ({ name: index.IndexName, status: index.IndexStatus, keys: index.KeySchema, projection: index.Projection }))).toEqual(
    tableInput.GlobalSecondaryIndexes!.map((index) => ({
      name: index.IndexName,
      status: 'ACTIVE',
      keys: index.KeySchema,
      projection: index.Projection,
    })),
  );
}

describe('small-shop flow through the DocumentClient (@aws-sdk/lib-dynamodb)', () => {
  test('1. create the table with two GSIs and wait until it exists', async () => {
    const { TableDescription } = await client.send(new CreateTableCommand(tableInput));
    expect(TableDescription?.TableName).toBe(TABLE);
    expect(['CREATING', 'ACTIVE']).toContain(TableDescription?.TableStatus);

    const waited = await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: TABLE });
    expect(waited.state).toBe('SUCCESS');
    const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(Table).toMatchObject({ TableStatus: 'ACTIVE', KeySchema: tableInput.KeySchema, BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' } });
    expectIndexesActive(Table);
  });

  test(`2. batch-write all ${entities.length} entities, re-sending UnprocessedItems`, async () => {
    const calls = await batchWrite(entities.map((entity) => ({ PutRequest: { Item: entity } })));
    expect(calls).toBeGreaterThanOrEqual(Math.ceil(entities.length / BATCH_WRITE_REQUESTS_MAX));
    const someone = userProfile(scenario.pagedUser);
    const [{ Item }, { Count }] = await Promise.all([
      doc.send(new GetCommand({ TableName: TABLE, Key: keyOf(someone), ConsistentRead: true })),
      doc.send(new ScanCommand({ TableName: TABLE, Select: 'COUNT', ConsistentRead: true })),
    ]);
    expect(Item).toEqual(someone);
    expect(Count).toBe(entities.length);
  });

  test("3. page through a user's orders newest first: Limit + ExclusiveStartKey, then paginateQuery", async () => {
    const expected = ordersNewestFirst(scenario.pagedUser);
    const pageSize = scenario.pageSize;

    const pages: Entity[][] = [];
    let startKey: Record<string, any> | undefined;
    do {
      const page = await doc.send(new QueryCommand({ ...userOrdersQuery(scenario.pagedUser), Limit: pageSize, ExclusiveStartKey: startKey }));
      pages.push(page.Items ?? []);
      startKey = page.LastEvaluatedKey;
      // A page cut short by Limit ends with its last item's key; the last page has none.
      if (startKey) expect(startKey).toEqual(keyOf(page.Items![page.Items!.length - 1]));
      if (pages.length > expected.length) throw new Error('pagination does not end');
    } while (startKey);
    expect(pages.map((page) => page.length)).toEqual([5, 5, 2]);
    expect(pages.flat()).toEqual(expected);

    const paginated: Entity[][] = [];
    for await (const page of paginateQuery({ client: doc, pageSize }, userOrdersQuery(scenario.pagedUser))) {
      paginated.push(page.Items ?? []);
    }
    expect(paginated.map((page) => page.length)).toEqual([5, 5, 2]);
    expect(paginated.flat()).toEqual(expected);
  });

  test('4. GSI1: every order with a status, through paginateQuery (projection ALL)', async () => {
    const expected = ordersWithStatus(scenario.status);
    expect(expected.length).toBeGreaterThan(4);
    await eventually(`GSI1 to list the ${scenario.status} orders`, async () => {
      const pages: Entity[][] = [];
      const lastKeys: Entity[] = [];
      for await (const page of paginateQuery({ client: doc, pageSize: 4 }, gsi1Query(scenario.status))) {
        pages.push(page.Items ?? []);
        if (page.LastEvaluatedKey) lastKeys.push(page.LastEvaluatedKey);
      }
      expect(pages.flat()).toEqual(expected);
      expect(pages.map((page) => page.length)).toEqual([4, expected.length - 4]);
      expect(lastKeys).toEqual([gsi1KeyOf(expected[3])]);
    }, { timeoutMs: INDEX_CATCH_UP_MS });
  });

  test('5. GSI2: a user by email (INCLUDE projection) and the order items of a product', async () => {
    const user = entities.find((e) => e.email === scenario.email)!;
    await eventually('GSI2 to find the user by email and the items by product', async () => {
      const { Items: byEmail } = await doc.send(new QueryCommand(gsi2Query(`EMAIL#${scenario.email}`)));
      expect(byEmail).toEqual([{ PK: user.PK, SK: 'PROFILE', GSI2PK: user.GSI2PK, GSI2SK: 'PROFILE', name: user.name }]);
      expect(await queryAll(gsi2Query(`PRODUCT#${scenario.product}`))).toEqual(gsi2Entries(`PRODUCT#${scenario.product}`));
    }, { timeoutMs: INDEX_CATCH_UP_MS });
  });

  test('6. ship an order only if it is still PENDING; the second attempt fails; GSI1 follows', async () => {
    const { orderId, shippedAt } = scenario.shipOrder;
    const target = order(orderId);
    expect(target.status).toBe('PENDING');
    const ship = () =>
      doc.send(
        new UpdateCommand({
          TableName: TABLE,
          Key: keyOf(target),
          UpdateExpression: 'SET #status = :shipped, GSI1PK = :gsi1pk, shippedAt = :at',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':shipped': 'SHIPPED', ':gsi1pk': 'STATUS#SHIPPED', ':at': shippedAt, ':pending': 'PENDING' },
          ReturnValues: 'ALL_NEW',
        }),
      );
    const { Attributes } = await ship();
    expect(Attributes).toEqual({ ...target, status: 'SHIPPED', GSI1PK: 'STATUS#SHIPPED', shippedAt });
    await expectConditionalCheckFailed(ship());

    const shipped = afterShipping();
    await eventually('GSI1 to move the order from PENDING to SHIPPED', async () => {
      const [pending, shippedNow] = await Promise.all([queryAll(gsi1Query('PENDING')), queryAll(gsi1Query('SHIPPED'))]);
      expect(pending).toEqual(ordersWithStatus('PENDING', shipped));
      expect(shippedNow).toEqual(ordersWithStatus('SHIPPED', shipped));
    }, { timeoutMs: INDEX_CATCH_UP_MS });
  });

  test('7. counters: concurrent ADD and SET x = x + :n on one user end exactly right', async () => {
    const { userId, adds, sets, setStep } = scenario.counter;
    const profile = userProfile(userId);
    const update = (expression: string, value: number) =>
      doc.send(
        new UpdateCommand({
          TableName: TABLE,
          Key: keyOf(profile),
          UpdateExpression: expression,
          ExpressionAttributeValues: { ':n': value },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
    const results = await Promise.all([
      ...Array.from({ length: adds }, () => update('ADD orderCount :n', 1)),
      ...Array.from({ length: sets }, () => update('SET orderCount = orderCount + :n', setStep)),
    ]);
    const final = profile.orderCount + adds + sets * setStep;
    const returned = results.map((result) => result.Attributes?.orderCount as number);
    expect(new Set(returned).size).toBe(adds + sets);
    expect(Math.max(...returned)).toBe(final);
    const { Item } = await doc.send(new GetCommand({ TableName: TABLE, Key: keyOf(profile), ConsistentRead: true }));
    expect(Item).toEqual({ ...profile, orderCount: final });
  });

  test('8. create a user only if it does not exist (attribute_not_exists)', async () => {
    const createIfAbsent = (item: Entity) =>
      doc.send(new PutCommand({ TableName: TABLE, Item: item, ConditionExpression: 'attribute_not_exists(PK)' }));
    await createIfAbsent(scenario.newUser);
    await expectConditionalCheckFailed(createIfAbsent({ ...scenario.newUser, name: 'Someone Else' }));
    const existing = userProfile(scenario.pagedUser);
    await expectConditionalCheckFailed(createIfAbsent({ ...existing, name: 'Mallory', orderCount: 0 }));

    const [{ Item: created }, { Item: untouched }] = await Promise.all([
      doc.send(new GetCommand({ TableName: TABLE, Key: keyOf(scenario.newUser), ConsistentRead: true })),
      doc.send(new GetCommand({ TableName: TABLE, Key: keyOf(existing), ConsistentRead: true })),
    ]);
    expect(created).toEqual(scenario.newUser);
    expect(untouched).toEqual(existing);
    await eventually('GSI2 to find the new user by email', async () => {
      const { Items } = await doc.send(new QueryCommand(gsi2Query(scenario.newUser.GSI2PK)));
      expect(Items).toEqual(gsi2Entries(scenario.newUser.GSI2PK, [scenario.newUser]));
    }, { timeoutMs: INDEX_CATCH_UP_MS });
  });

  test('9. delete an order and its items; they vanish from the table and both GSIs', async () => {
    const { userId, orderId } = scenario.deleteOrder;
    const target = order(orderId);
    const items = itemsOf(orderId);
    const { Items: itemKeys } = await doc.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': `ORDER#${orderId}` },
        ProjectionExpression: 'PK, SK',
        ConsistentRead: true,
      }),
    );
    expect(itemKeys).toEqual(items.map(keyOf));
    await batchWrite([...itemKeys!, keyOf(target)].map((key) => ({ DeleteRequest: { Key: key } })));

    const [{ Item: gone }, { Count: itemsLeft }, userOrders] = await Promise.all([
      doc.send(new GetCommand({ TableName: TABLE, Key: keyOf(target), ConsistentRead: true })),
      doc.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': `ORDER#${orderId}` }, ConsistentRead: true })),
      queryAll(userOrdersQuery(userId)),
    ]);
    expect(gone).toBeUndefined();
    expect(itemsLeft).toBe(0);
    expect(userOrders).toEqual(ordersNewestFirst(userId).filter((e) => e.orderId !== orderId));

    const left = afterShipping().filter((e) => e.orderId !== orderId);
    const products = [...new Set(items.map((item) => item.GSI2PK as string))];
    await eventually('the deleted order and its items to leave GSI1 and GSI2', async () => {
      expect(await queryAll(gsi1Query(target.status))).toEqual(ordersWithStatus(target.status, left));
      for (const product of products) expect(await queryAll(gsi2Query(product))).toEqual(gsi2Entries(product, left));
    }, { timeoutMs: INDEX_CATCH_UP_MS });
  });

  test('10. scan the order items with a filter and Select COUNT, page by page (Limit), following LastEvaluatedKey', async () => {
    let count = 0;
    let scannedCount = 0;
    let startKey: Record<string, any> | undefined;
    let pages = 0;
    do {
      const page = await doc.send(
        new ScanCommand({
          TableName: TABLE,
          FilterExpression: 'begins_with(SK, :item) AND quantity >= :min',
          ExpressionAttributeValues: { ':item': 'ITEM#', ':min': scenario.scanMinQuantity },
          Select: 'COUNT',
          ConsistentRead: true,
          Limit: scenario.scanPageSize,
          ExclusiveStartKey: startKey,
        }),
      );
      expect(page.Items).toBeUndefined();
      count += page.Count ?? 0;
      scannedCount += page.ScannedCount ?? 0;
      startKey = page.LastEvaluatedKey;
      if (++pages > 100) throw new Error('scan does not end');
    } while (startKey);
    expect(pages).toBeGreaterThan(1);
    expect({ count, scannedCount }).toEqual(scanExpectations());
  });

  test('11. DescribeTable shows both GSIs ACTIVE; delete the table and wait until it is gone', async () => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    expectIndexesActive(Table);

    const { TableDescription } = await client.send(new DeleteTableCommand({ TableName: TABLE }));
    expect(TableDescription?.TableName).toBe(TABLE);
    const waited = await waitUntilTableNotExists({ client, maxWaitTime: 60 }, { TableName: TABLE });
    expect(waited.state).toBe('SUCCESS');
    const { TableNames } = await client.send(new ListTablesCommand({}));
    expect(TableNames).not.toContain(TABLE);
    const error = await client.send(new DescribeTableCommand({ TableName: TABLE })).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
  });
});
