/**
 * Global secondary indexes are partitioned and replicated by their own key and maintained
 * asynchronously from the items' committed writes: each entry lives on the replicas of the
 * partition of the index's partition key (not its item's), and the index converges on the table's
 * contents even when a storage node is SIGKILLed while items move between index keys.
 */
import { CreateTableCommand, PutItemCommand, QueryCommand, ScanCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { encodeKeyValue } from '@triad/model';
import { partitionOfKey } from '@triad/ring';
import { dynamoClient, eventually, mapLimit, scrapeMetrics, sumMetric, waitForActive } from '@triad/harness';
import { ReplicaInspector, type CatalogEntry } from './support/replica-inspector';
import { STORAGE_NODE_IDS, startTestCluster, type TestCluster } from './support/test-cluster';

const SLOT = 21;
const TABLE = 'players';
const ITEMS = 300;
const GROUPS = 12;

let tc: TestCluster;
let client: DynamoDBClient;
let inspector: ReplicaInspector;
let table: CatalogEntry;

const s = (value: string): AttributeValue => ({ S: value });
const groupOf = (i: number, round: number) => `group-${(i * 7 + round) % GROUPS}`;

beforeAll(async () => {
  tc = await startTestCluster(SLOT);
  client = dynamoClient(tc.endpoint);
  inspector = new ReplicaInspector(tc.cluster.layout, tc.cluster.grpcSecurity);
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: 'grp', AttributeType: 'S' },
        { AttributeName: 'score', AttributeType: 'N' },
      ],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byGroup',
          KeySchema: [
            { AttributeName: 'grp', KeyType: 'HASH' },
            { AttributeName: 'score', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
  await waitForActive(client, TABLE);
  table = await eventually(`${TABLE} in the catalog of storage-a-1`, async () => {
    const entry = await inspector.table('storage-a-1', TABLE);
    if (!entry) throw new Error('not yet');
    return entry;
  });
  await mapLimit(
    Array.from({ length: ITEMS }, (_, i) => i),
    16,
    (i) => client.send(new PutItemCommand({ TableName: TABLE, Item: { id: s(`p${i}`), grp: s(groupOf(i, 0)), score: { N: String(i) } } })),
  );
});

afterAll(async () => {
  inspector?.close();
  client?.destroy();
  await tc?.stop();
});

/** Every group's members as the table says (a consistent Scan), as `group → sorted ids`. */
async function tableTruth(): Promise<Map<string, string[]>> {
  const groups = new Map<string, string[]>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) groups.set(item.grp.S!, [...(groups.get(item.grp.S!) ?? []), item.id.S!]);
    start = page.LastEvaluatedKey;
  } while (start);
  for (const ids of groups.values()) ids.sort();
  return groups;
}

/** Every group's members as the index says, as `group → sorted ids`. */
async function indexView(groups: Iterable<string>): Promise<Map<string, string[]>> {
  const view = new Map<string, string[]>();
  for (const group of groups) {
    const ids: string[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({ TableName: TABLE, IndexName: 'byGroup', KeyConditionExpression: 'grp = :g', ExpressionAttributeValues: { ':g': s(group) }, ExclusiveStartKey: start }),
      );
      ids.push(...(page.Items ?? []).map((item) => item.id.S!));
      start = page.LastEvaluatedKey;
    } while (start);
    if (ids.length > 0) view.set(group, ids.sort());
  }
  return view;
}

const allGroups = () => Array.from({ length: GROUPS }, (_, g) => `group-${g}`);

test("each entry is stored on the replicas of its index key's partition, not its item's", async () => {
  const index = table.globalIndexes.find((g) => g.indexName === 'byGroup')!;
  const partitionOfGroup = (group: string) => partitionOfKey(encodeKeyValue('S', { S: group }), inspector.ring.partitionCount);
  await eventually('every entry on exactly the replicas of its group partition', async () => {
    for (const nodeId of STORAGE_NODE_IDS) {
      const stored = await inspector.tableItems(nodeId, index.indexId);
      const expected = new Map<number, number>();
      for (let i = 0; i < ITEMS; i++) {
        const partition = partitionOfGroup(groupOf(i, 0));
        if (inspector.ring.replicaSet(partition).some((n) => n.id === nodeId)) expected.set(partition, (expected.get(partition) ?? 0) + 1);
      }
      const held = new Map([...stored].filter(([, entries]) => entries.length > 0).map(([partition, entries]) => [partition, entries.length]));
      expect([nodeId, held]).toEqual([nodeId, expected]);
    }
  });
  // With 12 groups over 16 partitions, entries and their items' partitions mostly differ.
  const itemPartition = (i: number) => partitionOfKey(encodeKeyValue('S', { S: `p${i}` }), inspector.ring.partitionCount);
  expect(Array.from({ length: ITEMS }, (_, i) => i).filter((i) => itemPartition(i) !== partitionOfGroup(groupOf(i, 0))).length).toBeGreaterThan(ITEMS / 2);
});

test('the index converges on the table while items move between groups and a storage node is killed', async () => {
  const victim = 'storage-b-1';
  let round = 0;
  let stop = false;
  let acknowledged = 0;
  const writer = (async () => {
    while (!stop) {
      round++;
      await mapLimit(
        Array.from({ length: ITEMS / 3 }, (_, k) => (k * 3 + round) % ITEMS),
        8,
        async (i) => {
          try {
            await client.send(
              new UpdateItemCommand({
                TableName: TABLE,
                Key: { id: s(`p${i}`) },
                UpdateExpression: 'SET grp = :g',
                ExpressionAttributeValues: { ':g': s(groupOf(i, round)) },
              }),
            );
            acknowledged++;
          } catch {
            // A write refused while leadership moves: its outcome may be either; the index must follow whichever it was.
          }
        },
      );
    }
  })();
  await eventually('writes acknowledged before the kill', () => expect(acknowledged).toBeGreaterThan(100), { timeoutMs: 30_000 });
  await tc.cluster.signal(victim, 'SIGKILL');
  const before = acknowledged;
  await eventually('writes acknowledged with a node down', () => expect(acknowledged).toBeGreaterThan(before + 100), { timeoutMs: 60_000 });
  await tc.cluster.startNode(victim);
  const afterRestart = acknowledged;
  await eventually('writes acknowledged with the node back', () => expect(acknowledged).toBeGreaterThan(afterRestart + 100), { timeoutMs: 60_000 });
  stop = true;
  await writer;

  await eventually(
    'the index to list exactly the members of every group',
    async () => {
      const truth = await tableTruth();
      expect(await indexView(allGroups())).toEqual(truth);
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  // Nothing is left to deliver, and the deliveries were measured.
  await eventually('no undelivered global index updates', async () => {
    const samples = await Promise.all(tc.cluster.allStorageNodes.map((node, i) => scrapeMetrics(`http://127.0.0.1:${tc.cluster.options.basePort + 100 + i}/metrics`)));
    expect(samples.map((sample) => sumMetric(sample, 'triad_gsi_pending_updates'))).toEqual(samples.map(() => 0));
    expect(samples.reduce((sum, sample) => sum + sumMetric(sample, 'triad_gsi_replication_lag_seconds_count'), 0)).toBeGreaterThan(ITEMS);
  });
  expect(tc.unexpectedExits).toEqual([]);
});
