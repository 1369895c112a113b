/**
 * Encryption at rest (issue 13): an attribute value written through the API is found in no file of
 * any storage node's data directory — RocksDB's SST files, write-ahead log, manifest, the keyring —
 * when encryption is on (the local cluster's default), whether it reached the node as a write it
 * led, a log entry it followed, an index entry, or while a replica was down (the retained log and
 * hints). The same search finds it with encryption off, so the search can fail. After a master key
 * rotation (`triad encryption rotate-master`: only the keyrings change) and a restart, the sealed
 * values read back under the new master key.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CreateTableCommand, GetItemCommand, PutItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { REPO_ROOT, dynamoClient, eventually, mapLimit, waitForActive } from '@triad/harness';
import { STORAGE_NODE_IDS, startTestCluster, type TestCluster } from './support/test-cluster';

const TABLE = 'cards';
const MARKER = 'marker-4111-1111-1111-1111-at-rest';
const ITEMS = 30;
/** The node stopped while a third of the items are written: its peers keep log entries and hints for it. */
const DOWN = 'storage-c-1';

const CLI = path.join(REPO_ROOT, 'packages/cli/bin/triad.js');
const digest = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Every file under `dir` whose bytes contain `needle`, relative to `dir`. */
function filesContaining(dir: string, needle: Buffer): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && fs.readFileSync(full).includes(needle)) hits.push(path.relative(dir, full));
    }
  };
  walk(dir);
  return hits;
}

function allFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

const item = (i: number) => ({
  pk: { S: `customer-${i % 5}` },
  sk: { S: `card-${String(i).padStart(3, '0')}` },
  g: { S: `group-${i % 3}` },
  l: { S: `local-${i}` },
  secret: { S: `${MARKER}-${i}` },
});

/** Writes the items through the API, a third of them with one node down, and stops every storage node cleanly. */
async function writeAndStop(tc: TestCluster, client: DynamoDBClient): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'g', AttributeType: 'S' },
        { AttributeName: 'l', AttributeType: 'S' },
      ],
      // The marker is no key attribute, but both indexes carry it (their keys stay readable: RocksDB orders by them).
      GlobalSecondaryIndexes: [{ IndexName: 'by-group', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
      LocalSecondaryIndexes: [
        { IndexName: 'by-local', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'l', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } },
      ],
    }),
  );
  await waitForActive(client, TABLE);
  const put = (i: number) => client.send(new PutItemCommand({ TableName: TABLE, Item: item(i) }));
  await mapLimit([...Array(ITEMS / 3).keys()], 4, (i) => put(i));
  await tc.cluster.signal(DOWN, 'SIGINT');
  await mapLimit([...Array(ITEMS / 3).keys()].map((i) => i + ITEMS / 3), 4, (i) => put(i));
  await tc.cluster.startNode(DOWN);
  await mapLimit([...Array(ITEMS / 3).keys()].map((i) => i + (2 * ITEMS) / 3), 4, (i) => put(i));
  // The global index has its entries (delivered asynchronously) before the nodes stop.
  await eventually('the global index to hold every item', async () => {
    let count = 0;
    for (const g of ['group-0', 'group-1', 'group-2']) {
      const page = await client.send(new QueryCommand({ TableName: TABLE, IndexName: 'by-group', KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': { S: g } } }));
      count += page.Count ?? 0;
    }
    if (count !== ITEMS) throw new Error(`${count} of ${ITEMS}`);
  });
  // Stopped cleanly, every node's files are whole for the search.
  for (const id of STORAGE_NODE_IDS) await tc.cluster.signal(id, 'SIGINT');
}

describe('encryption at rest on (the default)', () => {
  let tc: TestCluster;
  let client: DynamoDBClient;
  beforeAll(async () => {
    tc = await startTestCluster(36);
    client = dynamoClient(tc.endpoint);
  });
  afterAll(async () => {
    client?.destroy();
    await tc?.stop();
  });

  test('no file of any storage node holds the value; after a master key rotation and a restart it reads back', async () => {
    await writeAndStop(tc, client);
    expect(fs.existsSync(tc.cluster.masterKeyFile)).toBe(true);
    expect(fs.statSync(tc.cluster.masterKeyFile).mode & 0o777).toBe(0o600);
    for (const id of STORAGE_NODE_IDS) {
      const dir = path.join(tc.dataDir, id);
      const files = allFiles(dir);
      // The search covers RocksDB's write-ahead log and SST files (if a flush made any) and the keyring.
      expect(files).toEqual(expect.arrayContaining(['keyring.json', expect.stringMatching(/^rocksdb\/\d+\.log$/)]));
      expect({ id, hits: filesContaining(dir, Buffer.from(MARKER)) }).toEqual({ id, hits: [] });
      // The table's key values are in RocksDB's keys, readable by design: proof that the search reads the data.
      expect(filesContaining(dir, Buffer.from('card-0')).length).toBeGreaterThan(0);
    }
    // Master key rotation with `triad encryption rotate-master`: the keyrings are re-wrapped, no other file changes.
    const before = new Map(STORAGE_NODE_IDS.flatMap((id) => allFiles(path.join(tc.dataDir, id)).map((f) => [`${id}/${f}`, digest(path.join(tc.dataDir, id, f))])));
    const oldKey = path.join(tc.dataDir, 'old-master.key');
    fs.copyFileSync(tc.cluster.masterKeyFile, oldKey);
    fs.writeFileSync(tc.cluster.masterKeyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const dirs = STORAGE_NODE_IDS.flatMap((id) => ['--data-dir', path.join(tc.dataDir, id)]);
    execFileSync(process.execPath, [CLI, 'encryption', 'rotate-master', '--master-key-file', oldKey, '--new-master-key-file', tc.cluster.masterKeyFile, ...dirs]);
    fs.rmSync(oldKey);
    const changed = [...before].filter(([file, hash]) => digest(path.join(tc.dataDir, file)) !== hash).map(([file]) => file);
    expect(changed.sort()).toEqual(STORAGE_NODE_IDS.map((id) => `${id}/keyring.json`));
    // Restarted with only the new master key, every node opens its data.
    for (const id of STORAGE_NODE_IDS) await tc.cluster.startNode(id);
    await eventually('every item to read back', async () => {
      for (const i of [0, ITEMS / 2, ITEMS - 1]) {
        const { Item } = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: item(i).pk, sk: item(i).sk }, ConsistentRead: true }));
        expect(Item?.secret).toEqual(item(i).secret);
      }
    });
    expect(tc.unexpectedExits).toEqual([]);
  });
});

describe('encryption at rest off', () => {
  let tc: TestCluster;
  let client: DynamoDBClient;
  beforeAll(async () => {
    tc = await startTestCluster(37, { encryptionAtRest: false });
    client = dynamoClient(tc.endpoint);
  });
  afterAll(async () => {
    client?.destroy();
    await tc?.stop();
  });

  test('the same search finds the value in the files of every node', async () => {
    await writeAndStop(tc, client);
    for (const id of STORAGE_NODE_IDS) {
      const dir = path.join(tc.dataDir, id);
      expect(fs.existsSync(path.join(dir, 'keyring.json'))).toBe(false);
      expect({ id, found: filesContaining(dir, Buffer.from(MARKER)).length > 0 }).toEqual({ id, found: true });
    }
    expect(tc.unexpectedExits).toEqual([]);
  });
});
