/**
 * Issue 13, items 7 and 8, against a real cluster:
 * - bad input that used to lose or merge data silently: attributes named like Object.prototype's
 *   members are stored and returned; invalid UTF-8 and lone surrogates are a SerializationException
 *   (never U+FFFD, which made distinct keys collide); integer parameters that are not integers or do
 *   not fit are a SerializationException (never truncated). Sent as raw HTTP, so that no SDK check
 *   gets in the way.
 * - a storage node's data is private to its user, its /metrics binds the address it is told, and
 *   a free-disk reserve larger than the free space refuses writes with a retriable error while
 *   reads go on and readiness says why.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import http from 'node:http';
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable, dynamoClient } from '@triad/harness';
import { errorName, rawRequest, type RawResponse } from './support/raw-request';
import { STORAGE_NODE_IDS, startTestCluster, type TestCluster } from './support/test-cluster';

const SLOT = 30;
const TABLE = 'bad_input';

let tc: TestCluster;
let client: DynamoDBClient;
/** Set before the storage nodes restart: a reserve no disk has free. */
let hugeReserve = false;

beforeAll(async () => {
  tc = await startTestCluster(SLOT, {
    envFor: (id) => (id.startsWith('storage-') && hugeReserve ? { TRIAD_DISK_RESERVE_BYTES: String(2 ** 52) } : undefined),
  });
  client = dynamoClient(tc.endpoint);
  await createTable(client, TABLE, ['id', 'S']);
});

afterAll(async () => {
  client?.destroy();
  await tc?.stop();
});

/** A raw request whose body is the exact JSON text (or bytes) given, not re-serialised. */
const send = (operation: string, body: string | Buffer) => rawRequest(tc.endpoint, { operation, body });

function expectSerializationException(response: RawResponse, message?: string): void {
  expect({ status: response.status, name: errorName(response) }).toEqual({ status: 400, name: 'SerializationException' });
  if (message !== undefined) expect(response.json?.Message ?? response.json?.message).toBe(message);
}

describe('attribute names that are names on Object.prototype', () => {
  test.each(['__proto__', 'constructor', 'prototype', 'hasOwnProperty'])('%s is stored, updated, projected and returned like any other name', async (name) => {
    const n = JSON.stringify(name);
    const key = `{"id":{"S":${JSON.stringify(`proto-${name}`)}}}`;
    const put = await send('PutItem', `{"TableName":"${TABLE}","Item":{"id":{"S":${JSON.stringify(`proto-${name}`)}},${n}:{"S":"top"},"m":{"M":{${n}:{"N":"1"}}}}}`);
    expect(put.status).toBe(200);
    const got = await send('GetItem', `{"TableName":"${TABLE}","Key":${key},"ConsistentRead":true}`);
    expect(got.text).toContain(`${n}:{"S":"top"}`);
    expect(JSON.parse(got.text)).toEqual(JSON.parse(`{"Item":{"id":{"S":${JSON.stringify(`proto-${name}`)}},${n}:{"S":"top"},"m":{"M":{${n}:{"N":"1"}}}}}`));
    const updated = await send('UpdateItem', `{"TableName":"${TABLE}","Key":${key},"UpdateExpression":"SET #n = :v, m.#n = :w","ConditionExpression":"attribute_exists(#n)",
      "ExpressionAttributeNames":{"#n":${n}},"ExpressionAttributeValues":{":v":{"S":"set"},":w":{"S":"inner"}},"ReturnValues":"UPDATED_NEW"}`);
    expect(updated.status).toBe(200);
    expect(JSON.parse(updated.text)).toEqual(JSON.parse(`{"Attributes":{${n}:{"S":"set"},"m":{"M":{${n}:{"S":"inner"}}}}}`));
    const projected = await send('GetItem', `{"TableName":"${TABLE}","Key":${key},"ConsistentRead":true,"ProjectionExpression":"#n","ExpressionAttributeNames":{"#n":${n}}}`);
    expect(JSON.parse(projected.text)).toEqual(JSON.parse(`{"Item":{${n}:{"S":"set"}}}`));
  });

  test('an item without such an attribute does not find the prototype\'s', async () => {
    await send('PutItem', `{"TableName":"${TABLE}","Item":{"id":{"S":"bare"}}}`);
    const refused = await send('UpdateItem', `{"TableName":"${TABLE}","Key":{"id":{"S":"bare"}},"UpdateExpression":"SET x = :v","ConditionExpression":"attribute_exists(#n)",
      "ExpressionAttributeNames":{"#n":"constructor"},"ExpressionAttributeValues":{":v":{"N":"1"}}}`);
    expect(errorName(refused)).toBe('ConditionalCheckFailedException');
  });
});

describe('strings that are not valid UTF-8', () => {
  const withBytes = (before: string, bytes: number[], after: string) => Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);

  test('invalid UTF-8 in a key or a value is a SerializationException, and nothing is written', async () => {
    // Two keys that U+FFFD replacement would have made one.
    for (const bytes of [[0xff], [0xfe], [0xc3, 0x28], [0xed, 0xa0, 0x80]]) {
      expectSerializationException(await send('PutItem', withBytes(`{"TableName":"${TABLE}","Item":{"id":{"S":"utf8-`, bytes, `"}}}`)));
      expectSerializationException(await send('PutItem', withBytes(`{"TableName":"${TABLE}","Item":{"id":{"S":"utf8-ok"},"v":{"S":"`, bytes, `"}}}`)));
      expectSerializationException(await send('PutItem', withBytes(`{"TableName":"${TABLE}","Item":{"id":{"S":"utf8-ok"},"`, bytes, `":{"S":"v"}}}`)));
    }
    const scan = await send('Scan', `{"TableName":"${TABLE}","ConsistentRead":true,"FilterExpression":"begins_with(id, :p)","ExpressionAttributeValues":{":p":{"S":"utf8-"}}}`);
    expect(JSON.parse(scan.text)).toMatchObject({ Count: 0 });
  });

  test('an escaped lone surrogate is a SerializationException; an escaped pair is a character', async () => {
    expectSerializationException(await send('PutItem', `{"TableName":"${TABLE}","Item":{"id":{"S":"sur-\\ud800"}}}`));
    expectSerializationException(await send('PutItem', `{"TableName":"${TABLE}","Item":{"id":{"S":"sur-\\udc00"}}}`));
    expect((await send('PutItem', `{"TableName":"${TABLE}","Item":{"id":{"S":"sur-\\ud83d\\ude00"}}}`)).status).toBe(200);
    const got = await send('GetItem', `{"TableName":"${TABLE}","Key":{"id":{"S":"sur-😀"}},"ConsistentRead":true}`);
    expect(JSON.parse(got.text)).toEqual({ Item: { id: { S: 'sur-😀' } } });
  });
});

describe('integer parameters', () => {
  const cases: [string, string, string][] = [
    ['Scan Limit 4294967297', 'Scan', `{"TableName":"${TABLE}","Limit":4294967297}`],
    ['Scan Limit 1.5', 'Scan', `{"TableName":"${TABLE}","Limit":1.5}`],
    ['Scan TotalSegments 4294967297', 'Scan', `{"TableName":"${TABLE}","Segment":0,"TotalSegments":4294967297}`],
    ['Scan Segment 1.5', 'Scan', `{"TableName":"${TABLE}","Segment":1.5,"TotalSegments":4}`],
    ['Query Limit 2147483648', 'Query', `{"TableName":"${TABLE}","KeyConditionExpression":"id = :v","ExpressionAttributeValues":{":v":{"S":"a"}},"Limit":2147483648}`],
    ['ListTables Limit 1.5', 'ListTables', `{"Limit":1.5}`],
    [
      'CreateTable ReadCapacityUnits 1.5',
      'CreateTable',
      `{"TableName":"units","AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"ProvisionedThroughput":{"ReadCapacityUnits":1.5,"WriteCapacityUnits":1}}`,
    ],
    [
      'CreateTable WriteCapacityUnits 2^53',
      'CreateTable',
      `{"TableName":"units","AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":9007199254740992}}`,
    ],
  ];
  test.each(cases)('%s is a SerializationException', async (title, operation, body) => {
    const target = title.includes('1.5') ? 'DECIMAL_VALUE' : 'NUMBER_VALUE';
    const type = title.includes('CapacityUnits') ? 'Long' : 'Integer';
    expectSerializationException(await send(operation, body), `${target} cannot be converted to ${type}`);
  });

  test('an integer in range is taken', async () => {
    const scan = await send('Scan', `{"TableName":"${TABLE}","Limit":2147483647,"Segment":0,"TotalSegments":1}`);
    expect(scan.status).toBe(200);
  });
});

describe('a storage node\'s data, metrics and disk', () => {
  test('every file and directory under a storage node\'s data directory is private to its user', () => {
    for (const id of STORAGE_NODE_IDS) {
      const open: string[] = [];
      const walk = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
          const full = path.join(dir, entry.name);
          const mode = fs.statSync(full).mode & 0o777;
          if (mode & 0o077) open.push(`${full} ${mode.toString(8)}`);
          if (entry.isDirectory()) walk(full);
        }
      };
      const root = path.join(tc.dataDir, id);
      expect(fs.statSync(root).mode & 0o777).toBe(0o700);
      walk(root);
      expect(open).toEqual([]);
    }
  });

  test('/metrics binds the address the node listens on (127.0.0.1), not every address', async () => {
    const port = tc.cluster.options.basePort + 100;
    const reachable = (host: string) =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect(port, host);
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      });
    expect(await reachable('127.0.0.1')).toBe(true);
    // Another loopback address of the same machine: reachable only through a wildcard bind.
    expect(await reachable('127.0.0.2')).toBe(false);
  });

  test('with a free-space reserve above the free space, writes are refused (retriable), reads served, readiness says why', async () => {
    await client.send(new PutItemCommand({ TableName: TABLE, Item: { id: { S: 'before-reserve' }, v: { N: '1' } } }));
    hugeReserve = true;
    for (const id of STORAGE_NODE_IDS) {
      await tc.cluster.signal(id, 'SIGTERM');
      await tc.cluster.startNode(id);
    }
    const health = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      http.get(`http://127.0.0.1:${tc.cluster.options.basePort + 100}/health/ready`, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      }).on('error', reject);
    });
    expect(health.status).toBe(503);
    expect(health.text).toMatch(/^not ready: free disk space \d+ bytes is below the reserve of 4503599627370496 bytes/);

    // Reads go on (once every partition has a leader again).
    const readDeadline = Date.now() + 60_000;
    let item: unknown;
    while (Date.now() < readDeadline) {
      try {
        item = (await client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: 'before-reserve' } }, ConsistentRead: true }))).Item;
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    expect(item).toEqual({ id: { S: 'before-reserve' }, v: { N: '1' } });

    const refused = await rawRequest(tc.endpoint, { operation: 'PutItem', body: { TableName: TABLE, Item: { id: { S: 'during-reserve' } } } });
    expect({ status: refused.status, name: errorName(refused) }).toEqual({ status: 503, name: 'ServiceUnavailable' });
    expect(String(refused.json?.message)).toMatch(/below the reserve/);
    const nothing = await rawRequest(tc.endpoint, { operation: 'GetItem', body: { TableName: TABLE, Key: { id: { S: 'during-reserve' } }, ConsistentRead: true } });
    expect(nothing.json).toEqual({});

    // Space back (the reserve lowered): writes are taken again.
    hugeReserve = false;
    for (const id of STORAGE_NODE_IDS) {
      await tc.cluster.signal(id, 'SIGTERM');
      await tc.cluster.startNode(id);
    }
    const writeDeadline = Date.now() + 60_000;
    let written = false;
    while (!written && Date.now() < writeDeadline) {
      written = (await rawRequest(tc.endpoint, { operation: 'PutItem', body: { TableName: TABLE, Item: { id: { S: 'after-reserve' } } } })).status === 200;
      if (!written) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(written).toBe(true);
    expect(tc.unexpectedExits).toEqual([]);
  });
});
