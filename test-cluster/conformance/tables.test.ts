/**
 * Table management beyond create/delete against a real cluster, through the AWS SDK v3: tagging,
 * DescribeLimits, DescribeEndpoints, UpdateTable and deletion protection.
 */
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeEndpointsCommand,
  DescribeLimitsCommand,
  DescribeTableCommand,
  ListTagsOfResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateTableCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { createTable, dynamoClient, waitForActive } from '@triad/harness';
import { startTestCluster, type TestCluster } from '../support/test-cluster';

const SLOT = 9;
const ARN_PREFIX = 'arn:aws:dynamodb:us-east-1:000000000000:table/';

let tc: TestCluster;
let client: DynamoDBClient;

beforeAll(async () => {
  tc = await startTestCluster(SLOT);
  client = dynamoClient(tc.endpoint);
});

afterAll(async () => {
  client?.destroy();
  await tc?.stop();
});

afterEach(() => {
  if (tc) expect(tc.unexpectedExits).toEqual([]);
});

async function expectDynamoError(promise: Promise<unknown>, name: string, message?: string | RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as { name: string; message: string; $metadata?: { httpStatusCode?: number } },
  );
  expect(error).toBeDefined();
  expect({ name: error!.name, status: error!.$metadata?.httpStatusCode }).toEqual({ name, status: 400 });
  if (typeof message === 'string') expect(error!.message).toBe(message);
  else if (message) expect(error!.message).toMatch(message);
}

const listTags = async (arn: string) => (await client.send(new ListTagsOfResourceCommand({ ResourceArn: arn }))).Tags;
const describe_ = async (table: string) => (await client.send(new DescribeTableCommand({ TableName: table }))).Table!;

describe('tags', () => {
  const table = 'tags_table';
  const arn = ARN_PREFIX + table;
  beforeAll(() => createTable(client, table, ['pk', 'S']));

  test('tag, retag, untag and list round trip', async () => {
    expect(await listTags(arn)).toEqual([]);
    await client.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'env', Value: 'test' }, { Key: 'owner', Value: 'me@example.com' }] }));
    await client.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'env', Value: 'prod' }, { Key: 'empty', Value: '' }] }));
    expect(await listTags(arn)).toEqual([
      { Key: 'env', Value: 'prod' },
      { Key: 'owner', Value: 'me@example.com' },
      { Key: 'empty', Value: '' },
    ]);
    await client.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['owner', 'not-there'] }));
    const listed = await client.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
    expect(listed.Tags).toEqual([{ Key: 'env', Value: 'prod' }, { Key: 'empty', Value: '' }]);
    expect(listed.NextToken).toBeUndefined();
    await client.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['env', 'empty'] }));
    expect(await listTags(arn)).toEqual([]);
  });

  test('CreateTable stores Tags', async () => {
    await client.send(
      new CreateTableCommand({
        TableName: 'tags_at_create',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        Tags: [{ Key: 'team', Value: 'db' }],
      }),
    );
    expect(await listTags(ARN_PREFIX + 'tags_at_create')).toEqual([{ Key: 'team', Value: 'db' }]);
  });

  test('50 tags per table', async () => {
    const fifty = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));
    await client.send(new TagResourceCommand({ ResourceArn: arn, Tags: fifty }));
    expect(await listTags(arn)).toHaveLength(50);
    // Replacing a value at the limit is fine; a 51st key is not.
    await client.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'k0', Value: 'new' }] }));
    await expectDynamoError(client.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'k50', Value: '' }] })), 'ValidationException', /exceeds the limit of 50/);
    expect(await listTags(arn)).toHaveLength(50);
    await client.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: fifty.map((t) => t.Key) }));
  });

  test('key and value limits, characters and the aws: prefix', async () => {
    await expectDynamoError(
      client.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'k'.repeat(129), Value: 'v' }] })),
      'ValidationException',
      `1 validation error detected: Value '${'k'.repeat(129)}' at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128`,
    );
    await expectDynamoError(
      client.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: '', Value: 'v' }] })),
      'ValidationException',
      /at 'tags\.1\.member\.key' failed to satisfy constraint: Member must have length greater than or equal to 1/,
    );
    await expectDynamoError(
      client.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'k', Value: 'v'.repeat(257) }] })),
      'ValidationException',
      /at 'tags\.1\.member\.value' failed to satisfy constraint: Member must have length less than or equal to 256/,
    );
    await expectDynamoError(
      client.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'k', Value: 'semi;colon' }] })),
      'ValidationException',
      /at 'tags\.1\.member\.value' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    );
    await expectDynamoError(client.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'aws:x', Value: 'v' }] })), 'ValidationException', /aws:/);
    await expectDynamoError(client.send(new TagResourceCommand({ ResourceArn: arn, Tags: [] })), 'ValidationException', 'Atleast one Tag needs to be provided as Input.');
    await expectDynamoError(client.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: [] })), 'ValidationException', 'Atleast one Tag Key needs to be provided as Input.');
    expect(await listTags(arn)).toEqual([]);
  });

  test('ARNs that are not tables, and tables that do not exist', async () => {
    const bad = 'arn:aws:dynamodb:us-east-1:000000000000:table/ab';
    await expectDynamoError(client.send(new ListTagsOfResourceCommand({ ResourceArn: bad })), 'ValidationException', `Invalid TableArn: Invalid ResourceArn provided as input ${bad}`);
    const missing = ARN_PREFIX + 'no_such_table';
    await expectDynamoError(
      client.send(new TagResourceCommand({ ResourceArn: missing, Tags: [{ Key: 'a', Value: 'b' }] })),
      'ResourceNotFoundException',
      `Requested resource not found: ResourcArn: ${missing} not found`,
    );
    await expectDynamoError(
      client.send(new ListTagsOfResourceCommand({ ResourceArn: missing })),
      'ResourceNotFoundException',
      `Requested resource not found: ResourcArn: ${missing} not found`,
    );
    await expectDynamoError(client.send(new UntagResourceCommand({ ResourceArn: missing, TagKeys: ['a'] })), 'ResourceNotFoundException', 'Requested resource not found');
  });
});

test('DescribeLimits answers DynamoDB defaults', async () => {
  const limits = await client.send(new DescribeLimitsCommand({}));
  expect({ ...limits, $metadata: undefined }).toEqual({
    $metadata: undefined,
    AccountMaxReadCapacityUnits: 80000,
    AccountMaxWriteCapacityUnits: 80000,
    TableMaxReadCapacityUnits: 40000,
    TableMaxWriteCapacityUnits: 40000,
  });
});

test('DescribeEndpoints answers one endpoint cached for a day', async () => {
  const { Endpoints } = await client.send(new DescribeEndpointsCommand({}));
  expect(Endpoints).toEqual([{ Address: 'dynamodb.us-east-1.amazonaws.com', CachePeriodInMinutes: 1440 }]);
});

describe('UpdateTable', () => {
  const table = 'update_table';
  beforeAll(async () => {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
      }),
    );
    await waitForActive(client, table);
  });

  test('a provisioned table that was never on-demand has no BillingModeSummary', async () => {
    const t = await describe_(table);
    expect(t.BillingModeSummary).toBeUndefined();
    expect(t.DeletionProtectionEnabled).toBe(false);
  });

  test('throughput change, and the same throughput refused', async () => {
    const { TableDescription } = await client.send(
      new UpdateTableCommand({ TableName: table, ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 5 } }),
    );
    expect(TableDescription!.TableStatus).toBe('UPDATING');
    expect(TableDescription!.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 10, WriteCapacityUnits: 5 });
    expect(TableDescription!.ProvisionedThroughput!.LastIncreaseDateTime).toBeInstanceOf(Date);
    const t = await describe_(table);
    expect(t.TableStatus).toBe('ACTIVE');
    expect(t.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 10, WriteCapacityUnits: 5 });
    await expectDynamoError(
      client.send(new UpdateTableCommand({ TableName: table, ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 5 } })),
      'ValidationException',
      'The provisioned throughput for the table will not change. The requested value equals the current value. ' +
        'Current ReadCapacityUnits provisioned for the table: 10. Requested ReadCapacityUnits: 10. ' +
        'Current WriteCapacityUnits provisioned for the table: 5. Requested WriteCapacityUnits: 5. ' +
        'Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.',
    );
  });

  test('billing mode switch both ways shows in DescribeTable', async () => {
    await client.send(new UpdateTableCommand({ TableName: table, BillingMode: 'PAY_PER_REQUEST' }));
    let t = await describe_(table);
    expect(t.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(t.BillingModeSummary?.LastUpdateToPayPerRequestDateTime).toBeInstanceOf(Date);
    expect(t.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 0, WriteCapacityUnits: 0 });
    await expectDynamoError(
      client.send(new UpdateTableCommand({ TableName: table, ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } })),
      'ValidationException',
      'One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST',
    );
    await expectDynamoError(
      client.send(new UpdateTableCommand({ TableName: table, BillingMode: 'PROVISIONED' })),
      'ValidationException',
      'One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED',
    );
    await client.send(
      new UpdateTableCommand({ TableName: table, BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 3 } }),
    );
    t = await describe_(table);
    expect(t.BillingModeSummary?.BillingMode).toBe('PROVISIONED');
    expect(t.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 2, WriteCapacityUnits: 3 });
  });

  test('unsupported updates and empty updates are refused', async () => {
    await expectDynamoError(
      client.send(new UpdateTableCommand({ TableName: table, StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' } })),
      'ValidationException',
      'StreamSpecification is not supported by this version of Triad',
    );
    await expectDynamoError(client.send(new UpdateTableCommand({ TableName: table })), 'ValidationException', /^At least one of ProvisionedThroughput/);
  });

  test('on a missing table: ResourceNotFoundException', async () => {
    await expectDynamoError(
      client.send(new UpdateTableCommand({ TableName: 'no_such_table', BillingMode: 'PAY_PER_REQUEST' })),
      'ResourceNotFoundException',
      'Requested resource not found: Table: no_such_table not found',
    );
  });

  test('deletion protection blocks DeleteTable until disabled', async () => {
    const { TableDescription } = await client.send(new UpdateTableCommand({ TableName: table, DeletionProtectionEnabled: true }));
    expect(TableDescription!.DeletionProtectionEnabled).toBe(true);
    expect((await describe_(table)).DeletionProtectionEnabled).toBe(true);
    await expectDynamoError(
      client.send(new DeleteTableCommand({ TableName: table })),
      'ValidationException',
      'Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.',
    );
    await client.send(new UpdateTableCommand({ TableName: table, DeletionProtectionEnabled: false }));
    await client.send(new DeleteTableCommand({ TableName: table }));
  });

  test('CreateTable with DeletionProtectionEnabled', async () => {
    await client.send(
      new CreateTableCommand({
        TableName: 'protected_at_create',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
      }),
    );
    expect((await describe_('protected_at_create')).DeletionProtectionEnabled).toBe(true);
    await expectDynamoError(client.send(new DeleteTableCommand({ TableName: 'protected_at_create' })), 'ValidationException', /protected against deletion/);
  });
});
