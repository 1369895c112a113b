/**
 * DescribeTable's approximate figures against a real cluster: ItemCount and TableSizeBytes of a
 * table, ItemCount and IndexSizeBytes of its local and global indexes (sparse, with projected
 * sizes), recounted in the background by the routers. The recount interval is shortened for the
 * test; the figures are polled with a deadline, since a recount (and, for a global index, the
 * delivery of its entries) lands some time after the writes.
 */
import {
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { itemSizeBytes, type Item as ModelItem } from '@triad/model';
import { dynamoClient, eventually, mapLimit } from '@triad/harness';
import { startTestCluster, type TestCluster } from './support/test-cluster';

const SLOT = 20;
const TABLE = 'stats';
const ITEMS = 60;
const DELETED = 6;
/** Recounts every half second here (60 s by default). */
const INTERVAL_MS = 500;

let tc: TestCluster;
let client: DynamoDBClient;

beforeAll(async () => {
  tc = await startTestCluster(SLOT, { env: { TRIAD_TABLE_STATS_INTERVAL_MS: String(INTERVAL_MS) } });
  client = dynamoClient(tc.endpoint);
});

afterAll(async () => {
  client?.destroy();
  await tc?.stop();
});

afterEach(() => {
  if (tc) expect(tc.unexpectedExits).toEqual([]);
});

/** Item i: every item in the table; those with `l` (every other one) in the local index, those with `g` (every third) in the global one. */
function item(i: number): Item {
  return {
    pk: { S: `customer-${i % 7}` },
    sk: { S: `order-${String(i).padStart(4, '0')}` },
    note: { S: 'x'.repeat(i) },
    amount: { N: String(i * 3) },
    ...(i % 2 === 0 ? { l: { S: `l-${i}` } } : {}),
    ...(i % 3 === 0 ? { g: { S: `group-${i % 4}` } } : {}),
  };
}

type Item = Record<string, AttributeValue>;

const pick = (source: Item, names: string[]): Item => Object.fromEntries(names.filter((n) => source[n] !== undefined).map((n) => [n, source[n]]));

interface Figures {
  table: [number, number];
  local: [number, number];
  global: [number, number];
}

/** What DynamoDB would count for these items: sizes of the items, and of the index entries' projections. */
function expectedFigures(items: Item[]): Figures {
  // Strings and numbers only: the SDK's attribute values and the model's have the same shape here.
  const sum = (entries: Item[]): [number, number] => [entries.length, entries.reduce((total, e) => total + itemSizeBytes(e as ModelItem), 0)];
  return {
    table: sum(items),
    // INCLUDE note: the table's keys, the index's keys and note.
    local: sum(items.filter((i) => i.l).map((i) => pick(i, ['pk', 'sk', 'l', 'note']))),
    // KEYS_ONLY: the table's keys and the index's key.
    global: sum(items.filter((i) => i.g).map((i) => pick(i, ['pk', 'sk', 'g']))),
  };
}

function figuresOf(table: TableDescription | undefined): Figures {
  const local = table?.LocalSecondaryIndexes?.[0];
  const global = table?.GlobalSecondaryIndexes?.[0];
  return {
    table: [table?.ItemCount ?? -1, table?.TableSizeBytes ?? -1],
    local: [local?.ItemCount ?? -1, local?.IndexSizeBytes ?? -1],
    global: [global?.ItemCount ?? -1, global?.IndexSizeBytes ?? -1],
  };
}

const describeFigures = async () => figuresOf((await client.send(new DescribeTableCommand({ TableName: TABLE }))).Table);

test('ItemCount and sizes of a table and its indexes follow its items, tombstones left out', async () => {
  const { TableDescription: created } = await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'l', AttributeType: 'S' },
        { AttributeName: 'g', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      LocalSecondaryIndexes: [
        {
          IndexName: 'byL',
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'l', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['note'] },
        },
      ],
      GlobalSecondaryIndexes: [{ IndexName: 'byG', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
    }),
  );
  // A new table: zeros, as in DynamoDB.
  expect(figuresOf(created)).toEqual({ table: [0, 0], local: [0, 0], global: [0, 0] });

  const items = Array.from({ length: ITEMS }, (_, i) => item(i));
  await mapLimit(items, 8, (i) => client.send(new PutItemCommand({ TableName: TABLE, Item: i })));
  // Overwrites do not add to the count.
  await mapLimit(items.slice(0, 10), 8, (i) => client.send(new PutItemCommand({ TableName: TABLE, Item: i })));
  const all = expectedFigures(items);
  expect(all.local[0]).toBeGreaterThan(0);
  expect(all.global[0]).toBeGreaterThan(0);
  await eventually('DescribeTable to count every item and index entry', async () => expect(await describeFigures()).toEqual(all), {
    timeoutMs: 30_000,
    intervalMs: 200,
  });

  // Deleted items leave tombstones behind, in the table and in both indexes; none of them count.
  const deleted = items.slice(0, DELETED);
  await mapLimit(deleted, 8, (i) => client.send(new DeleteItemCommand({ TableName: TABLE, Key: pick(i, ['pk', 'sk']) })));
  const left = expectedFigures(items.slice(DELETED));
  await eventually('DescribeTable to leave deleted items out', async () => expect(await describeFigures()).toEqual(left), {
    timeoutMs: 30_000,
    intervalMs: 200,
  });

  // DeleteTable answers with the last figures, as DynamoDB does.
  const { TableDescription: dropped } = await client.send(new DeleteTableCommand({ TableName: TABLE }));
  expect(figuresOf(dropped)).toEqual(left);
});
