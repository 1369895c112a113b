/**
 * `triad join` and `triad decommission` on a loaded three-zone cluster: a fourth storage node
 * (zone a) joins while clients keep reading and writing, then it is decommissioned again, its
 * partitions moving back to the original node of its zone. No client request may fail; afterwards every item reads back (strong and
 * eventual), every replica of every partition holds it (checked on the storage nodes themselves),
 * and no node keeps data of a partition it no longer replicates.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Item } from '@triad/model';
import { Ring, parseClusterLayout, type ClusterLayout } from '@triad/ring';
import { StorageNodeClient } from '@triad/rpc';
import { REPO_ROOT, createTable, dynamoClient, eventually, mapLimit } from '@triad/harness';
import { ReplicaInspector, inspectReplicas, missingCopies, type CatalogEntry } from './support/replica-inspector';
import { startTestCluster, type TestCluster } from './support/test-cluster';

const SLOT = 16;
const TABLE = 'moving';
/** Items loaded before the join (TRIAD_TEST_JOIN_ITEMS overrides it, for a quicker run by hand). */
const ITEMS = Number(process.env.TRIAD_TEST_JOIN_ITEMS ?? 100_000);
/**
 * BatchWriteItem requests in flight while loading: enough to fill group commits on every node, few
 * enough that a busy 2-core machine answers each within the router's per-call deadline.
 */
const LOAD_CONCURRENCY = 16;
const LIVE_WORKERS = 4;
const LIVE_KEYS_PER_WORKER = 50;

jest.setTimeout(600_000);

let tc: TestCluster;
/**
 * The client that must see no failed request. It retries as the SDK does by default (3 attempts:
 * a ServiceUnavailable when a node of an overloaded 2-core machine misses the router's per-call
 * deadline is retriable, as in rolling-restart.test.ts); requests that needed a retry are counted
 * and shown.
 */
let client: DynamoDBClient;
/** Loading only: puts are idempotent, so the SDK may retry a ServiceUnavailable of an overloaded node. */
let loader: DynamoDBClient;
let table: CatalogEntry;
/** The items of this test: loaded ones carry `n`, live writes `v`. */
interface TestItem {
  id: { S: string };
  n?: { N: string };
  v?: { N: string };
  pad?: { S: string };
}
/** Every item the test expects, by id: the loaded ones and the last acknowledged live writes. */
const expected = new Map<string, TestItem>();

const loadedItem = (i: number): TestItem & { n: { N: string } } => ({
  id: { S: `item-${String(i).padStart(6, '0')}` },
  n: { N: String(i) },
  pad: { S: 'p'.repeat(24) },
});

beforeAll(async () => {
  tc = await startTestCluster(SLOT);
  client = dynamoClient(tc.endpoint, { requestTimeoutMs: 30_000, maxAttempts: 3 });
  loader = dynamoClient(tc.endpoint, { requestTimeoutMs: 30_000, maxAttempts: 5 });
  await createTable(client, TABLE, ['id', 'S']);
});

afterAll(async () => {
  client?.destroy();
  loader?.destroy();
  await tc?.stop();
});

/**
 * Runs the admin CLI against the test cluster; resolves with its exit code and output. `killWhen`:
 * SIGKILL it (a crash) as soon as its output so far matches.
 */
function triad(args: string[], killWhen?: (stdout: string) => boolean): Promise<{ code: number; stdout: string; stderr: string; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'packages/cli/src/main.ts'), ...args, '--layout', tc.cluster.layoutFile], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (killWhen && !killed && killWhen(stdout)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr, killed }));
  });
}

/** The newest layout any storage node holds. */
async function currentLayout(): Promise<ClusterLayout> {
  let newest: ClusterLayout = tc.cluster.layout;
  for (const node of tc.cluster.allStorageNodes) {
    const c = new StorageNodeClient(node.address, 5_000, tc.cluster.grpcSecurity);
    try {
      const reply = await c.getLayout({ knownEpoch: newest.epoch ?? 0 });
      if (reply.layout.length > 0) newest = parseClusterLayout(JSON.parse(reply.layout.toString('utf8')));
    } catch {
      // A stopped node: the others know.
    } finally {
      c.close();
    }
  }
  return newest;
}

/**
 * Clients that keep writing their own keys and reading loaded items (strong and eventual) until
 * stopped; any error or wrong answer is a failure.
 */
function startLiveLoad() {
  const failures: string[] = [];
  const retried: string[] = [];
  let operations = 0;
  let running = true;
  const send = async <T extends { $metadata: { attempts?: number } }>(what: string, call: Promise<T>): Promise<T> => {
    const reply = await call;
    if ((reply.$metadata.attempts ?? 1) > 1) retried.push(`${what} (${reply.$metadata.attempts} attempts)`);
    return reply;
  };
  const worker = async (w: number) => {
    let n = 0;
    while (running) {
      const id = `live-${w}-${n % LIVE_KEYS_PER_WORKER}`;
      const item: TestItem = { id: { S: id }, v: { N: String(n) } };
      const probe = loadedItem((w * 7919 + n * 104_729) % ITEMS);
      n++;
      try {
        await send(`put ${id}`, client.send(new PutItemCommand({ TableName: TABLE, Item: item as unknown as Record<string, AttributeValue> })));
        expected.set(id, item);
        for (const consistent of [true, false]) {
          const { Item: got } = await send(
            `get ${probe.id.S}`,
            client.send(new GetItemCommand({ TableName: TABLE, Key: { id: probe.id as AttributeValue }, ConsistentRead: consistent })),
          );
          if (got?.n?.N !== probe.n.N) failures.push(`${consistent ? 'strong' : 'eventual'} read of ${probe.id.S} answered ${JSON.stringify(got)}`);
        }
        const { Item: mine } = await send(`get ${id}`, client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: id } }, ConsistentRead: true })));
        if (mine?.v?.N !== String(n - 1)) failures.push(`strong read of ${id} after writing ${n - 1} answered ${JSON.stringify(mine)}`);
        operations += 4;
      } catch (error) {
        failures.push(`${id}: ${(error as Error).name}: ${(error as Error).message}`);
      }
    }
  };
  const workers = Array.from({ length: LIVE_WORKERS }, (_, w) => worker(w));
  return {
    failures,
    retried,
    get operations() {
      return operations;
    },
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

/** Reads every expected item through the router, strongly and eventually (BatchGetItem, 100 keys per request). */
async function expectAllReadable(): Promise<void> {
  const keys = [...expected.keys()];
  const batches: string[][] = [];
  for (let i = 0; i < keys.length; i += 100) batches.push(keys.slice(i, i + 100));
  for (const consistent of [true, false]) {
    const wrong: string[] = [];
    await mapLimit(batches, 16, async (batch) => {
      let pending: Record<string, AttributeValue>[] = batch.map((id) => ({ id: { S: id } }));
      while (pending.length > 0) {
        const reply = await client.send(new BatchGetItemCommand({ RequestItems: { [TABLE]: { Keys: pending, ConsistentRead: consistent } } }));
        for (const got of reply.Responses?.[TABLE] ?? []) {
          const want = expected.get(got.id.S!)!;
          if (!want) continue;
          if (JSON.stringify(got.n ?? got.v) !== JSON.stringify(want.n ?? want.v)) wrong.push(`${got.id.S}: ${JSON.stringify(got)}`);
        }
        const found = new Set((reply.Responses?.[TABLE] ?? []).map((i) => i.id.S));
        const unprocessed = reply.UnprocessedKeys?.[TABLE]?.Keys ?? [];
        for (const key of pending) {
          if (!found.has(key.id.S) && !unprocessed.some((u) => u.id.S === key.id.S)) wrong.push(`${key.id.S}: missing (${consistent ? 'strong' : 'eventual'})`);
        }
        pending = unprocessed as Record<string, AttributeValue>[];
      }
    });
    expect(wrong.slice(0, 20)).toEqual([]);
  }
}

/** Every expected item on all three replicas of its partition (as the nodes report), and no copy anywhere else. */
async function expectPlacedOn(layout: ClusterLayout): Promise<void> {
  const inspector = new ReplicaInspector(layout, tc.cluster.grpcSecurity, 30_000);
  try {
    await eventually(
      'every item on every replica of its partition, and nowhere else',
      async () => {
        const report = await inspectReplicas(inspector, table, [...expected.values()] as unknown as Item[]);
        const missing = missingCopies(report, 'all');
        if (report.problems.length > 0 || missing.length > 0) {
          throw new Error(`${report.problems.length} problems, ${missing.length} items lack a copy:\n${[...report.problems, ...missing].slice(0, 20).join('\n')}`);
        }
      },
      { timeoutMs: 60_000, intervalMs: 2_000 },
    );
  } finally {
    inspector.close();
  }
}

/** One process's Prometheus metrics, as `name{labels}` → value. */
function scrape(url: string): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => {
          const values = new Map<string, number>();
          for (const line of body.split('\n')) {
            const m = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
            if (m) values.set(m[1] + (m[2] ?? '').replace(/,?(node_id|zone|role)="[^"]*"/g, '').replace('{,', '{').replace('{}', ''), Number(m[3]));
          }
          resolve(values);
        });
      })
      .on('error', reject);
  });
}

const metricsUrl = (nodeId: string) =>
  `http://127.0.0.1:${tc.cluster.options.basePort + 100 + tc.cluster.allStorageNodes.findIndex((n) => n.id === nodeId)}/metrics`;

/** Every process (storage nodes of the layout, the router) reports the layout's epoch in `triad_layout_epoch`. */
async function expectEpochEverywhere(layout: ClusterLayout): Promise<void> {
  await eventually('every process on the newest layout epoch', async () => {
    for (const node of new Ring(layout).nodes) expect([node.id, (await scrape(metricsUrl(node.id))).get('triad_layout_epoch')]).toEqual([node.id, layout.epoch]);
    expect((await scrape(`${tc.endpoint}/metrics`)).get('triad_layout_epoch')).toBe(layout.epoch);
  });
}

/** How many items of the table one node stores, over all partitions (its own copy, held or not). */
async function itemsStoredOn(address: string): Promise<number> {
  const c = new StorageNodeClient(address, 30_000, tc.cluster.grpcSecurity);
  try {
    const start = Buffer.from(table.tableId, 'hex');
    const end = Buffer.from(start);
    end[end.length - 1]++;
    let total = 0;
    for (let partition = 0; partition < tc.cluster.layout.partitionCount; partition++) {
      const reply = await c.readRange({ ranges: [{ partition, start, startExclusive: false, end, endInclusive: false }], reverse: false, limit: 0, byteLimit: 0, localOnly: true });
      total += reply.items.length;
    }
    return total;
  } finally {
    c.close();
  }
}

it(`loads ${ITEMS.toLocaleString('en-US')} items`, async () => {
  const started = Date.now();
  const batches = Array.from({ length: ITEMS / 25 }, (_, b) => Array.from({ length: 25 }, (_, i) => loadedItem(b * 25 + i)));
  await mapLimit(batches, LOAD_CONCURRENCY, async (batch) => {
    let requests = batch.map((item) => ({ PutRequest: { Item: item as unknown as Record<string, AttributeValue> } }));
    while (requests.length > 0) {
      const reply = await loader.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: requests } }));
      requests = (reply.UnprocessedItems?.[TABLE] ?? []) as typeof requests;
    }
    for (const item of batch) expected.set(item.id.S!, item);
  });
  console.log(`loaded ${ITEMS} items in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const inspector = new ReplicaInspector(tc.cluster.layout, tc.cluster.grpcSecurity);
  table = (await inspector.table('storage-a-1', TABLE))!;
  inspector.close();
  expect(table).toBeDefined();
});

it('joins a fourth node under load, resuming after the CLI crashed: zero failed requests, and the new node holds its partitions', async () => {
  const joining = await tc.cluster.startExtraNode('a');
  expect(joining.id).toBe('storage-a-2');
  const live = startLiveLoad();
  const started = Date.now();
  const join = ['join', '--node', joining.id, '--zone', joining.zone, '--address', joining.address];
  // The CLI dies (SIGKILL) after three partitions moved; running it again finishes the join.
  const crashed = await triad(join, (out) => (out.match(/partition \d+ moved/g) ?? []).length >= 3);
  const result = await triad(join);
  const seconds = (Date.now() - started) / 1000;
  await live.stop();
  console.log(`join took ${seconds.toFixed(1)} s with ${live.operations} client operations meanwhile, ${live.retried.length} retried [${live.retried.slice(0, 5).join('; ')}]\n${crashed.stdout}(killed)\n${result.stdout}${result.stderr}`);
  expect(crashed.killed).toBe(true);
  expect(crashed.stdout).toMatch(/starting a join of storage-a-2/);
  expect(crashed.stdout).toMatch(/partition \d+ moved from storage-a-1 to storage-a-2 \([\d,]+ records streamed/);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/resuming the join of storage-a-2: layout epoch \d+, \d+ of \d+ partition moves to go/);
  expect(result.stdout).toMatch(/join of storage-a-2 done in/);
  expect(live.failures.slice(0, 20)).toEqual([]);
  expect(live.operations).toBeGreaterThan(100);

  const checked = Date.now();
  const layout = await currentLayout();
  expect(layout.change).toBeUndefined();
  expect(layout.storageNodes.map((n) => n.id)).toContain('storage-a-2');
  const held = new Ring(layout).partitionsOf('storage-a-2');
  expect(held.length).toBeGreaterThan(0);
  await expectAllReadable();
  const read = Date.now();
  await expectPlacedOn(layout);
  console.log(`checks: every item read strongly and eventually in ${((read - checked) / 1000).toFixed(1)} s, on every replica in ${((Date.now() - read) / 1000).toFixed(1)} s`);
  expect(tc.unexpectedExits).toEqual([]);
  await expectEpochEverywhere(layout);
  // The moves counted what they streamed, and RocksDB's own statistics show the new node's data.
  let streamed = 0;
  for (const id of ['storage-a-1', 'storage-b-1', 'storage-c-1']) streamed += (await scrape(metricsUrl(id))).get('triad_partition_move_records_streamed_total') ?? 0;
  expect(streamed).toBeGreaterThanOrEqual(ITEMS / 4);
  const joined = await scrape(metricsUrl('storage-a-2'));
  expect(joined.get('triad_rocksdb_estimated_keys')).toBeGreaterThan(ITEMS / 4);
  expect(joined.get('triad_rocksdb_files{level="0"}')).toBeGreaterThanOrEqual(0);

  const status = await triad(['status']);
  expect(status.code).toBe(0);
  expect(status.stdout).toContain(`Layout epoch: ${layout.epoch}`);
  expect(status.stdout).toContain('Partition movement: none');
  expect(status.stdout).toMatch(new RegExp(`UN\\s+storage-a-2\\s+\\S+\\s+${held.length}\\s`));
});

it('decommissions the fourth node under load: its partitions move back, it keeps nothing', async () => {
  const leaving = tc.cluster.storageNode('storage-a-2');
  const live = startLiveLoad();
  const started = Date.now();
  const result = await triad(['decommission', '--node', leaving.id]);
  const seconds = (Date.now() - started) / 1000;
  await live.stop();
  console.log(`decommission took ${seconds.toFixed(1)} s with ${live.operations} client operations meanwhile, ${live.retried.length} retried [${live.retried.slice(0, 5).join('; ')}]\n${result.stdout}${result.stderr}`);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/decommission of storage-a-2 done in/);
  expect(live.failures.slice(0, 20)).toEqual([]);

  const layout = await currentLayout();
  expect(layout.change).toBeUndefined();
  expect(layout.storageNodes.map((n) => n.id).sort()).toEqual(['storage-a-1', 'storage-b-1', 'storage-c-1']);
  expect(new Ring(layout).partitionsOf('storage-a-1')).toHaveLength(layout.partitionCount + 1);
  const checked = Date.now();
  await expectAllReadable();
  const read = Date.now();
  await expectPlacedOn(layout);
  console.log(`checks: every item read strongly and eventually in ${((read - checked) / 1000).toFixed(1)} s, on every replica in ${((Date.now() - read) / 1000).toFixed(1)} s`);
  // The leaving node drops its copies when it adopts the final layout: pushed by the CLI, or pulled
  // from a peer when the push did not reach it (a loaded machine).
  await eventually('the leaving node keeps no item', async () => expect(await itemsStoredOn(leaving.address)).toBe(0));
  await expectEpochEverywhere(layout);
  expect((await scrape(metricsUrl('storage-a-2'))).get('triad_partitions_dropped_total')).toBeGreaterThan(0);
  const status = await triad(['status']);
  expect(status.stdout).toContain(`Layout epoch: ${layout.epoch}`);
  // Running it again finds nothing to do.
  const again = await triad(['decommission', '--node', leaving.id]);
  expect(again.stdout).toContain('storage-a-2 is already out of the cluster');
  expect(tc.unexpectedExits).toEqual([]);
});
