import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { issueCertificate } from '@triad/cli';
import { TEST_CREDENTIALS, createTable, eventually } from '@triad/harness';
import { GRPC_TLS_FILES } from '@triad/rpc';
import { startTestCluster, type TestCluster } from './support/test-cluster';

/**
 * The router's DynamoDB API over HTTPS (issue 13): the AWS SDK v3 works against it when it trusts
 * the cluster's CA, a client that does not trust it or speaks plain HTTP gets nothing, and a
 * renewed certificate is served without a restart.
 */
const SLOT = 35;
const TABLE = 'secured';
const RELOAD_INTERVAL_MS = 500;

let tc: TestCluster;
let routerTls: string;

beforeAll(async () => {
  tc = await startTestCluster(SLOT, { httpsApi: true, env: { TRIAD_TLS_RELOAD_INTERVAL_MS: String(RELOAD_INTERVAL_MS) } });
  routerTls = tc.cluster.tlsDir('router-1');
});

afterAll(async () => {
  await tc?.stop();
});

function sdk(ca?: Buffer): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: tc.endpoint,
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: { httpsAgent: new https.Agent({ ca }), requestTimeout: 30_000, connectionTimeout: 5_000 },
  });
}

/** The SHA-256 fingerprint of the certificate the router presents to a new connection. */
function servedFingerprint(): Promise<string> {
  const { port } = new URL(tc.endpoint);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: Number(port), ca: tc.cluster.caCertificate, servername: 'localhost' }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

test('the endpoint is https and the SDK v3, trusting the cluster CA, works over it', async () => {
  expect(tc.endpoint).toMatch(/^https:\/\/localhost:\d+$/);
  const client = sdk(tc.cluster.caCertificate);
  await createTable(client, TABLE, ['id', 'S']);
  await client.send(new PutItemCommand({ TableName: TABLE, Item: { id: { S: 'card' }, n: { S: '4111 1111 1111 1111' } } }));
  const { Item } = await client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: 'card' } }, ConsistentRead: true }));
  expect(Item?.n?.S).toBe('4111 1111 1111 1111');
  client.destroy();
});

test('a client that does not trust the CA, or speaks plain HTTP, is not served', async () => {
  const untrusting = sdk();
  await expect(untrusting.send(new ListTablesCommand({}))).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  untrusting.destroy();
  const { port } = new URL(tc.endpoint);
  const plain = await new Promise<string>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: Number(port), path: '/health/ready' }, (res) => {
      res.resume();
      resolve(`status ${res.statusCode}`);
    });
    req.on('error', (error) => resolve(`error ${error.message}`));
    req.setTimeout(5_000, () => req.destroy(new Error('timeout')));
  });
  // Node's TLS server answers a plaintext request with a 400 or hangs up; it never serves it.
  expect(plain).toMatch(/^(status 400|error )/);
});

test('a renewed certificate is served to new connections without a restart, and the API keeps working', async () => {
  const before = await servedFingerprint();
  expect(before).toBe(new crypto.X509Certificate(fs.readFileSync(path.join(routerTls, GRPC_TLS_FILES.cert))).fingerprint256);
  // What a renewal (cert-manager, or `triad certs issue`) does: a new key and certificate in place.
  issueCertificate(path.join(tc.dataDir, 'tls', 'ca'), routerTls, { nowMs: Date.now(), name: 'router-1' });
  const renewed = new crypto.X509Certificate(fs.readFileSync(path.join(routerTls, GRPC_TLS_FILES.cert))).fingerprint256;
  expect(renewed).not.toBe(before);
  await eventually('the router serves the renewed certificate', async () => expect(await servedFingerprint()).toBe(renewed), { timeoutMs: 20_000 });
  const client = sdk(tc.cluster.caCertificate);
  const { Item } = await client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: 'card' } }, ConsistentRead: true }));
  expect(Item?.n?.S).toBe('4111 1111 1111 1111');
  client.destroy();
  expect(tc.unexpectedExits).toEqual([]);
});
