/**
 * A router that hostile clients cannot starve (issue 13, item 7): 25,000 connections that never
 * send a byte, and bodies that trickle in a byte a second, while a normal client keeps working.
 * The normal client is served throughout; the router's descriptors stay under its connection cap
 * and its memory bounded. Also: bodies above DynamoDB's 16 MB get 413 (declared or chunked).
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable, dynamoClient, scrapeMetrics, sumMetric } from '@triad/harness';
import { ConnectionFlood } from './support/connection-flood';
import { FAKE_SIGV4_AUTHORIZATION } from './support/raw-request';
import { ROUTER_ID, logTail, startTestCluster, type TestCluster } from './support/test-cluster';

const SLOT = 29;
const TABLE = 'edge';
/**
 * The router's cap for this test: below what its accept rate reaches on a busy 2-core machine
 * within the headers timeout, so that the cap (not only the timeouts) is what holds the flood.
 * The default, 10,000, is bounded the same way; the flood is 12.5 times this.
 */
const CONNECTIONS_MAX = 2_000;
/** The default (10 s): long enough that the floods reach the cap rather than being timed out first. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 8_000;
/** Descriptors the router may hold beyond its client connections (gRPC, gossip, logs, stdio). */
const OTHER_FDS_MAX = 200;
/** Resident memory a router may reach with 10,000 connections held (it starts at ~100 MB). */
const RSS_BYTES_MAX = 600 * 1024 * 1024;

let tc: TestCluster;
let client: DynamoDBClient;
const afterAllStops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  tc = await startTestCluster(SLOT, {
    // Every address (127.0.0.2 and .3 too), so that the floods' ephemeral ports are their own (see
    // connection-flood.ts); open mode there needs the explicit insecure flag, as it should.
    routerListenHost: '::',
    envFor: (id) =>
      id === ROUTER_ID
        ? {
            TRIAD_MAX_CONNECTIONS: String(CONNECTIONS_MAX),
            TRIAD_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
            TRIAD_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
            TRIAD_AUTH: 'open',
            TRIAD_AUTH_OPEN_INSECURE: '1',
          }
        : undefined,
  });
  // The SDK's own retries on (as a real client has them): a connection the router evicted while
  // idle between two requests is a reset the SDK retries, as it would against any server.
  client = dynamoClient(tc.endpoint, { maxAttempts: 3, requestTimeoutMs: 20_000 });
  await createTable(client, TABLE, ['id', 'S']);
});

afterAll(async () => {
  for (const stop of afterAllStops) await stop();
  client?.destroy();
  await tc?.stop();
});

function routerPort(): number {
  return Number(new URL(tc.endpoint).port);
}

/** The router process's open descriptors and resident memory, from /proc. */
function routerUsage(): { fds: number; rssBytes: number } {
  const pid = tc.cluster.pid(ROUTER_ID)!;
  const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
  const rssKb = Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  return { fds, rssBytes: rssKb * 1024 };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('25,000 silent connections and slow bodies do not starve a normal client, and the router stays bounded', async () => {
  const before = routerUsage();
  const floods = [
    new ConnectionFlood(routerPort(), { silent: 11_500, slow: 1_000, host: '127.0.0.2' }),
    new ConnectionFlood(routerPort(), { silent: 11_500, slow: 1_000, host: '127.0.0.3' }),
  ];
  afterAllStops.push(...floods.map((f) => () => f.stop()));
  const samples: { fds: number; rssBytes: number }[] = [];
  const sampler = setInterval(() => samples.push(routerUsage()), 250);
  const latenciesMs: number[] = [];
  const failures: string[] = [];
  try {
    // The floods ramp up (25,000 connections begun, and the router's cap reached), then the normal
    // client works beside them. How many connect depends on how fast the router accepts.
    const total = (field: 'started' | 'opened') => floods.reduce((sum, f) => sum + f.last[field], 0);
    const rampDeadline = Date.now() + 90_000;
    while ((total('started') < 25_000 || total('opened') < 2 * CONNECTIONS_MAX) && Date.now() < rampDeadline) await sleep(250);
    expect(total('started')).toBeGreaterThanOrEqual(25_000);
    expect(total('opened')).toBeGreaterThanOrEqual(2 * CONNECTIONS_MAX);
    const workUntil = Date.now() + 20_000;
    for (let i = 0; Date.now() < workUntil; i++) {
      const started = Date.now();
      try {
        await client.send(new PutItemCommand({ TableName: TABLE, Item: { id: { S: `k${i % 50}` }, n: { N: String(i) } } }));
        const got = await client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: `k${i % 50}` } }, ConsistentRead: true }));
        if (got.Item?.n?.N !== String(i)) failures.push(`read ${JSON.stringify(got.Item)} after writing ${i}`);
      } catch (error) {
        failures.push(`${(error as Error).name}: ${(error as Error).message}`);
      }
      latenciesMs.push(Date.now() - started);
    }
  } finally {
    clearInterval(sampler);
    // Gone before anything else talks to the router: at the cap, a connection of this test's own
    // (the metrics scrape below, the next tests' requests) could be the one evicted.
    for (const flood of floods) await flood.stop();
  }
  const closed = await scrapeMetrics(`${tc.endpoint}/metrics`);
  const closedBy = (reason: string) => sumMetric(closed, 'triad_router_connections_closed_total', { reason });
  const peakHeldByFloods = floods.reduce((sum, f) => sum + f.peakOpen, 0);
  const peak = { fds: Math.max(...samples.map((s) => s.fds)), rssBytes: Math.max(...samples.map((s) => s.rssBytes)) };
  console.log(
    `router before: ${before.fds} fds, ${(before.rssBytes / 2 ** 20).toFixed(0)} MB; peak under the flood: ${peak.fds} fds, ${(peak.rssBytes / 2 ** 20).toFixed(0)} MB; ` +
      `floods began ${floods.map((f) => f.last.started).join(' + ')} connections, opened ${floods.map((f) => f.last.opened).join(' + ')}, held ${peakHeldByFloods} at most (client side), server closed ${floods.map((f) => f.last.closedByServer).join(' + ')}; ` +
      `normal client: ${latenciesMs.length} put+get pairs, max ${Math.max(...latenciesMs)} ms, failures ${failures.length}; ` +
      `router closed: evicted ${closedBy('evicted')}, headers timeout ${closedBy('headers_timeout')}, request timeout ${closedBy('request_timeout')}, refused ${closedBy('refused')}`,
  );
  // The flood reached the cap: room was made by evicting the longest-silent connections.
  expect(closedBy('evicted')).toBeGreaterThan(0);
  expect(failures).toEqual([]);
  expect(latenciesMs.length).toBeGreaterThan(20);
  expect(peak.fds).toBeLessThanOrEqual(CONNECTIONS_MAX + OTHER_FDS_MAX);
  expect(peak.rssBytes).toBeLessThan(RSS_BYTES_MAX);

  // Slow bodies were cut off by the request timeout (silent connections mostly made room at the
  // cap before their headers timeout; that timeout is shown in packages/router/test/http-edge.test.ts).
  expect(closedBy('request_timeout')).toBeGreaterThan(0);
  // Once the floods are gone the router is back where it started.
  const drainDeadline = Date.now() + 15_000;
  while (routerUsage().fds > before.fds + 50 && Date.now() < drainDeadline) await sleep(250);
  expect(routerUsage().fds).toBeLessThanOrEqual(before.fds + 50);
  expect(tc.unexpectedExits).toEqual([]);
  // No request was answered with an internal error by the HTTP layer (a busy machine may log slow
  // storage answers; those are not the edge's).
  expect(logTail(tc.dataDir, ROUTER_ID, 2_000)).not.toMatch(/"message":"(request handling failed|operation failed)"/);
});

/** A POST to the router's DynamoDB endpoint whose body `write` sends; resolves with the status. */
function post(write: (req: http.ClientRequest) => void, headers: Record<string, string | number> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: routerPort(),
        method: 'POST',
        path: '/',
        agent: false,
        headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'DynamoDB_20120810.PutItem', Authorization: FAKE_SIGV4_AUTHORIZATION, ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    write(req);
  });
}

test('a body above 16 MB gets 413: refused on its Content-Length before it is read, and cut off when chunked', async () => {
  const declared = await post((req) => req.flushHeaders(), { 'Content-Length': 16 * 1024 * 1024 + 1 });
  expect(declared).toBe(413);
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  const chunked = await post((req) => {
    req.on('error', () => undefined);
    let sent = 0;
    const write = () => {
      while (sent < 17) {
        sent++;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
  expect(chunked).toBe(413);
  // The router goes on serving.
  await client.send(new PutItemCommand({ TableName: TABLE, Item: { id: { S: 'after-413' } } }));
});

test('a client that aborts its body is a ClientAborted outcome in metrics, not an InternalServerError', async () => {
  const socket = net.connect(routerPort(), '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(`POST / HTTP/1.1\r\nHost: triad\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\nAuthorization: ${FAKE_SIGV4_AUTHORIZATION}\r\nContent-Length: 1000\r\n\r\n{"TableName":`);
  await sleep(200);
  socket.destroy();
  const deadline = Date.now() + 10_000;
  let aborted = 0;
  while (Date.now() < deadline) {
    aborted = sumMetric(await scrapeMetrics(`${tc.endpoint}/metrics`), 'triad_router_requests_total', { outcome: 'ClientAborted' });
    if (aborted > 0) break;
    await sleep(200);
  }
  expect(aborted).toBeGreaterThan(0);
  expect(sumMetric(await scrapeMetrics(`${tc.endpoint}/metrics`), 'triad_router_requests_total', { outcome: 'InternalServerError' })).toBe(0);
});
