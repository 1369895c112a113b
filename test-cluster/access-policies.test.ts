/**
 * IAM-style policies on access keys (issue 13): a key with policies may do only what they allow,
 * evaluated as IAM does (explicit deny wins, default deny) — by action, table, index, leading key
 * and attribute, per item inside BatchWriteItem and BatchGetItem — and gets DynamoDB's
 * AccessDeniedException naming principal, action and resource; the denied request has no effect.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { dynamoClient, eventually, sdkSignedRequest } from '@triad/harness';
import { rawRequest } from './support/raw-request';
import { startTestCluster, type TestCluster } from './support/test-cluster';

const SLOT = 33;
const TABLE = 'notes';
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:000000000000:table/${TABLE}`;
const ADMIN = { accessKeyId: 'TRIADPOLICYADMIN0001', secretAccessKey: 'admin-secret-0123456789-abcdefghijklmno' };

let tc: TestCluster;
let admin: DynamoDBClient;
let credentialsDir: string;
const clients: DynamoDBClient[] = [];

async function adminCall(op: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const signed = await sdkSignedRequest(tc.endpoint, ADMIN, `TriadAdmin_20261207.${op}`, body);
  const reply = await rawRequest(tc.endpoint, { authorization: false, headers: signed.headers, body: signed.body });
  if (reply.status !== 200) throw new Error(`${op}: ${reply.status} ${JSON.stringify(reply.json)}`);
  return reply.json as Record<string, unknown>;
}

/** A new key named `name` (the IAM user name policies see as ${aws:username}) and a client signing with it. */
async function keyFor(name: string): Promise<{ id: string; client: DynamoDBClient }> {
  const created = (await adminCall('CreateAccessKey', { Name: name })).AccessKey as { AccessKeyId: string; SecretAccessKey: string };
  const client = dynamoClient(tc.endpoint, { credentials: { accessKeyId: created.AccessKeyId, secretAccessKey: created.SecretAccessKey }, maxAttempts: 1 });
  clients.push(client);
  return { id: created.AccessKeyId, client };
}

async function failure(run: () => Promise<unknown>): Promise<{ name: string; message: string } | 'ok'> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
}

const note = (owner: string, id: string, extra: Record<string, { S: string }> = {}) => ({ owner: { S: owner }, id: { S: id }, title: { S: `${owner}/${id}` }, ...extra });

beforeAll(async () => {
  credentialsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-policy-test-'));
  const credentialsFile = path.join(credentialsDir, 'credentials');
  fs.writeFileSync(credentialsFile, `${ADMIN.accessKeyId} ${ADMIN.secretAccessKey} admin\n`, { mode: 0o600 });
  tc = await startTestCluster(SLOT, { auth: { mode: 'enforce', credentialsFile } });
  admin = dynamoClient(tc.endpoint, { credentials: ADMIN });
  clients.push(admin);
  await admin.send(
    new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [
        { AttributeName: 'owner', AttributeType: 'S' },
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: 'title', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'owner', KeyType: 'HASH' },
        { AttributeName: 'id', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [{ IndexName: 'byTitle', KeySchema: [{ AttributeName: 'title', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await admin.send(new PutItemCommand({ TableName: TABLE, Item: note('bob', '1', { body: { S: "bob's note" } }) }));
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await tc?.stop();
  fs.rmSync(credentialsDir, { recursive: true, force: true });
});

describe('a key whose policy allows only its own partition', () => {
  let alice: { id: string; client: DynamoDBClient };

  beforeAll(async () => {
    alice = await keyFor('alice');
    // No policy yet: the key may use every DynamoDB operation.
    await alice.client.send(new PutItemCommand({ TableName: TABLE, Item: note('alice', '0') }));
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'OwnNotes',
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem'],
          Resource: `arn:aws:dynamodb:*:*:table/${TABLE}`,
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['${aws:username}'] } },
        },
        { Sid: 'TitleIndex', Effect: 'Allow', Action: 'dynamodb:Query', Resource: `arn:aws:dynamodb:*:*:table/${TABLE}/index/byTitle` },
        { Sid: 'NoSecrets', Effect: 'Deny', Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], Resource: '*', Condition: { 'ForAnyValue:StringEquals': { 'dynamodb:Attributes': ['secret'] } } },
      ],
    };
    await adminCall('PutKeyPolicy', { AccessKeyId: alice.id, PolicyName: 'own-notes', PolicyDocument: JSON.stringify(policy) });
    // Every router re-reads keys within a second: wait until the policy counts here.
    await eventually('the policy counts at the router', async () => {
      expect(await failure(() => alice.client.send(new GetItemCommand({ TableName: TABLE, Key: { owner: { S: 'bob' }, id: { S: '1' } } })))).not.toBe('ok');
    });
  });

  test('its own partition: read, write, update, query', async () => {
    await alice.client.send(new PutItemCommand({ TableName: TABLE, Item: note('alice', '1') }));
    await alice.client.send(new UpdateItemCommand({ TableName: TABLE, Key: { owner: { S: 'alice' }, id: { S: '1' } }, UpdateExpression: 'SET body = :b', ExpressionAttributeValues: { ':b': { S: 'hello' } } }));
    const got = await alice.client.send(new GetItemCommand({ TableName: TABLE, Key: { owner: { S: 'alice' }, id: { S: '1' } }, ConsistentRead: true }));
    expect(got.Item?.body?.S).toBe('hello');
    const mine = await alice.client.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: '#o = :o', ExpressionAttributeNames: { '#o': 'owner' }, ExpressionAttributeValues: { ':o': { S: 'alice' } }, ConsistentRead: true }));
    expect(mine.Items?.map((i) => i.id.S)).toEqual(['0', '1']);
  });

  test("another's partition: AccessDeniedException naming principal, action and resource, and no effect", async () => {
    expect(await failure(() => alice.client.send(new GetItemCommand({ TableName: TABLE, Key: { owner: { S: 'bob' }, id: { S: '1' } } })))).toEqual({
      name: 'AccessDeniedException',
      message: `User: arn:aws:iam::000000000000:user/alice is not authorized to perform: dynamodb:GetItem on resource: ${TABLE_ARN} because no identity-based policy allows the dynamodb:GetItem action`,
    });
    expect(await failure(() => alice.client.send(new PutItemCommand({ TableName: TABLE, Item: note('bob', '1', { body: { S: 'overwritten' } }) })))).toMatchObject({ name: 'AccessDeniedException' });
    expect(await failure(() => alice.client.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: '#o = :o', ExpressionAttributeNames: { '#o': 'owner' }, ExpressionAttributeValues: { ':o': { S: 'bob' } } })))).toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('dynamodb:Query'),
    });
    const bobs = await admin.send(new GetItemCommand({ TableName: TABLE, Key: { owner: { S: 'bob' }, id: { S: '1' } }, ConsistentRead: true }));
    expect(bobs.Item?.body?.S).toBe("bob's note");
  });

  test('BatchWriteItem: one item in another partition denies the whole batch, which writes nothing', async () => {
    await alice.client.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: [{ PutRequest: { Item: note('alice', '2') } }, { PutRequest: { Item: note('alice', '3') } }] } }));
    const mixed = await failure(() =>
      alice.client.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: [{ PutRequest: { Item: note('alice', '4') } }, { DeleteRequest: { Key: { owner: { S: 'bob' }, id: { S: '1' } } } }] } })),
    );
    expect(mixed).toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining('dynamodb:BatchWriteItem') });
    const four = await admin.send(new GetItemCommand({ TableName: TABLE, Key: { owner: { S: 'alice' }, id: { S: '4' } }, ConsistentRead: true }));
    expect(four.Item).toBeUndefined();
    const bobs = await admin.send(new GetItemCommand({ TableName: TABLE, Key: { owner: { S: 'bob' }, id: { S: '1' } }, ConsistentRead: true }));
    expect(bobs.Item).toBeDefined();
  });

  test('an index the policy names may be queried; Scan and DeleteTable, which it does not name, are denied', async () => {
    await eventually('the index holds bob/1', async () => {
      const byTitle = await alice.client.send(new QueryCommand({ TableName: TABLE, IndexName: 'byTitle', KeyConditionExpression: 'title = :t', ExpressionAttributeValues: { ':t': { S: 'bob/1' } } }));
      expect(byTitle.Items?.map((i) => i.owner.S)).toEqual(['bob']);
    });
    expect(await failure(() => alice.client.send(new ScanCommand({ TableName: TABLE })))).toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining('dynamodb:Scan') });
    expect(await failure(() => alice.client.send(new DeleteTableCommand({ TableName: TABLE })))).toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining('dynamodb:DeleteTable') });
  });

  test('an explicit deny on an attribute wins over the allow', async () => {
    expect(await failure(() => alice.client.send(new PutItemCommand({ TableName: TABLE, Item: note('alice', '5', { secret: { S: 'x' } }) })))).toEqual({
      name: 'AccessDeniedException',
      message: `User: arn:aws:iam::000000000000:user/alice is not authorized to perform: dynamodb:PutItem on resource: ${TABLE_ARN} with an explicit deny in an identity-based policy`,
    });
    expect(
      await failure(() => alice.client.send(new UpdateItemCommand({ TableName: TABLE, Key: { owner: { S: 'alice' }, id: { S: '1' } }, UpdateExpression: 'SET secret = :s', ExpressionAttributeValues: { ':s': { S: 'x' } } }))),
    ).toMatchObject({ name: 'AccessDeniedException' });
  });

  test('the policy detached: the key may do everything again', async () => {
    await adminCall('DeleteKeyPolicy', { AccessKeyId: alice.id, PolicyName: 'own-notes' });
    await eventually('the detached policy stops counting', async () => {
      const scanned = await alice.client.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }));
      expect(scanned.Count).toBeGreaterThan(0);
    });
  });
});

test('attribute-level read access: a projection of allowed attributes works, a whole item or another attribute is denied', async () => {
  const carol = await keyFor('carol');
  const policy = {
    Version: '2012-10-17',
    Statement: {
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:Query'],
      Resource: TABLE_ARN,
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['owner', 'id', 'title'] }, StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' } },
    },
  };
  await adminCall('PutKeyPolicy', { AccessKeyId: carol.id, PolicyName: 'titles-only', PolicyDocument: JSON.stringify(policy) });
  const key = { owner: { S: 'bob' }, id: { S: '1' } };
  await eventually('the policy counts at the router', async () => {
    expect(await failure(() => carol.client.send(new GetItemCommand({ TableName: TABLE, Key: key })))).toMatchObject({ name: 'AccessDeniedException' });
  });
  const titled = await carol.client.send(new GetItemCommand({ TableName: TABLE, Key: key, ProjectionExpression: 'title' }));
  expect(titled.Item).toEqual({ title: { S: 'bob/1' } });
  expect(await failure(() => carol.client.send(new GetItemCommand({ TableName: TABLE, Key: key, ProjectionExpression: 'body' })))).toMatchObject({ name: 'AccessDeniedException' });
  const queried = await carol.client.send(
    new QueryCommand({ TableName: TABLE, KeyConditionExpression: '#o = :o', ProjectionExpression: '#o, title', ExpressionAttributeNames: { '#o': 'owner' }, ExpressionAttributeValues: { ':o': { S: 'bob' } } }),
  );
  expect(queried.Items).toEqual([{ owner: { S: 'bob' }, title: { S: 'bob/1' } }]);
  expect(await failure(() => carol.client.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: '#o = :o', ExpressionAttributeNames: { '#o': 'owner' }, ExpressionAttributeValues: { ':o': { S: 'bob' } } })))).toMatchObject({
    name: 'AccessDeniedException',
  });
});

test('a malformed policy is refused when attached', async () => {
  const dave = await keyFor('dave');
  await expect(adminCall('PutKeyPolicy', { AccessKeyId: dave.id, PolicyName: 'bad', PolicyDocument: '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:GetItem"}}' })).rejects.toThrow(
    /MalformedPolicyDocument: Policy statement must contain resources/,
  );
});
