/**
 * Every acknowledged write is present on all three replicas of its partition, as each storage node
 * itself reports over gRPC (not as a router chooses to answer).
 */
import { DeleteItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Item } from '@triad/model';
import { createTable, dynamoClient, eventually, mapLimit } from '@triad/harness';
import { ReplicaInspector, inspectReplicas, keyText, missingCopies, partitionOfItem, type CatalogEntry } from './support/replica-inspector';
import { STORAGE_NODE_IDS, startTestCluster, type TestCluster } from './support/test-cluster';

const SLOT = 0;

let tc: TestCluster;
let client: DynamoDBClient;
let inspector: ReplicaInspector;

beforeAll(async () => {
  tc = await startTestCluster(SLOT);
  client = dynamoClient(tc.endpoint);
  inspector = new ReplicaInspector(tc.cluster.layout, tc.cluster.grpcSecurity);
});

afterAll(async () => {
  inspector?.close();
  client?.destroy();
  await tc?.stop();
});

/** The table as every storage node's catalog has it; all three must agree on its id. */
async function catalogEntry(tableName: string): Promise<CatalogEntry> {
  return eventually(`${tableName} in every node's catalog`, async () => {
    const entries = await Promise.all(STORAGE_NODE_IDS.map((id) => inspector.table(id, tableName)));
    entries.forEach((entry, i) => {
      if (!entry) throw new Error(`${STORAGE_NODE_IDS[i]} has no catalog entry for ${tableName}`);
    });
    const ids = new Set(entries.map((e) => e!.tableId));
    expect(ids.size).toBe(1);
    return entries[0]!;
  });
}

/** Waits until every expected item is on every replica of its partition, and nothing else is anywhere. */
async function expectFullyReplicated(table: CatalogEntry, expected: Item[]): Promise<void> {
  await eventually(
    `every item of ${table.tableName} on all three replicas`,
    async () => {
      const report = await inspectReplicas(inspector, table, expected);
      const missing = missingCopies(report, 'all');
      if (report.problems.length > 0 || missing.length > 0) {
        throw new Error(
          `${report.problems.length} problems, ${missing.length} items lack a copy:\n${[...report.problems, ...missing].slice(0, 20).join('\n')}`,
        );
      }
      for (const nodes of report.holders.values()) expect(nodes).toHaveLength(3);
    },
    { timeoutMs: 10_000, intervalMs: 200 },
  );
}

test('the ring gives every partition three replicas in three zones', () => {
  const { partitionCount } = tc.cluster.layout;
  expect(partitionCount).toBe(16);
  for (let p = 0; p <= partitionCount; p++) {
    const set = inspector.ring.replicaSet(p);
    expect(set).toHaveLength(3);
    expect(new Set(set.map((n) => n.zone)).size).toBe(3);
  }
});

test('every written, updated and deleted item is on all three replicas of its partition', async () => {
  await createTable(client, 'replicated', ['id', 'S']);
  await createTable(client, 'replicated_composite', ['pk', 'N'], ['sk', 'S']);
  const simple = await catalogEntry('replicated');
  const composite = await catalogEntry('replicated_composite');

  // Table 1: 240 items, then 30 overwritten by UpdateItem and 30 deleted.
  const simpleItems = new Map<string, Item>();
  const puts = Array.from({ length: 240 }, (_, i): Item => ({ id: { S: `item-${i}` }, v: { N: String(i) }, tag: { S: `t${i % 7}` } }));
  await mapLimit(puts, 16, async (item) => {
    await client.send(new PutItemCommand({ TableName: 'replicated', Item: item as never }));
    simpleItems.set(keyText(simple.keySchema, item), item);
  });
  await mapLimit(puts.slice(0, 30), 16, async (item) => {
    const { Attributes } = await client.send(
      new UpdateItemCommand({
        TableName: 'replicated',
        Key: { id: item.id } as never,
        UpdateExpression: 'SET v = :v, updated = :t REMOVE tag',
        ExpressionAttributeValues: { ':v': { N: '-1' }, ':t': { BOOL: true } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    simpleItems.set(keyText(simple.keySchema, item), Attributes as Item);
  });
  await mapLimit(puts.slice(30, 60), 16, async (item) => {
    await client.send(new DeleteItemCommand({ TableName: 'replicated', Key: { id: item.id } as never }));
    simpleItems.delete(keyText(simple.keySchema, item));
  });

  // Table 2: 24 partition keys with 5 sort keys each; the partition depends on the partition key alone.
  const compositeItems: Item[] = [];
  for (let pk = 0; pk < 24; pk++) {
    for (let s = 0; s < 5; s++) compositeItems.push({ pk: { N: String(pk * 10 - 50) }, sk: { S: `s${s}` }, payload: { S: 'x'.repeat(s * 100) } });
  }
  await mapLimit(compositeItems, 16, async (item) => {
    await client.send(new PutItemCommand({ TableName: 'replicated_composite', Item: item as never }));
  });

  const expectedSimple = [...simpleItems.values()];
  expect(expectedSimple).toHaveLength(210);
  // The data spreads over (nearly) every partition, so the check is not vacuous.
  const used = new Set(expectedSimple.map((item) => partitionOfItem(16, simple.keySchema, item)));
  expect(used.size).toBeGreaterThanOrEqual(14);

  await expectFullyReplicated(simple, expectedSimple);
  await expectFullyReplicated(composite, compositeItems);
  expect(tc.unexpectedExits).toEqual([]);
});
