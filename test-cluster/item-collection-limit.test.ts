/**
 * The item collection limit of tables with local secondary indexes, against a real cluster whose
 * storage nodes are started with a 64 KB limit instead of DynamoDB's 10 GB (the only difference):
 * a write that would grow a collection past it gets ItemCollectionSizeLimitExceededException, writes
 * that shrink it still succeed, other collections are not affected, and ReturnItemCollectionMetrics
 * reports the collection's size range.
 */
import { apiFor, expectError, ok, type Api } from './support/conformance';
import { startTestCluster, type TestCluster } from './support/test-cluster';

const SLOT = 22;
const TABLE = 'collections';
const LIMIT_BYTES = 64 * 1024;
/** An item of about 10 KB. */
const filler = 'x'.repeat(10 * 1024);

let tc: TestCluster;
let api: Api;

beforeAll(async () => {
  tc = await startTestCluster(SLOT, { env: { TRIAD_ITEM_COLLECTION_BYTES_MAX: String(LIMIT_BYTES) } });
  api = apiFor(tc.endpoint);
  ok(
    await api('CreateTable', {
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'rank', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      LocalSecondaryIndexes: [
        {
          IndexName: 'byRank',
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'rank', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
});

afterAll(async () => {
  await tc?.stop();
});

const put = (pk: string, sk: string, extra: Record<string, unknown> = {}) =>
  api('PutItem', { TableName: TABLE, Item: { pk: { S: pk }, sk: { S: sk }, rank: { N: '1' }, body: { S: filler }, ...extra }, ReturnItemCollectionMetrics: 'SIZE' });

test('a collection grows to the limit, then writes that would grow it are refused and writes that shrink it are not', async () => {
  let accepted = 0;
  for (;;) {
    const response = await put('full', `item-${accepted}`);
    if (response.status !== 200) {
      expectError(response, 'ItemCollectionSizeLimitExceededException', 'The total size of an item collection has exceeded the maximum limit of 10 gigabytes.');
      break;
    }
    expect(response.json!.ItemCollectionMetrics).toEqual({ ItemCollectionKey: { pk: { S: 'full' } }, SizeEstimateRangeGB: [0, 1] });
    accepted++;
    expect(accepted).toBeLessThan(10);
  }
  // Items of ~10 KB and their keys-only index entries: six fit in 64 KB, a seventh does not.
  expect(accepted).toBe(6);
  // The refused item was not written, and growing an existing item is refused too.
  expect((await api('GetItem', { TableName: TABLE, Key: { pk: { S: 'full' }, sk: { S: 'item-6' } } })).json).toEqual({});
  expectError(
    await api('UpdateItem', { TableName: TABLE, Key: { pk: { S: 'full' }, sk: { S: 'item-0' } }, UpdateExpression: 'SET more = :m', ExpressionAttributeValues: { ':m': { S: filler } } }),
    'ItemCollectionSizeLimitExceededException',
  );
  // Shrinking is always allowed: an item made smaller, an item deleted; then a new item fits again.
  ok(await api('UpdateItem', { TableName: TABLE, Key: { pk: { S: 'full' }, sk: { S: 'item-0' } }, UpdateExpression: 'REMOVE body' }));
  ok(await api('DeleteItem', { TableName: TABLE, Key: { pk: { S: 'full' }, sk: { S: 'item-1' } } }));
  ok(await put('full', 'item-again'));
  // Another collection of the same table is not affected.
  ok(await put('other', 'item-0'));
});

test('a batch write into a full collection is refused with the same error', async () => {
  for (let i = 0; i < 6; i++) ok(await put('batch', `item-${i}`));
  const response = await api('BatchWriteItem', {
    RequestItems: { [TABLE]: [{ PutRequest: { Item: { pk: { S: 'batch' }, sk: { S: 'one-more' }, rank: { N: '2' }, body: { S: filler } } } }] },
  });
  expectError(response, 'ItemCollectionSizeLimitExceededException');
  expect(tc.unexpectedExits).toEqual([]);
});
