/**
 * A cluster in enforce mode (issue 13): every request's SigV4 signature is verified against the
 * access keys seeded from a credentials file, with DynamoDB's errors for each way a request can be
 * wrong; a presigned request works; the audit log has a line per request and no item values; and
 * thousands of malformed signatures each get a 4xx with DynamoDB's type while the router serves on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Prng, createTable, dynamoClient, eventually, sdkSignedRequest } from '@triad/harness';
import { errorName, rawRequest, type RawResponse } from './support/raw-request';
import { ROUTER_ID, startTestCluster, type TestCluster } from './support/test-cluster';

const SLOT = 31;
const TABLE = 'secured';
const APP = { accessKeyId: 'TRIADTESTAPPKEY00001', secretAccessKey: 'app-secret-0123456789-abcdefghijklmnopqr' };
const ADMIN = { accessKeyId: 'TRIADTESTADMINKEY001', secretAccessKey: 'admin-secret-0123456789-abcdefghijklmno' };
/** A value that must never reach the audit log (nor, in clear, anything but the table). */
const CARD = '4111-1111-1111-1111';

let tc: TestCluster;
let app: DynamoDBClient;
let credentialsDir: string;
const clients: DynamoDBClient[] = [];

function client(options: Parameters<typeof dynamoClient>[1]): DynamoDBClient {
  const c = dynamoClient(tc.endpoint, options);
  clients.push(c);
  return c;
}

/** The error an SDK call failed with: its name and message (or 'ok'). */
async function outcome(run: () => Promise<unknown>): Promise<{ name: string; message: string; status?: number } | 'ok'> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
}

const getItem = (c: DynamoDBClient) => () => c.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: 'a' } } }));

beforeAll(async () => {
  credentialsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-auth-test-'));
  const credentialsFile = path.join(credentialsDir, 'credentials');
  fs.writeFileSync(credentialsFile, `# test keys\n${APP.accessKeyId} ${APP.secretAccessKey}\n${ADMIN.accessKeyId} ${ADMIN.secretAccessKey} admin\n`, { mode: 0o600 });
  tc = await startTestCluster(SLOT, { auth: { mode: 'enforce', credentialsFile, auditLog: true } });
  app = client({ credentials: APP });
  await createTable(app, TABLE, ['id', 'S']);
  await app.send(new PutItemCommand({ TableName: TABLE, Item: { id: { S: 'a' }, card: { S: CARD } } }));
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await tc?.stop();
  fs.rmSync(credentialsDir, { recursive: true, force: true });
});

test('a seeded key signs in and works', async () => {
  const reply = await app.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: 'a' } }, ConsistentRead: true }));
  expect(reply.Item?.card?.S).toBe(CARD);
});

test('a wrong secret: InvalidSignatureException', async () => {
  expect(await outcome(getItem(client({ credentials: { ...APP, secretAccessKey: 'wrong-secret-0123456789-abcdefghijklmnop' } })))).toEqual({
    name: 'InvalidSignatureException',
    message:
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    status: 400,
  });
});

test('an unknown key: UnrecognizedClientException', async () => {
  expect(await outcome(getItem(client({ credentials: { accessKeyId: 'TRIADNOSUCHKEY000001', secretAccessKey: APP.secretAccessKey } })))).toEqual({
    name: 'UnrecognizedClientException',
    message: 'The security token included in the request is invalid.',
    status: 400,
  });
});

test("a signature older than 5 minutes: InvalidSignatureException, AWS's 'Signature expired'", async () => {
  const result = await outcome(getItem(client({ credentials: APP, systemClockOffsetMs: -10 * 60_000 })));
  expect(result).toMatchObject({ name: 'InvalidSignatureException', status: 400 });
  expect((result as { message: string }).message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/);
});

test("a signature dated 10 minutes ahead: InvalidSignatureException, 'Signature not yet current'", async () => {
  const result = await outcome(getItem(client({ credentials: APP, systemClockOffsetMs: 10 * 60_000 })));
  expect(result).toMatchObject({ name: 'InvalidSignatureException', status: 400 });
  expect((result as { message: string }).message).toMatch(/^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 5 min\.\)$/);
});

test('a session token: UnrecognizedClientException that says why', async () => {
  const result = await outcome(getItem(client({ credentials: { ...APP, sessionToken: 'a-session-token' } })));
  expect(result).toMatchObject({ name: 'UnrecognizedClientException', message: expect.stringContaining('session tokens'), status: 400 });
});

function expectAwsError(response: RawResponse, name: string, message?: string | RegExp): void {
  expect({ status: response.status, name: errorName(response) }).toEqual({ status: 400, name });
  if (message !== undefined) expect(response.json?.message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
}

test('a body changed after signing: InvalidSignatureException', async () => {
  const signed = await sdkSignedRequest(tc.endpoint, APP, 'GetItem', { TableName: TABLE, Key: { id: { S: 'a' } } });
  const untouched = await rawRequest(tc.endpoint, { authorization: false, headers: signed.headers, body: signed.body });
  expect(untouched.status).toBe(200);
  const tampered = signed.body.replace('"a"', '"b"');
  expect(tampered.length).toBe(signed.body.length);
  const response = await rawRequest(tc.endpoint, { authorization: false, headers: signed.headers, body: tampered });
  expectAwsError(response, 'InvalidSignatureException', /^The request signature we calculated does not match/);
});

test('no Authorization header: MissingAuthenticationTokenException', async () => {
  const response = await rawRequest(tc.endpoint, { operation: 'ListTables', body: {}, authorization: false });
  expectAwsError(response, 'MissingAuthenticationTokenException', 'Request is missing Authentication Token');
});

test('a malformed Authorization header: IncompleteSignatureException', async () => {
  const response = await rawRequest(tc.endpoint, { operation: 'ListTables', body: {}, authorization: false, headers: { Authorization: 'AWS4-HMAC-SHA256 Credential' } });
  expectAwsError(response, 'IncompleteSignatureException', "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential'.");
});

test('a presigned request works; changed or expired, it is refused', async () => {
  const body = { TableName: TABLE, Key: { id: { S: 'a' } }, ConsistentRead: true };
  const presigned = await sdkSignedRequest(tc.endpoint, APP, 'GetItem', body, { presign: true, expiresInSeconds: 60 });
  expect(presigned.headers.authorization).toBeUndefined();
  expect(presigned.path).toContain('X-Amz-Signature=');
  const ok = await rawRequest(tc.endpoint, { authorization: false, path: presigned.path, headers: presigned.headers, body: presigned.body });
  expect({ status: ok.status, card: (ok.json?.Item as Record<string, { S: string }> | undefined)?.card?.S }).toEqual({ status: 200, card: CARD });
  const changed = await rawRequest(tc.endpoint, { authorization: false, path: presigned.path, headers: presigned.headers, body: presigned.body.replace('"a"', '"z"') });
  expectAwsError(changed, 'InvalidSignatureException');
  const old = await sdkSignedRequest(tc.endpoint, APP, 'GetItem', body, { presign: true, expiresInSeconds: 60, signingDate: new Date(Date.now() - 120_000) });
  const expired = await rawRequest(tc.endpoint, { authorization: false, path: old.path, headers: old.headers, body: old.body });
  expectAwsError(expired, 'InvalidSignatureException', /^Signature expired: /);
});

test('a non-admin key may not manage keys: AccessDeniedException; an admin key may', async () => {
  const asApp = await sdkSignedRequest(tc.endpoint, APP, 'TriadAdmin_20261207.ListAccessKeys', {});
  const denied = await rawRequest(tc.endpoint, { authorization: false, headers: asApp.headers, body: asApp.body });
  expectAwsError(denied, 'AccessDeniedException');
  const asAdmin = await sdkSignedRequest(tc.endpoint, ADMIN, 'TriadAdmin_20261207.ListAccessKeys', {});
  const listed = await rawRequest(tc.endpoint, { authorization: false, headers: asAdmin.headers, body: asAdmin.body });
  expect(listed.status).toBe(200);
  const keys = listed.json?.AccessKeys as Record<string, unknown>[];
  expect(keys.map((k) => [k.AccessKeyId, k.Admin, k.Enabled, k.Source])).toEqual([
    [ADMIN.accessKeyId, true, true, 'seed'],
    [APP.accessKeyId, false, true, 'seed'],
  ]);
  // Never a secret, sealed or not.
  expect(listed.text).not.toContain(APP.secretAccessKey);
  expect(listed.text).not.toMatch(/sealed|Secret/i);
});

/** Malformed signatures, generated from one seed: every answer must be a 4xx with DynamoDB's type. */
test('fuzz: 3,000 malformed Authorization headers and presigned queries all get a 4xx with an auth error type; the router serves on', async () => {
  const prng = new Prng(13);
  const random = () => prng.next();
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const valid = await sdkSignedRequest(tc.endpoint, APP, 'ListTables', {});
  const validHeader = valid.headers.authorization;
  const presigned = await sdkSignedRequest(tc.endpoint, APP, 'ListTables', {}, { presign: true });
  const CHARS = 'AWS4-HMAC-SHA256 Credential=/,;= aws4_request dynamodb us-east-1 SignedHeaders Signature 0123456789abcdef%+&?\t"\'\\ÿé';
  const randomText = (max: number) => Array.from({ length: Math.floor(random() * max) }, () => pick([...CHARS])).join('');
  const mutate = (text: string): string => {
    const chars = [...text];
    const edits = 1 + Math.floor(random() * 4);
    for (let i = 0; i < edits; i++) {
      const at = Math.floor(random() * (chars.length + 1));
      switch (Math.floor(random() * 5)) {
        case 0: chars.splice(at, 1); break;
        case 1: chars.splice(at, 0, pick([...CHARS])); break;
        case 2: chars.splice(at, Math.floor(random() * 20)); break;
        case 3: chars[at] = pick([...CHARS]); break;
        default: chars.splice(at, 0, ...randomText(40)); break;
      }
    }
    return chars.join('');
  };
  const cases: { headers: Record<string, string>; path: string }[] = [];
  for (let i = 0; i < 3_000; i++) {
    const kind = i % 6;
    const headers: Record<string, string> = { ...valid.headers };
    let pathAndQuery = '/';
    if (kind === 0) headers.authorization = mutate(validHeader);
    else if (kind === 1) headers.authorization = randomText(300);
    else if (kind === 2) {
      headers.authorization = validHeader.replace(/Signature=[0-9a-f]+/, `Signature=${randomText(70)}`);
    } else if (kind === 3) {
      headers.authorization = validHeader;
      headers['x-amz-date'] = pick([mutate(headers['x-amz-date']), '20990101T000000Z', '20010101T000000Z', randomText(20), '99999999T999999Z']);
    } else if (kind === 4) {
      delete headers.authorization;
      delete headers['x-amz-date'];
      pathAndQuery = mutate(presigned.path).replace(/[^\x21-\x7e]/g, '%20');
      if (!pathAndQuery.startsWith('/')) pathAndQuery = `/${pathAndQuery}`;
    } else {
      headers.authorization = validHeader.replace(/Credential=[^,]+/, `Credential=${pick([mutate(`${APP.accessKeyId}/20261207/us-east-1/dynamodb/aws4_request`), randomText(60), '/////', `${APP.accessKeyId}/${'9'.repeat(8)}/x/y/z`])}`);
    }
    // Node refuses to send control characters in headers; the router never sees those from any client.
    for (const name of Object.keys(headers)) headers[name] = headers[name].replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ' ');
    cases.push({ headers, path: pathAndQuery });
  }
  const AUTH_ERRORS = new Set(['MissingAuthenticationTokenException', 'IncompleteSignatureException', 'InvalidSignatureException', 'UnrecognizedClientException']);
  const unexpected: string[] = [];
  // A random edit can leave a request as valid as it was (a space after a comma, a date that parses
  // the same, a percent-escape decoded to the same character): those are answered, and counted.
  let accepted = 0;
  const concurrency = 16;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < cases.length) {
        const c = cases[next++];
        const response = await rawRequest(tc.endpoint, { authorization: false, path: c.path, headers: c.headers, body: valid.body });
        const name = errorName(response);
        if (response.status === 200) {
          accepted++;
          continue;
        }
        if (response.status < 400 || response.status >= 500 || !name || !AUTH_ERRORS.has(name)) {
          if (unexpected.length < 10) unexpected.push(`${response.status} ${response.text.slice(0, 200)} for ${JSON.stringify(c)}`);
        }
      }
    }),
  );
  expect(unexpected).toEqual([]);
  expect(accepted).toBeLessThan(cases.length * 0.02);
  expect(tc.unexpectedExits).toEqual([]);
  expect(await outcome(getItem(app))).toBe('ok');
}, 300_000);

test('the audit log: one line per request with key, source, operation, table and outcome; never an item value', async () => {
  const file = tc.cluster.auditLogFile(ROUTER_ID);
  await eventually('the audit lines on disk', () => expect(fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('UnrecognizedClientException')).toBe(true));
  const text = fs.readFileSync(file, 'utf8');
  expect(text).not.toContain(CARD);
  expect((fs.statSync(file).mode & 0o077)).toBe(0);
  const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
  const put = lines.find((l) => l.eventName === 'PutItem' && l.outcome === 'success');
  expect(put).toMatchObject({
    eventSource: 'dynamodb',
    userIdentity: { accessKeyId: APP.accessKeyId, authenticated: true },
    tables: [TABLE],
    sourceIPAddress: expect.stringMatching(/127\.0\.0\.1/),
  });
  expect(lines.find((l) => l.errorCode === 'UnrecognizedClientException')).toMatchObject({ outcome: 'failure', userIdentity: { accessKeyId: 'TRIADNOSUCHKEY000001', authenticated: false } });
});
