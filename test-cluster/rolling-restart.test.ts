import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable, dynamoClient } from '@triad/harness';
import { startTestCluster, type TestCluster } from './support/test-cluster';

/**
 * The compose lab's topology (three zones, two storage nodes each, two routers) as processes, and
 * a rolling restart of every node, one at a time, under client load: no client request may fail.
 * Clients use the SDK's standard retries and both routers, as behind a load balancer.
 */
const TABLE = 'rolling';
const KEYS = 40;

let tc: TestCluster;
let clients: DynamoDBClient[];

beforeAll(async () => {
  tc = await startTestCluster(4, { storageNodes: 6, routers: 2 });
  clients = [0, 1].map((i) => dynamoClient(tc.cluster.endpoint(i), { maxAttempts: 3, requestTimeoutMs: 15_000 }));
  await createTable(clients[0], TABLE, ['id', 'S']);
});

afterAll(async () => {
  clients?.forEach((c) => c.destroy());
  await tc?.stop();
});

/** One request through one router, then the other if the first cannot be reached at all. */
async function send<T>(attempt: (client: DynamoDBClient) => Promise<T>, preferred: number): Promise<T> {
  try {
    return await attempt(clients[preferred]);
  } catch (error) {
    // What a load balancer does for a router that is restarting: try the other one.
    if (!/ECONNREFUSED|ECONNRESET|EPIPE|socket hang up/.test(`${(error as Error).message}`)) throw error;
    return attempt(clients[1 - preferred]);
  }
}

it('restarts every storage node and router in turn with zero failed requests', async () => {
  const failures: string[] = [];
  const acked = new Map<string, number>();
  let running = true;
  let operations = 0;
  const worker = async (w: number) => {
    let n = 0;
    while (running) {
      const key = `k${(w * 7 + n) % KEYS}`;
      const value = w * 1_000_000 + n++;
      try {
        await send((c) => c.send(new PutItemCommand({ TableName: TABLE, Item: { id: { S: key }, v: { N: String(value) } } })), w % 2);
        acked.set(key, value);
        await send((c) => c.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: key } }, ConsistentRead: true })), (w + 1) % 2);
        operations += 2;
      } catch (error) {
        failures.push(`${key}: ${(error as Error).name}: ${(error as Error).message}`);
      }
    }
  };
  const workers = Array.from({ length: 4 }, (_, w) => worker(w));

  for (const node of tc.cluster.layout.storageNodes) {
    await tc.cluster.signal(node.id, 'SIGTERM');
    await tc.cluster.startNode(node.id);
  }
  for (const router of tc.cluster.routers) {
    await tc.cluster.signal(router.id, 'SIGTERM');
    await tc.cluster.startRouter(router.id);
  }
  running = false;
  await Promise.all(workers);

  expect(failures).toEqual([]);
  expect(operations).toBeGreaterThan(100);
  expect(tc.unexpectedExits).toEqual([]);
  // Every key's last acknowledged value survived the restarts.
  for (const [key] of acked) {
    const item = await send((c) => c.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: key } }, ConsistentRead: true })), 0);
    expect(item.Item?.v?.N).toBeDefined();
  }
});
