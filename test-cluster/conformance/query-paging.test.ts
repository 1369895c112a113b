import { BatchWriteItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { itemSizeBytes } from '@triad/model';
import { createTable, dynamoClient } from '@triad/harness';
import { startTestCluster, type TestCluster } from '../support/test-cluster';

/**
 * One partition key holding 10,000 items: Query pages forward and backward return every item once,
 * in sort order, and a page without Limit stops at DynamoDB's 1 MB of items read.
 */
const SLOT = 3; // shared with malformed-input.test.ts: cluster tests run one file at a time
const TABLE = 'paging';
const ITEMS = 10_000;
const PADDING = 'x'.repeat(180); // ~200 bytes per item: 10,000 items are ~2 MB, more than one 1 MB page
const PAGE_BYTES_MAX = 1024 * 1024;
const BATCH = 25;

let tc: TestCluster;
let client: DynamoDBClient;

beforeAll(async () => {
  tc = await startTestCluster(SLOT);
  client = dynamoClient(tc.endpoint, { maxAttempts: 5 });
  await createTable(client, TABLE, ['pk', 'S'], ['sk', 'N']);
  const batches: Promise<unknown>[] = [];
  for (let start = 0; start < ITEMS; start += BATCH) {
    const requests = [];
    for (let i = start; i < Math.min(ITEMS, start + BATCH); i++) {
      requests.push({ PutRequest: { Item: { pk: { S: 'one' }, sk: { N: String(i) }, pad: { S: PADDING } } } });
    }
    batches.push(
      (async () => {
        let pending: typeof requests | undefined = requests;
        while (pending && pending.length > 0) {
          const reply = await client.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: pending } }));
          pending = reply.UnprocessedItems?.[TABLE] as typeof requests | undefined;
        }
      })(),
    );
    if (batches.length >= 8) await Promise.all(batches.splice(0));
  }
  await Promise.all(batches);
});

afterAll(async () => {
  client?.destroy();
  await tc?.stop();
});

async function pageAll(forward: boolean, limit?: number): Promise<{ keys: number[]; pages: number[]; pageBytes: number[][] }> {
  const keys: number[] = [];
  const pages: number[] = [];
  /** Per page, the size of each item as DynamoDB counts it. */
  const pageBytes: number[][] = [];
  let start: Record<string, never> | undefined;
  do {
    const reply = await client.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'one' } },
        ScanIndexForward: forward,
        Limit: limit,
        ExclusiveStartKey: start,
        // Every page from the leader: an eventually consistent page may come from a replica that
        // has not applied the last batch yet (paging, not consistency, is what this file checks).
        ConsistentRead: true,
      }),
    );
    pages.push(reply.Count ?? 0);
    pageBytes.push((reply.Items ?? []).map((item) => itemSizeBytes(item as never)));
    for (const item of reply.Items ?? []) keys.push(Number(item.sk.N));
    start = reply.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return { keys, pages, pageBytes };
}

const ascending = Array.from({ length: ITEMS }, (_, i) => i);

it('pages forward through 10,000 items in 1 MB pages, each item once, in order', async () => {
  const { keys, pages, pageBytes } = await pageAll(true);
  expect(keys).toEqual(ascending);
  expect(pages.length).toBeGreaterThanOrEqual(2);
  const sum = (sizes: number[]) => sizes.reduce((a, b) => a + b, 0);
  // A page stops with the item that reaches 1 MB: everything before it is under 1 MB...
  for (const sizes of pageBytes) expect(sum(sizes.slice(0, -1))).toBeLessThan(PAGE_BYTES_MAX);
  // ...and every page but the last did reach it.
  for (const sizes of pageBytes.slice(0, -1)) expect(sum(sizes)).toBeGreaterThanOrEqual(PAGE_BYTES_MAX);
});

it('pages backward through every item once, in reverse order', async () => {
  const { keys } = await pageAll(false);
  expect(keys).toEqual([...ascending].reverse());
});

it('pages with a Limit that does not divide the count', async () => {
  const { keys, pages } = await pageAll(true, 333);
  expect(keys).toEqual(ascending);
  expect(pages.slice(0, -1).every((count) => count === 333)).toBe(true);
  expect(pages[pages.length - 1]).toBe(ITEMS % 333);
});
