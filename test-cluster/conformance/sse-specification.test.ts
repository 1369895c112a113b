/**
 * SSESpecification on CreateTable, UpdateTable and DescribeTable, as DynamoDB answers it: the
 * setting is accepted, stored and reported (SSEDescription for KMS, none for the service's own
 * key), and bad combinations get DynamoDB's ValidationException messages. (Triad seals every
 * table's data alike under its storage nodes' key provider: docs/security.md.)
 */
import { apiFor, expectFailure, expectSuccess, INVALID, type Api, type Json } from '../support/conformance';
import { startTestCluster, type TestCluster } from '../support/test-cluster';

const SLOT = 37; // shared with encryption-at-rest.test.ts: cluster tests run one file at a time
const REGION_ACCOUNT = 'us-east-1:000000000000';

let tc: TestCluster;
let api: Api;

beforeAll(async () => {
  tc = await startTestCluster(SLOT);
  api = apiFor(tc.endpoint);
});

afterAll(async () => {
  await tc?.stop();
});

afterEach(() => {
  if (tc) expect(tc.unexpectedExits).toEqual([]);
});

const createBody = (name: string, sse?: Json): Json => ({
  TableName: name,
  BillingMode: 'PAY_PER_REQUEST',
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
  ...(sse ? { SSESpecification: sse } : {}),
});

const describeTable = async (name: string) => ((await expectSuccess(api, 'DescribeTable', { TableName: name })).Table as Json);

describe('CreateTable', () => {
  test.each([
    [{ Enabled: false, SSEType: 'KMS' }, 'SSEType can not be specified if Enabled is false'],
    [{ SSEType: 'KMS' }, 'SSEType can not be specified if Enabled is false'],
    [{ Enabled: false, KMSMasterKeyId: 'alias/mine' }, 'KMSMasterKeyId can not be specified if Enabled is false'],
    [{ Enabled: true, SSEType: 'AES256' }, 'SSEType AES256 is not supported'],
    [{ Enabled: true, KMSMasterKeyId: 'alias/mine' }, 'SSEType KMS is required if KMSMasterKeyId is specified'],
  ])('SSESpecification %j is refused', async (sse, message) => {
    await expectFailure(api, 'CreateTable', createBody('sse_refused', sse), 'ValidationException', `${INVALID} ${message}`);
    await expectFailure(api, 'DescribeTable', { TableName: 'sse_refused' }, 'ResourceNotFoundException');
  });

  test('an SSEType outside the enum fails the schema check', async () => {
    await expectFailure(api, 'CreateTable', createBody('sse_enum', { Enabled: true, SSEType: 'AES-256' }), 'ValidationException', /Member must satisfy enum value set: \[AES256, KMS\]/);
  });

  test('Enabled: KMS with the AWS-managed key, in the answer and in DescribeTable', async () => {
    const created = await expectSuccess(api, 'CreateTable', createBody('sse_managed', { Enabled: true }));
    const expected = { Status: 'ENABLED', SSEType: 'KMS', KMSMasterKeyArn: `arn:aws:kms:${REGION_ACCOUNT}:alias/aws/dynamodb` };
    expect((created.TableDescription as Json).SSEDescription).toEqual(expected);
    expect((await describeTable('sse_managed')).SSEDescription).toEqual(expected);
  });

  test('a named KMS key is reported as its ARN', async () => {
    await expectSuccess(api, 'CreateTable', createBody('sse_cmk', { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' }));
    expect((await describeTable('sse_cmk')).SSEDescription).toEqual({
      Status: 'ENABLED',
      SSEType: 'KMS',
      KMSMasterKeyArn: `arn:aws:kms:${REGION_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    });
  });

  test('disabled or absent: no SSEDescription (the service-owned key)', async () => {
    await expectSuccess(api, 'CreateTable', createBody('sse_off', { Enabled: false }));
    await expectSuccess(api, 'CreateTable', createBody('sse_absent'));
    expect((await describeTable('sse_off')).SSEDescription).toBeUndefined();
    expect((await describeTable('sse_absent')).SSEDescription).toBeUndefined();
  });
});

describe('UpdateTable', () => {
  test('turns KMS on, changes the key, and turns it off; reported by DescribeTable each time', async () => {
    await expectSuccess(api, 'CreateTable', createBody('sse_update'));
    const on = await expectSuccess(api, 'UpdateTable', { TableName: 'sse_update', SSESpecification: { Enabled: true } });
    expect(((on.TableDescription as Json).SSEDescription as Json).Status).toBe('ENABLED');
    await expectSuccess(api, 'UpdateTable', { TableName: 'sse_update', SSESpecification: { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: 'alias/mine' } });
    expect(((await describeTable('sse_update')).SSEDescription as Json).KMSMasterKeyArn).toBe(`arn:aws:kms:${REGION_ACCOUNT}:alias/mine`);
    await expectSuccess(api, 'UpdateTable', { TableName: 'sse_update', SSESpecification: { Enabled: false } });
    expect((await describeTable('sse_update')).SSEDescription).toBeUndefined();
  });

  test('an SSE change must be the only change; bad combinations are refused', async () => {
    await expectFailure(
      api,
      'UpdateTable',
      { TableName: 'sse_update', SSESpecification: { Enabled: true }, DeletionProtectionEnabled: true },
      'ValidationException',
      `${INVALID} Server-Side Encryption modification must be the only operation in the request`,
    );
    await expectFailure(api, 'UpdateTable', { TableName: 'sse_update', SSESpecification: { Enabled: true, SSEType: 'AES256' } }, 'ValidationException', `${INVALID} SSEType AES256 is not supported`);
    expect((await describeTable('sse_update')).DeletionProtectionEnabled).toBe(false);
  });
});
