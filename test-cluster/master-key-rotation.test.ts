/**
 * Rotating the routers' master key without re-creating access keys (issue 13, item 5): a key made
 * with `triad keys create` under the old master key keeps signing while the routers restart one at
 * a time with the new key and the old one as `--previous-master-key-file`; the restarted router
 * re-seals every secret under the new key (`triad keys list` shows which master key each secret is
 * under, `triad_access_key_secrets` counts them), the router not yet restarted keeps serving the
 * keys it had opened, and once every secret is under the new key the routers run with it alone.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ListTablesCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { masterKeyId, newMasterKeyText, readMasterKeyFile } from '@triad/encryption';
import { REPO_ROOT, dynamoClient, eventually, scrapeMetrics, sumMetric } from '@triad/harness';
import { logTail, startTestCluster, type TestCluster } from './support/test-cluster';

const SLOT = 38;
const ADMIN = { accessKeyId: 'TRIADROTATEADMIN0001', secretAccessKey: 'rotate-admin-secret-0123456789abcdefghij' };
const CLI = path.join(REPO_ROOT, 'packages/cli/bin/triad.js');

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

interface KeyJson {
  AccessKeyId: string;
  SecretAccessKey?: string;
  MasterKeyId: string;
  MasterKey: 'current' | 'previous' | 'unknown';
}

let tc: TestCluster;
let secretsDir: string;
const clients: DynamoDBClient[] = [];

/** Runs `triad keys ... --json` against router `index`, signed as `as`; the parsed output. */
async function keysJson<T>(index: number, as: Credentials, ...args: string[]): Promise<T> {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'keys', ...args, '--json', '--endpoint', tc.cluster.endpoint(index)], {
    cwd: REPO_ROOT,
    env: { ...process.env, AWS_ACCESS_KEY_ID: as.accessKeyId, AWS_SECRET_ACCESS_KEY: as.secretAccessKey },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as T;
}

/** ListTables through router `index` signed as `credentials`: 'ok' or the error's name. */
async function listTables(index: number, credentials: Credentials): Promise<string> {
  const client = dynamoClient(tc.cluster.endpoint(index), { credentials });
  clients.push(client);
  try {
    await client.send(new ListTablesCommand({}));
    return 'ok';
  } catch (error) {
    return (error as Error).name;
  }
}

/** Restarts router `index` with the cluster's current auth options (read at each router start). */
async function restartRouter(index: number): Promise<void> {
  const id = tc.cluster.routers[index].id;
  await tc.cluster.signal(id, 'SIGTERM');
  await tc.cluster.startRouter(id);
}

async function secretsUnder(index: number, masterKey: string): Promise<number> {
  return sumMetric(await scrapeMetrics(`${tc.cluster.endpoint(index)}/metrics`), 'triad_access_key_secrets', { master_key: masterKey });
}

beforeAll(async () => {
  secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-key-rotation-'));
  const credentialsFile = path.join(secretsDir, 'credentials');
  fs.writeFileSync(credentialsFile, `${ADMIN.accessKeyId} ${ADMIN.secretAccessKey} admin\n`, { mode: 0o600 });
  tc = await startTestCluster(SLOT, { routers: 2, auth: { mode: 'enforce', credentialsFile } });
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await tc?.stop();
  fs.rmSync(secretsDir, { recursive: true, force: true });
});

test('a rolling master key rotation re-seals every secret, keys keep signing throughout, then the new key alone opens them', async () => {
  const auth = tc.cluster.options.auth!;
  // The routers start sealing under the cluster's master key (the storage nodes' too).
  const oldFile = tc.cluster.masterKeyFile;
  const oldId = masterKeyId(readMasterKeyFile(oldFile));
  const created = await keysJson<KeyJson>(0, ADMIN, 'create', '--name', 'orders-service');
  const app = { accessKeyId: created.AccessKeyId, secretAccessKey: created.SecretAccessKey! };
  expect(created).toMatchObject({ MasterKeyId: oldId, MasterKey: 'current' });
  expect(await listTables(0, app)).toBe('ok');
  await eventually('router-2 knows the new key', async () => expect(await listTables(1, app)).toBe('ok'));

  // Router 1 restarts with a new master key, the old one as previous: it re-seals every secret.
  const newFile = path.join(secretsDir, 'new-master.key');
  fs.writeFileSync(newFile, newMasterKeyText(), { mode: 0o600 });
  const newId = masterKeyId(readMasterKeyFile(newFile));
  tc.cluster.options.auth = { ...auth, masterKeyFile: newFile, previousMasterKeyFiles: [oldFile] };
  await restartRouter(0);
  const listed = await eventually('every secret re-sealed under the new master key', async () => {
    const keys = await keysJson<KeyJson[]>(0, ADMIN, 'list');
    expect(keys.map((k) => [k.AccessKeyId, k.MasterKeyId, k.MasterKey]).sort()).toEqual(
      [
        [ADMIN.accessKeyId, newId, 'current'],
        [app.accessKeyId, newId, 'current'],
      ].sort(),
    );
    return keys;
  });
  expect(listed).toHaveLength(2);
  expect(await listTables(0, app)).toBe('ok');
  await eventually('router-1 counts no secret under the previous key', async () => {
    expect(await secretsUnder(0, 'previous')).toBe(0);
    expect(await secretsUnder(0, 'current')).toBe(2);
  }, { timeoutMs: 30_000 });
  const log = fs.readFileSync(path.join(tc.dataDir, 'logs', 'router-1.log'), 'utf8');
  expect(log).toContain('access key secret re-sealed under the current master key');
  expect(log).toContain('no access key secret is left under a previous master key');

  // Router 2, not restarted yet (old key only), reads the re-sealed values and keeps serving the
  // keys it had opened; its list says it does not hold the key they are sealed under.
  await eventually('router-2 sees the secrets under a key it does not hold', async () => {
    const keys = await keysJson<KeyJson[]>(1, ADMIN, 'list');
    expect(keys.map((k) => k.MasterKey)).toEqual(['unknown', 'unknown']);
  });
  expect(await listTables(1, app)).toBe('ok');

  // Router 2 restarts the same way; then both run with the new key alone.
  await restartRouter(1);
  expect(await listTables(1, app)).toBe('ok');
  tc.cluster.options.auth = { ...auth, masterKeyFile: newFile, previousMasterKeyFiles: [] };
  await restartRouter(0);
  await restartRouter(1);
  for (const index of [0, 1]) {
    expect(await listTables(index, app)).toBe('ok');
    expect(await listTables(index, ADMIN)).toBe('ok');
    const keys = await keysJson<KeyJson[]>(index, ADMIN, 'list');
    expect(keys.map((k) => `${k.MasterKeyId} ${k.MasterKey}`)).toEqual([`${newId} current`, `${newId} current`]);
  }
  // A wrong secret for the rotated key is still refused.
  const wrong = `${app.secretAccessKey.slice(0, -1)}${app.secretAccessKey.endsWith('A') ? 'B' : 'A'}`;
  expect(await listTables(0, { ...app, secretAccessKey: wrong })).toBe('InvalidSignatureException');
  if (tc.unexpectedExits.length > 0) throw new Error(`${tc.unexpectedExits.join(', ')}\n${logTail(tc.dataDir, 'router-1')}`);
});
