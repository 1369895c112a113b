/**
 * `npx triad keys` against an enforcing cluster (issue 13): an admin key creates a key whose secret
 * is shown once; the new key signs in; a non-admin key may not manage keys; a disabled key is
 * refused until enabled again; a deleted key is gone. The CLI signs with its own SigV4 code, so
 * this also checks it against the router's verification.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ListTablesCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { REPO_ROOT, dynamoClient, eventually } from '@triad/harness';
import { awsAvailable, awsCliTitle, runAws } from './support/aws-cli';
import { startTestCluster, type TestCluster } from './support/test-cluster';

const SLOT = 32;
const ADMIN = { accessKeyId: 'TRIADKEYSCLIADMIN001', secretAccessKey: 'keys-cli-admin-secret-0123456789abcdefgh' };
const CLI = path.join(REPO_ROOT, 'packages/cli/bin/triad.js');

let tc: TestCluster;
let credentialsDir: string;
let credentialsFile: string;
const clients: DynamoDBClient[] = [];

/** Runs `triad keys ...` signed with `as`; resolves with its exit code and output. */
async function keys(as: { accessKeyId: string; secretAccessKey: string }, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, 'keys', ...args, '--endpoint', tc.endpoint], {
      cwd: REPO_ROOT,
      env: { ...process.env, AWS_ACCESS_KEY_ID: as.accessKeyId, AWS_SECRET_ACCESS_KEY: as.secretAccessKey },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function listTables(credentials: { accessKeyId: string; secretAccessKey: string }): Promise<string> {
  const client = dynamoClient(tc.endpoint, { credentials });
  clients.push(client);
  try {
    await client.send(new ListTablesCommand({}));
    return 'ok';
  } catch (error) {
    return (error as Error).name;
  }
}

beforeAll(async () => {
  credentialsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-keys-cli-'));
  credentialsFile = path.join(credentialsDir, 'credentials');
  fs.writeFileSync(credentialsFile, `${ADMIN.accessKeyId} ${ADMIN.secretAccessKey} admin\n`, { mode: 0o600 });
  tc = await startTestCluster(SLOT, { auth: { mode: 'enforce', credentialsFile } });
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await tc?.stop();
  fs.rmSync(credentialsDir, { recursive: true, force: true });
});

test('create, sign in, list, refuse a non-admin, disable, enable, delete', async () => {
  const created = await keys(ADMIN, 'create', '--name', 'orders-service', '--json');
  expect(created).toMatchObject({ code: 0 });
  const key = JSON.parse(created.stdout) as { AccessKeyId: string; SecretAccessKey: string; Name: string; Admin: boolean; Enabled: boolean };
  expect(key).toMatchObject({ Name: 'orders-service', Admin: false, Enabled: true });
  expect(key.AccessKeyId).toMatch(/^TRIA[A-Z2-7]{16}$/);
  expect(key.SecretAccessKey).toHaveLength(40);
  const app = { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };

  // The router that created it knows it at once; others within a refresh (1 s).
  expect(await listTables(app)).toBe('ok');

  const listed = await keys(ADMIN, 'list');
  expect(listed.code).toBe(0);
  expect(listed.stdout).toMatch(new RegExp(`${key.AccessKeyId}\\s+orders-service\\s+enabled\\s+no`));
  expect(listed.stdout).toMatch(new RegExp(`${ADMIN.accessKeyId}\\s+seed:${ADMIN.accessKeyId}\\s+enabled\\s+yes`));
  expect(listed.stdout).not.toContain(key.SecretAccessKey);

  const denied = await keys(app, 'list');
  expect(denied.code).toBe(1);
  expect(denied.stderr).toContain('AccessDeniedException');

  expect(await keys(ADMIN, 'disable', key.AccessKeyId)).toMatchObject({ code: 0, stdout: `${key.AccessKeyId} disabled\n` });
  await eventually('the disabled key refused', async () => expect(await listTables(app)).toBe('UnrecognizedClientException'));
  expect(await keys(ADMIN, 'enable', key.AccessKeyId)).toMatchObject({ code: 0 });
  await eventually('the enabled key accepted', async () => expect(await listTables(app)).toBe('ok'));

  expect(await keys(ADMIN, 'delete', key.AccessKeyId)).toMatchObject({ code: 0 });
  await eventually('the deleted key refused', async () => expect(await listTables(app)).toBe('UnrecognizedClientException'));
  expect((await keys(ADMIN, 'list', '--json')).stdout).not.toContain(key.AccessKeyId);
  const again = await keys(ADMIN, 'delete', key.AccessKeyId);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('ResourceNotFoundException');

  // A wrong admin secret gets DynamoDB's error through the CLI.
  const wrong = await keys({ ...ADMIN, secretAccessKey: 'not-the-admin-secret-0123456789abcdefgh' }, 'list');
  expect(wrong.stderr).toContain('InvalidSignatureException');
  expect(tc.unexpectedExits).toEqual([]);
}, 180_000);

test('a key added to the credentials file (a rotated Secret) counts without a restart', async () => {
  const added = { accessKeyId: 'TRIADADDEDLATER00001', secretAccessKey: 'added-later-secret-0123456789abcdefghij' };
  expect(await listTables(added)).toBe('UnrecognizedClientException');
  fs.appendFileSync(credentialsFile, `${added.accessKeyId} ${added.secretAccessKey}\n`);
  await eventually('the added key accepted', async () => expect(await listTables(added)).toBe('ok'), { timeoutMs: 30_000, intervalMs: 500 });
}, 120_000);

// The AWS CLI signs with botocore, not the JavaScript SDK: a second, independent signer.
(awsAvailable ? describe : describe.skip)(awsCliTitle('the AWS CLI against an enforcing cluster'), () => {
  test('signs in with a key, and gets DynamoDB\'s errors for a wrong secret or an unknown key', async () => {
    expect(await runAws(tc.endpoint, ['list-tables'], { credentials: ADMIN })).toMatchObject({ code: 0, json: { TableNames: [] } });
    const wrong = await runAws(tc.endpoint, ['list-tables'], { credentials: { ...ADMIN, secretAccessKey: 'not-the-admin-secret-0123456789abcdefgh' } });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('(InvalidSignatureException)');
    const unknown = await runAws(tc.endpoint, ['list-tables'], { credentials: { accessKeyId: 'TRIADNOSUCHKEY', secretAccessKey: ADMIN.secretAccessKey } });
    expect(unknown.stderr).toContain('(UnrecognizedClientException)');
    const put = await runAws(tc.endpoint, ['create-table', '--table-name', 'cli', '--attribute-definitions', 'AttributeName=id,AttributeType=S', '--key-schema', 'AttributeName=id,KeyType=HASH', '--billing-mode', 'PAY_PER_REQUEST'], { credentials: ADMIN });
    expect(put).toMatchObject({ code: 0 });
  }, 120_000);
});
