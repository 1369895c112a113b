/**
 * A global index never stays wrong (issue 11, failure 4).
 *
 * 1. A router cut off from the catalog keeps the index list it had: after an index is added through
 *    another router and becomes ACTIVE, a write through the cut-off router must either reach the
 *    index or be refused without effect with a retriable error, never be acknowledged and missing
 *    from the index (on 3b011fb it was acknowledged and never indexed). The cut is the test-only
 *    fault point `blockedPartitions` (rpc/fault-gate.ts) with the system partition: the router can
 *    neither refresh nor read its catalog while its item writes still reach every storage node.
 * 2. An index broken behind the routers' backs (writes sent straight to the leaders without the
 *    index list: a missing entry, an entry left behind by a moved and a deleted item, an entry
 *    with old attributes) is found and repaired by the background reconciler, which counts what it
 *    repaired in `triad_gsi_reconciler_repairs_total`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateTableCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { encodeKeyValue, type Item } from '@triad/model';
import { partitionOfKey } from '@triad/ring';
import { NOT_LEADER, StorageNodeClient, decodeJson, encodeJson, type OpKind } from '@triad/rpc';
import { dynamoClient, eventually, mapLimit, scrapeMetrics, sumMetric, waitForActive } from '@triad/harness';
import { startTestCluster, type TestCluster } from './support/test-cluster';

const SLOT = 27;
const PARTITIONS = 16;
/** The reconciler's pass interval in this cluster (the default is minutes). */
const RECONCILE_INTERVAL_MS = 2_000;

let tc: TestCluster;
let faultDir: string;
/** Router 1 (catalog always reachable) and router 2 (the one cut off in the first test). */
let r1: DynamoDBClient;
let r2: DynamoDBClient;

const s = (value: string): AttributeValue => ({ S: value });
/** The same value typed as Triad's model (raw storage operations). */
const ms = (value: string) => ({ S: value });
const routerFaultFile = () => path.join(faultDir, 'router-2.json');
const setRouterFault = (fault: object) => {
  const tmp = `${routerFaultFile()}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(fault));
  fs.renameSync(tmp, routerFaultFile());
};

beforeAll(async () => {
  faultDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-global-index-fence-'));
  fs.writeFileSync(routerFaultFile(), '{}');
  tc = await startTestCluster(SLOT, {
    partitions: PARTITIONS,
    routers: 2,
    env: { TRIAD_GSI_RECONCILE_INTERVAL_MS: String(RECONCILE_INTERVAL_MS) },
    envFor: (id) => (id === 'router-2' ? { TRIAD_FAULT_FILE: routerFaultFile() } : undefined),
  });
  r1 = dynamoClient(tc.cluster.endpoint(0));
  r2 = dynamoClient(tc.cluster.endpoint(1));
}, 120_000);

afterAll(async () => {
  r1?.destroy();
  r2?.destroy();
  await tc?.stop();
  if (faultDir) fs.rmSync(faultDir, { recursive: true, force: true });
});

async function createGroupTable(client: DynamoDBClient, table: string, withIndex: boolean): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }, ...(withIndex ? [{ AttributeName: 'grp', AttributeType: 'S' as const }] : [])],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      ...(withIndex
        ? { GlobalSecondaryIndexes: [{ IndexName: 'byGroup', KeySchema: [{ AttributeName: 'grp', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }] }
        : {}),
    }),
  );
  await waitForActive(client, table);
}

/** The ids the index lists under a group, sorted (an eventually consistent Query, as DynamoDB's). */
async function idsInGroup(client: DynamoDBClient, table: string, group: string): Promise<string[]> {
  const page = await client.send(
    new QueryCommand({ TableName: table, IndexName: 'byGroup', KeyConditionExpression: 'grp = :g', ExpressionAttributeValues: { ':g': s(group) } }),
  );
  return (page.Items ?? []).map((item) => item.id.S!).sort();
}

/** Every item of a table or index, as `id → item`, by Scan (consistent for the table). */
async function scanAll(client: DynamoDBClient, table: string, indexName?: string): Promise<Map<string, Record<string, AttributeValue>>> {
  const items = new Map<string, Record<string, AttributeValue>>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, IndexName: indexName, ConsistentRead: indexName ? undefined : true, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      if (items.has(item.id.S!)) throw new Error(`${indexName ?? table} lists ${item.id.S} twice`);
      items.set(item.id.S!, item);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

test('a router that cannot refresh its catalog gets no write past an index it does not know', async () => {
  const table = 'fenced';
  await createGroupTable(r1, table, false);
  // Router 2 knows the table (its catalog cache) before it is cut off.
  await eventually('router-2 to know the table', () => r2.send(new DescribeTableCommand({ TableName: table })));
  await mapLimit(Array.from({ length: 40 }, (_, i) => i), 8, (i) =>
    r1.send(new PutItemCommand({ TableName: table, Item: { id: s(`early-${i}`), grp: s(`g-${i % 4}`) } })),
  );

  setRouterFault({ blockedPartitions: [PARTITIONS] });
  await eventually('router-2 to be cut off from the catalog', async () => {
    // A table router 2 has never seen must be looked up in the catalog, which it cannot reach.
    const error = await r2.send(new DescribeTableCommand({ TableName: 'never-created' })).then(() => undefined, (e: unknown) => e as { $metadata?: { httpStatusCode?: number } });
    expect(error?.$metadata?.httpStatusCode).toBeGreaterThanOrEqual(500);
  });

  await r1.send(
    new UpdateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'grp', AttributeType: 'S' }],
      GlobalSecondaryIndexUpdates: [{ Create: { IndexName: 'byGroup', KeySchema: [{ AttributeName: 'grp', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } } }],
    }),
  );
  await eventually(
    'the index to become ACTIVE',
    async () => {
      const { Table } = await r1.send(new DescribeTableCommand({ TableName: table }));
      expect(Table?.GlobalSecondaryIndexes?.[0]?.IndexStatus).toBe('ACTIVE');
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  expect(await idsInGroup(r1, table, 'g-1')).toEqual(Array.from({ length: 10 }, (_, k) => `early-${k * 4 + 1}`).sort());

  // The cut-off router still has the table without the index.
  const write = await r2.send(new PutItemCommand({ TableName: table, Item: { id: s('late'), grp: s('g-late') } })).then(
    () => ({ outcome: 'acknowledged' as const, status: 200 }),
    (error: { name?: string; $metadata?: { httpStatusCode?: number } }) => ({ outcome: 'refused' as const, status: error.$metadata?.httpStatusCode ?? 0, name: error.name }),
  );
  if (write.outcome === 'acknowledged') {
    // Acknowledged: then it is in the index, not only in the table.
    await eventually('the acknowledged item in the index', async () => expect(await idsInGroup(r1, table, 'g-late')).toEqual(['late']), { timeoutMs: 20_000, intervalMs: 500 });
  } else {
    // Refused: retriable (5xx), and without effect.
    expect(write.status).toBeGreaterThanOrEqual(500);
    const { Item } = await r1.send(new GetItemCommand({ TableName: table, Key: { id: s('late') }, ConsistentRead: true }));
    expect(Item).toBeUndefined();
  }
  // With index lists fenced by catalog version, a router whose catalog is behind cannot write at all.
  expect(write.outcome).toBe('refused');

  setRouterFault({});
  // The client's retry, once the router reaches its catalog again, goes through and is indexed.
  await eventually('the retried write to be acknowledged', () => r2.send(new PutItemCommand({ TableName: table, Item: { id: s('late'), grp: s('g-late') } })), {
    timeoutMs: 20_000,
    intervalMs: 250,
  });
  await eventually('the retried item in the index', async () => expect(await idsInGroup(r1, table, 'g-late')).toEqual(['late']), { timeoutMs: 10_000 });
  expect(tc.unexpectedExits).toEqual([]);
});

/** The table's definition as the catalog holds it (read from a storage node, bypassing the routers). */
async function catalogDefinition(table: string): Promise<{ tableId: string; schemaVersion?: number }> {
  const node = tc.cluster.allStorageNodes[0];
  const client = new StorageNodeClient(node.address, 5_000, tc.cluster.grpcSecurity);
  try {
    const reply = await client.readRange({
      ranges: [{ partition: PARTITIONS, start: Buffer.alloc(8), startExclusive: false, end: Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]), endInclusive: false }],
      reverse: false,
      limit: 0,
      byteLimit: 0,
      localOnly: true,
    });
    for (const entry of reply.items) {
      const item = JSON.parse(entry.item.toString('utf8')) as { definition: { S: string } };
      const def = JSON.parse(item.definition.S) as { tableName: string; tableId: string; schemaVersion?: number };
      if (def.tableName === table) return def;
    }
    throw new Error(`${table} is not in the catalog`);
  } finally {
    client.close();
  }
}

/**
 * Writes an item straight at its partition's leader with no index list, as no router does: the
 * table changes and its global index does not. Carries the table's schema version, so that only
 * the index maintenance is skipped, not refused.
 */
async function writeBehindTheIndex(table: { tableId: string; schemaVersion?: number }, id: string, kind: OpKind, item?: Item): Promise<void> {
  const encoded = encodeKeyValue('S', { S: id });
  const op = {
    partition: partitionOfKey(encoded, PARTITIONS),
    key: Buffer.concat([Buffer.from(table.tableId, 'hex'), encoded]),
    kind,
    body: encodeJson({ ...(item ? { item } : {}), ...(table.schemaVersion ? { schemaVersion: table.schemaVersion } : {}) }),
  };
  await eventually(`${kind} of ${id} at its leader`, async () => {
    for (const node of tc.cluster.allStorageNodes) {
      const client = new StorageNodeClient(node.address, 5_000, tc.cluster.grpcSecurity);
      try {
        const [result] = (await client.execute({ ops: [op] })).results;
        if (result.errorName === NOT_LEADER) continue;
        if (result.errorName) throw new Error(`${result.errorName}: ${result.errorMessage} ${JSON.stringify(decodeJson(result.body))}`);
        return;
      } finally {
        client.close();
      }
    }
    throw new Error('no leader answered');
  });
}

test('the reconciler finds and repairs entries that are missing, left behind or out of date', async () => {
  const table = 'reconciled';
  await createGroupTable(r1, table, true);
  await mapLimit(Array.from({ length: 60 }, (_, i) => i), 8, (i) =>
    r1.send(new PutItemCommand({ TableName: table, Item: { id: s(`p${i}`), grp: s(`g-${i % 5}`), note: s('first') } })),
  );
  await eventually('the index to hold every item', async () => expect((await scanAll(r1, table, 'byGroup')).size).toBe(60), { timeoutMs: 20_000 });
  const def = await catalogDefinition(table);
  const metricsUrl = `${tc.cluster.endpoint(0)}/metrics`;
  const repairs = async () => {
    const samples = await scrapeMetrics(metricsUrl);
    const of = (kind: string) => sumMetric(samples, 'triad_gsi_reconciler_repairs_total', { table, kind });
    return { missing: of('missing'), extra: of('extra'), stale: of('stale') };
  };
  // Counted from here on: what the writes below broke.
  const before = await repairs();

  await writeBehindTheIndex(def, 'ghost', 'OP_KIND_PUT', { id: ms('ghost'), grp: ms('g-new'), note: ms('first') }); // entry missing
  await writeBehindTheIndex(def, 'p1', 'OP_KIND_PUT', { id: ms('p1'), grp: ms('g-moved'), note: ms('first') }); // old entry left, new one missing
  await writeBehindTheIndex(def, 'p2', 'OP_KIND_DELETE'); // entry of a deleted item left
  await writeBehindTheIndex(def, 'p3', 'OP_KIND_PUT', { id: ms('p3'), grp: ms('g-3'), note: ms('second') }); // entry out of date
  await r1.send(new DeleteItemCommand({ TableName: table, Key: { id: s('p4') } })); // an ordinary write, for contrast: nothing to repair

  await eventually(
    'the index to equal its table again',
    async () => {
      const [truth, index] = await Promise.all([scanAll(r1, table), scanAll(r1, table, 'byGroup')]);
      expect(truth.get('p3')?.note).toEqual(s('second'));
      expect(index).toEqual(truth);
    },
    { timeoutMs: 60_000, intervalMs: 1_000 },
  );
  const after = await repairs();
  // ghost and p1's new entry missing; p1's and p2's old entries extra; p3's stale.
  expect({ missing: after.missing - before.missing, extra: after.extra - before.extra, stale: after.stale - before.stale }).toEqual({ missing: 2, extra: 2, stale: 1 });
  expect(tc.unexpectedExits).toEqual([]);
});
