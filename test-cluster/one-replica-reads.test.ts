/**
 * An eventually consistent read needs one live replica, not a majority: with two of the three
 * storage nodes stopped (paused with SIGSTOP, so that calls to them stall rather than fail, or
 * killed), GetItem, BatchGetItem, Query and Scan without ConsistentRead are all served by the one
 * left, while strongly consistent reads and writes, which need a majority, are answered with a
 * retriable ServiceUnavailable instead of hanging. With no replica reachable at all, eventual reads
 * fail the same retriable way.
 */
import {
  BatchGetItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Item } from '@triad/model';
import { createTable, dynamoClient, eventually, mapLimit } from '@triad/harness';
import { CLOCK_DRIFT_MARGIN_MS, LEASE_DURATION_MS } from '@triad/replication';
import { ReplicaInspector, inspectReplicas, keyText, missingCopies, type CatalogEntry } from './support/replica-inspector';
import { STORAGE_NODE_IDS, logTail, startTestCluster, type TestCluster } from './support/test-cluster';

const SLOT = 28;
const TABLE = 'lone-replica';
const GROUPS = 8;
const ITEMS_PER_GROUP = 6;
/**
 * The router gives up on a request after 10 s (REQUEST_DEADLINE_MS) and a single call to a node
 * after 2 s; a request answered later than this hung. The SDK's own timeout is above it, so that a
 * hang shows as this test's failure and not as a client timeout.
 */
const ANSWER_MS_MAX = 20_000;

let tc: TestCluster;
/** The client under test: no SDK retries, so that every failure shows. */
let client: DynamoDBClient;
/** Loading only: puts are idempotent, so the SDK may retry a ServiceUnavailable of a busy node. */
let loader: DynamoDBClient;
let inspector: ReplicaInspector;
let table: CatalogEntry;

const items: Item[] = [];
for (let g = 0; g < GROUPS; g++) {
  for (let n = 0; n < ITEMS_PER_GROUP; n++) items.push({ g: { S: `group-${g}` }, n: { N: String(n) }, body: { S: `item ${g}/${n}` } });
}

beforeAll(async () => {
  tc = await startTestCluster(SLOT);
  client = dynamoClient(tc.endpoint, { requestTimeoutMs: ANSWER_MS_MAX + 10_000 });
  loader = dynamoClient(tc.endpoint, { maxAttempts: 5 });
  inspector = new ReplicaInspector(tc.cluster.layout, tc.cluster.grpcSecurity);
  await createTable(loader, TABLE, ['g', 'S'], ['n', 'N']);
  await mapLimit(items, 8, (item) => loader.send(new PutItemCommand({ TableName: TABLE, Item: item as never })));
  table = await eventually(`${TABLE} in the catalog of storage-a-1`, async () => {
    const entry = await inspector.table('storage-a-1', TABLE);
    if (!entry) throw new Error('not yet');
    return entry;
  });
  // Whichever node is left must hold every item: wait for the third copy of each write.
  await eventually('every item on all three replicas', async () => {
    const report = await inspectReplicas(inspector, table, items);
    const missing = missingCopies(report, 'all');
    if (report.problems.length > 0 || missing.length > 0) throw new Error([...report.problems, ...missing].slice(0, 10).join('\n'));
  });
});

afterAll(async () => {
  if (tc) for (const id of STORAGE_NODE_IDS) await tc.cluster.signal(id, 'SIGCONT');
  inspector?.close();
  client?.destroy();
  loader?.destroy();
  await tc?.stop();
});

const byKey = (list: Item[]) => new Map(list.map((item) => [keyText(table.keySchema, item), item]));

async function expectEventualReadsServed(): Promise<void> {
  // GetItem, every item.
  await mapLimit(items, 8, async (item) => {
    const { Item } = await client.send(new GetItemCommand({ TableName: TABLE, Key: { g: item.g, n: item.n } as never }));
    expect(Item).toEqual(item);
  });
  // Query, every group (one partition each).
  for (let g = 0; g < GROUPS; g++) {
    const { Items } = await client.send(
      new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': { S: `group-${g}` } } }),
    );
    expect(Items).toEqual(items.filter((item) => (item.g as { S: string }).S === `group-${g}`));
  }
  // Scan, page by page over every partition.
  const scanned: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: TABLE, Limit: 10, ExclusiveStartKey: start as never }));
    scanned.push(...((page.Items ?? []) as Item[]));
    start = page.LastEvaluatedKey;
  } while (start);
  expect(scanned).toHaveLength(items.length);
  expect(byKey(scanned)).toEqual(byKey(items));
  // BatchGetItem, every item in one batch: nothing left unprocessed.
  const batch = await client.send(
    new BatchGetItemCommand({ RequestItems: { [TABLE]: { Keys: items.map((item) => ({ g: item.g, n: item.n })) as never } } }),
  );
  expect(batch.UnprocessedKeys ?? {}).toEqual({});
  expect(byKey((batch.Responses?.[TABLE] ?? []) as Item[])).toEqual(byKey(items));
}

/** Runs a request that must fail with DynamoDB's retriable ServiceUnavailable (503), and in bounded time. */
async function expectRetriableRefusal(what: string, request: () => Promise<unknown>): Promise<void> {
  const started = Date.now();
  const error = await request().then(
    () => undefined,
    (e: unknown) => e as { name: string; message: string; $metadata?: { httpStatusCode?: number } },
  );
  const elapsedMs = Date.now() - started;
  expect({ what, name: error?.name, status: error?.$metadata?.httpStatusCode }).toEqual({ what, name: 'ServiceUnavailable', status: 503 });
  expect(elapsedMs).toBeLessThan(ANSWER_MS_MAX);
}

/** Strong reads and writes need a majority of the item's replicas. */
async function expectStrongRequestsRefused(): Promise<void> {
  const item = items[0];
  await expectRetriableRefusal('strongly consistent GetItem', () =>
    client.send(new GetItemCommand({ TableName: TABLE, Key: { g: item.g, n: item.n } as never, ConsistentRead: true })),
  );
  await expectRetriableRefusal('strongly consistent Query', () =>
    client.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': item.g as never }, ConsistentRead: true })),
  );
  await expectRetriableRefusal('PutItem', () => client.send(new PutItemCommand({ TableName: TABLE, Item: { ...item, body: { S: 'never acknowledged' } } as never })));
}

/** Waits until the whole cluster serves strong reads again (leaders elected, the catalog readable). */
async function awaitMajorityBack(): Promise<void> {
  await eventually(
    'strongly consistent reads of every group served again',
    async () => {
      for (let g = 0; g < GROUPS; g++) {
        await client.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': { S: `group-${g}` } }, ConsistentRead: true }));
      }
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

/** Runs `body`, adding the router's log to a failure. */
async function withRouterLog(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- router log ---\n${logTail(tc.dataDir, 'router-1')}`);
  }
}

test.each([
  // The router's own zone (a) paused: reads sent there stall until the router moves on.
  { stopped: ['storage-a-1', 'storage-b-1'], signal: 'SIGSTOP' as const, left: 'storage-c-1' },
  { stopped: ['storage-a-1', 'storage-c-1'], signal: 'SIGKILL' as const, left: 'storage-b-1' },
])('with $stopped stopped ($signal), $left alone serves eventual reads; strong reads and writes are refused as retriable', async ({ stopped, signal }) => {
  for (const id of stopped) await tc.cluster.signal(id, signal);
  const stoppedAt = Date.now();
  try {
    await withRouterLog(async () => {
      await expectEventualReadsServed();
      // A leader alone may still serve strong reads inside the lease its followers granted before they
      // stopped: that is linearizable. Past it, it must refuse. (The eventual reads take about that long.)
      const leaseEndsInMs = stoppedAt + LEASE_DURATION_MS + CLOCK_DRIFT_MARGIN_MS - Date.now();
      if (leaseEndsInMs > 0) await new Promise((resolve) => setTimeout(resolve, leaseEndsInMs));
      await expectStrongRequestsRefused();
      // Still served after the refusals (the router's view of the stopped nodes has settled by now).
      await expectEventualReadsServed();
    });
  } finally {
    for (const id of stopped) {
      if (signal === 'SIGSTOP') await tc.cluster.signal(id, 'SIGCONT');
      else await tc.cluster.startNode(id);
    }
  }
  await awaitMajorityBack();
  expect(tc.unexpectedExits).toEqual([]);
});

test('with every replica stopped, an eventually consistent read fails as retriable instead of hanging', async () => {
  for (const id of STORAGE_NODE_IDS) await tc.cluster.signal(id, 'SIGSTOP');
  try {
    const item = items[0];
    await withRouterLog(() =>
      expectRetriableRefusal('eventually consistent GetItem', () => client.send(new GetItemCommand({ TableName: TABLE, Key: { g: item.g, n: item.n } as never }))),
    );
  } finally {
    for (const id of STORAGE_NODE_IDS) await tc.cluster.signal(id, 'SIGCONT');
  }
  await awaitMajorityBack();
  await expectEventualReadsServed();
  expect(tc.unexpectedExits).toEqual([]);
});
