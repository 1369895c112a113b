/**
 * A generated list of malformed requests (support/malformed-requests.ts), every one sent raw to a
 * real cluster: each must get HTTP 400 with DynamoDB's `__type` (and message where known) — never
 * a 500, never a hang — and afterwards every process of the cluster must still be running and the
 * router must still serve ordinary requests.
 */
import { ERROR_NAMESPACES, apiFor, expectSuccess, type Api, type Json } from '../support/conformance';
import { createTable, dynamoClient, mapLimit } from '@triad/harness';
import { generateMalformedRequests, type MalformedCase } from '../support/malformed-requests';
import type { RawResponse } from '../support/raw-request';
import { ROUTER_ID, STORAGE_NODE_IDS, startTestCluster, type TestCluster } from '../support/test-cluster';

const SLOT = 15;
const TABLE = 'malformed';
const OTHER_TABLE = 'malformed_two';
/** Requests in flight at once: enough to overlap, few enough for a 2-core machine. */
const CONCURRENCY = 8;

const CASES = generateMalformedRequests(TABLE, OTHER_TABLE);

let tc: TestCluster;
let api: Api;
const responses = new Map<string, RawResponse | Error>();

beforeAll(async () => {
  tc = await startTestCluster(SLOT);
  api = apiFor(tc.endpoint);
  const client = dynamoClient(tc.endpoint);
  try {
    await createTable(client, TABLE, ['pk', 'S'], ['sk', 'N']);
    await createTable(client, OTHER_TABLE, ['pk', 'S'], ['sk', 'N']);
  } finally {
    client.destroy();
  }
  await expectSuccess(api, 'PutItem', { TableName: TABLE, Item: { pk: { S: 'known' }, sk: { N: '1' }, v: { S: 'kept' } } });
  // Each request has its own 30 s timeout (raw-request.ts): a hang shows up as that case's error.
  await mapLimit(CASES, CONCURRENCY, async (c) => {
    responses.set(c.title, await api(c.operation, c.body).catch((error: unknown) => error as Error));
  });
}, 300_000);

afterAll(async () => {
  await tc?.stop();
});

test('the generator makes hundreds of distinct cases, for every operation', () => {
  expect(CASES.length).toBeGreaterThan(500);
  expect(new Set(CASES.map((c) => c.title)).size).toBe(CASES.length);
  expect([...new Set(CASES.map((c) => c.operation))].sort()).toEqual(
    ['BatchGetItem', 'BatchWriteItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'Scan', 'UpdateItem'].sort(),
  );
});

test.each(CASES.map((c): [string, MalformedCase] => [c.title, c]))('%s', (_title, c) => {
  const response = responses.get(c.title);
  if (response instanceof Error) throw new Error(`no answer: ${response.message}`);
  expect(response).toBeDefined();
  const body = response!.json as Json | undefined;
  const message = body?.message ?? body?.Message;
  expect({ status: response!.status, type: body?.__type, message }).toEqual({
    status: 400,
    type: `${ERROR_NAMESPACES[c.type]}#${c.type}`,
    message: c.message === undefined ? message : typeof c.message === 'string' ? c.message : expect.stringMatching(c.message),
  });
});

test('no request changed the data, and every process is still running', async () => {
  expect(tc.unexpectedExits).toEqual([]);
  for (const id of [...STORAGE_NODE_IDS, ROUTER_ID]) expect({ id, running: tc.cluster.isRunning(id) }).toEqual({ id, running: true });
  const scan = await expectSuccess(api, 'Scan', { TableName: TABLE, ConsistentRead: true });
  expect(scan.Items).toEqual([{ pk: { S: 'known' }, sk: { N: '1' }, v: { S: 'kept' } }]);
});

test('the router still serves normal requests', async () => {
  const key = { pk: { S: 'after' }, sk: { N: '2' } };
  await expectSuccess(api, 'PutItem', { TableName: TABLE, Item: { ...key, v: { S: 'x' } } });
  expect(await expectSuccess(api, 'GetItem', { TableName: TABLE, Key: key, ConsistentRead: true })).toEqual({ Item: { ...key, v: { S: 'x' } } });
  const query = await expectSuccess(api, 'Query', {
    TableName: TABLE,
    KeyConditionExpression: 'pk = :p',
    ExpressionAttributeValues: { ':p': { S: 'after' } },
    ConsistentRead: true,
  });
  expect(query.Count).toBe(1);
});
