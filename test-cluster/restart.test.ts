/**
 * Durability across whole-cluster restarts: after a graceful stop, and after SIGKILL of every
 * process in the middle of a write load, every acknowledged item is there.
 */
import {
  DescribeTableCommand,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  ScanCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Item } from '@triad/model';
import { createTable, dynamoClient, eventually, mapLimit } from '@triad/harness';
import { ReplicaInspector, inspectReplicas, keyText, missingCopies } from './support/replica-inspector';
import { ROUTER_ID, STORAGE_NODE_IDS, startTestCluster, type TestCluster } from './support/test-cluster';

const SLOT = 2;
const TABLE = 'durable';
const KEY_SCHEMA = { partitionKey: { name: 'pk', type: 'S' as const }, sortKey: { name: 'sk', type: 'N' as const } };

let tc: TestCluster;
let client: DynamoDBClient;
let inspector: ReplicaInspector;
/** Every item whose PutItem was acknowledged, by key. */
const acknowledged = new Map<string, Item>();

beforeAll(async () => {
  tc = await startTestCluster(SLOT);
  client = dynamoClient(tc.endpoint);
  inspector = new ReplicaInspector(tc.cluster.layout, tc.cluster.grpcSecurity);
  await createTable(client, TABLE, ['pk', 'S'], ['sk', 'N']);
});

afterAll(async () => {
  inspector?.close();
  client?.destroy();
  await tc?.stop();
});

function itemNumber(i: number, phase: string): Item {
  return { pk: { S: `${phase}-${i % 37}` }, sk: { N: String(i) }, phase: { S: phase }, data: { S: `payload ${i}`.repeat(1 + (i % 5)) } };
}

/** A fresh client: the old one's kept-alive connections died with the old router. */
function reconnect(): void {
  client.destroy();
  client = dynamoClient(tc.endpoint);
}

/** Every acknowledged item must be readable with strong reads, and a strongly consistent scan must list them all. */
async function expectEveryAcknowledgedItem(): Promise<void> {
  const expected = [...acknowledged.values()];
  await mapLimit(expected, 16, async (item) => {
    const { Item } = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: item.pk, sk: item.sk } as never, ConsistentRead: true }));
    expect(Item).toEqual(item);
  });
  const scanned = new Map<string, Item>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true, ExclusiveStartKey: start as never }));
    for (const item of (page.Items ?? []) as Item[]) scanned.set(keyText(KEY_SCHEMA, item), item);
    start = page.LastEvaluatedKey;
  } while (start);
  for (const [key, item] of acknowledged) expect({ key, item: scanned.get(key) }).toEqual({ key, item });
}

test('after a graceful stop and start of the whole cluster, every acknowledged item and the table are there', async () => {
  const items = Array.from({ length: 150 }, (_, i) => itemNumber(i, 'graceful'));
  await mapLimit(items, 16, async (item) => {
    await client.send(new PutItemCommand({ TableName: TABLE, Item: item as never }));
    acknowledged.set(keyText(KEY_SCHEMA, item), item);
  });

  // Every replica holds every item before the stop, so that afterwards each one must still have them.
  const table = await eventually(`${TABLE} in the catalog of storage-a-1`, async () => (await inspector.table('storage-a-1', TABLE))!);
  await eventually('every item on all three replicas before the stop', async () => {
    const report = await inspectReplicas(inspector, table, items);
    expect([...report.problems, ...missingCopies(report, 'all')]).toEqual([]);
  });

  await tc.cluster.stop();
  for (const id of [ROUTER_ID, ...STORAGE_NODE_IDS]) expect(tc.cluster.isRunning(id)).toBe(false);
  await tc.cluster.start();
  reconnect();

  // On disk, right after the restart: all three copies of every item.
  const after = await inspectReplicas(inspector, table, items);
  expect([...after.problems, ...missingCopies(after, 'all')]).toEqual([]);

  const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
  expect(Table?.TableStatus).toBe('ACTIVE');
  expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual([TABLE]);
  await expectEveryAcknowledgedItem();
  // Eventually consistent reads too: every replica has every item.
  await mapLimit(items, 16, async (item) => {
    const { Item } = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: item.pk, sk: item.sk } as never, ConsistentRead: false }));
    expect(Item).toEqual(item);
  });
  expect(tc.unexpectedExits).toEqual([]);
});

test('after SIGKILL of every process during a write load, every acknowledged item is there', async () => {
  // Writers put new items until the cluster dies under them; only acknowledged puts count.
  let next = 0;
  let acknowledgedNow = 0;
  const failures: unknown[] = [];
  const writer = async () => {
    for (;;) {
      const item = itemNumber(next++, 'killed');
      try {
        await client.send(new PutItemCommand({ TableName: TABLE, Item: item as never }));
      } catch (error) {
        failures.push(error);
        return;
      }
      acknowledged.set(keyText(KEY_SCHEMA, item), item);
      acknowledgedNow++;
    }
  };
  const writers = Promise.all(Array.from({ length: 12 }, writer));
  await eventually('200 acknowledged writes under load (or a failure)', () => {
    if (acknowledgedNow < 200 && failures.length === 0) throw new Error(`${acknowledgedNow} acknowledged`);
  }, { timeoutMs: 30_000, intervalMs: 20 });
  // No write may fail while the cluster is healthy.
  expect(failures.map(String)).toEqual([]);

  // Every process at once, storage nodes and router, while writes are in flight.
  await Promise.all([ROUTER_ID, ...STORAGE_NODE_IDS].map((id) => tc.cluster.signal(id, 'SIGKILL')));
  await writers;
  expect(failures).toHaveLength(12);
  for (const id of [ROUTER_ID, ...STORAGE_NODE_IDS]) expect(tc.cluster.isRunning(id)).toBe(false);

  await tc.cluster.start();
  reconnect();

  // On disk: every acknowledged item is on at least a majority (2) of its replicas.
  const table = (await inspector.table('storage-a-1', TABLE))!;
  expect(table).toBeDefined();
  const report = await inspectReplicas(inspector, table, [...acknowledged.values()], { allowUnexpected: true });
  expect(report.problems).toEqual([]);
  expect(missingCopies(report, 2)).toEqual([]);

  // Through the router.
  await expectEveryAcknowledgedItem();
  expect(tc.unexpectedExits).toEqual([]);
});

test('after the SIGKILL restart, every acknowledged item reaches all three replicas again (hints, anti-entropy)', async () => {
  const table = (await inspector.table('storage-a-1', TABLE))!;
  await eventually(
    'every acknowledged item on all three replicas',
    async () => {
      const report = await inspectReplicas(inspector, table, [...acknowledged.values()], { allowUnexpected: true });
      const missing = missingCopies(report, 'all');
      if (report.problems.length > 0 || missing.length > 0) {
        throw new Error(`${missing.length} items lack a copy:\n${[...report.problems, ...missing].slice(0, 10).join('\n')}`);
      }
    },
    { timeoutMs: 45_000, intervalMs: 500 },
  );
  expect(tc.unexpectedExits).toEqual([]);
});
