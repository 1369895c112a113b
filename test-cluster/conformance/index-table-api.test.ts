/**
 * Secondary indexes in the table API against a real cluster: CreateTable with local and global
 * indexes, their descriptions in CreateTable / DescribeTable / UpdateTable / DeleteTable answers,
 * and UpdateTable's GlobalSecondaryIndexUpdates, asserting DynamoDB's results and exact messages.
 * Requests go out as raw JSON, so that no SDK check or conversion stands between the test and the
 * router, and answers are compared as DynamoDB's JSON (member order included where it is known).
 *
 * Indexes that UpdateTable creates or deletes are finished by a background job; these tests hold
 * whether that job has already run or not (CREATING or ACTIVE, DELETING or gone).
 */
import { errorName, rawRequest, type RawResponse } from '../support/raw-request';
import { startTestCluster, type TestCluster } from '../support/test-cluster';

const SLOT = 10;
const ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/';
const INVALID = 'One or more parameter values were invalid: ';
const ONLINE_INDEX_LIMIT = 'Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let tc: TestCluster;

beforeAll(async () => {
  tc = await startTestCluster(SLOT);
});

afterAll(async () => {
  await tc?.stop();
});

afterEach(() => {
  if (tc) expect(tc.unexpectedExits).toEqual([]);
});

const send = (operation: string, body: unknown) => rawRequest(tc.endpoint, { operation, body });

function ok(response: RawResponse): Json {
  expect({ status: response.status, body: response.status === 200 ? 'ok' : response.text }).toEqual({ status: 200, body: 'ok' });
  return response.json as Json;
}

const NAMESPACES: Record<string, string> = { ValidationException: 'com.amazon.coral.validate' };

/** HTTP 400, DynamoDB's `__type` for `name`, and the exact message (or one matching a pattern). */
async function expectError(operation: string, body: unknown, name: string, message: string | RegExp): Promise<void> {
  const response = await send(operation, body);
  const namespace = NAMESPACES[name] ?? 'com.amazonaws.dynamodb.v20120810';
  expect({ status: response.status, name: errorName(response), type: response.json?.__type, message: response.json?.message }).toEqual({
    status: 400,
    name,
    type: `${namespace}#${name}`,
    message: typeof message === 'string' ? message : expect.stringMatching(message),
  });
}

const describe_ = async (table: string): Promise<Json> => ok(await send('DescribeTable', { TableName: table })).Table;

const S = (name: string) => ({ AttributeName: name, AttributeType: 'S' });
const N = (name: string) => ({ AttributeName: name, AttributeType: 'N' });
const hash = (name: string) => ({ AttributeName: name, KeyType: 'HASH' });
const range = (name: string) => ({ AttributeName: name, KeyType: 'RANGE' });
const ALL = { ProjectionType: 'ALL' };
const PT = (read: number, write: number) => ({ ReadCapacityUnits: read, WriteCapacityUnits: write });

/** A provisioned table keyed pk/sk (strings); `extra` is merged over it. */
const tableRequest = (name: string, extra: Json = {}): Json => ({
  TableName: name,
  AttributeDefinitions: [S('pk'), S('sk')],
  KeySchema: [hash('pk'), range('sk')],
  ProvisionedThroughput: PT(1, 1),
  ...extra,
});
const gsi = (name: string, keys: Json[], extra: Json = {}): Json => ({ IndexName: name, KeySchema: keys, Projection: ALL, ProvisionedThroughput: PT(1, 1), ...extra });
const lsi = (name: string, sortKey: string, extra: Json = {}): Json => ({ IndexName: name, KeySchema: [hash('pk'), range(sortKey)], Projection: ALL, ...extra });

const names = (indexes: Json[] | undefined) => (indexes ?? []).map((i) => i.IndexName);
const indexNamed = (table: Json, name: string): Json | undefined => (table.GlobalSecondaryIndexes ?? []).find((i: Json) => i.IndexName === name);

describe('CreateTable with secondary indexes', () => {
  test('local and global indexes on a provisioned table: answered CREATING, then ACTIVE', async () => {
    const table = 'idx_create_prov';
    const { TableDescription: created } = ok(
      await send(
        'CreateTable',
        tableRequest(table, {
          AttributeDefinitions: [S('sk'), N('lsk'), S('pk'), S('g')],
          LocalSecondaryIndexes: [lsi('by_lsk', 'lsk', { Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['zz', 'aa', 'mm'] } })],
          GlobalSecondaryIndexes: [gsi('by_g', [hash('g'), range('sk')], { Projection: { ProjectionType: 'KEYS_ONLY' }, ProvisionedThroughput: PT(3, 4) })],
        }),
      ),
    );
    expect(created.TableStatus).toBe('CREATING');
    // Definitions come back sorted by name, as DynamoDB returns them.
    expect(created.AttributeDefinitions).toEqual([S('g'), N('lsk'), S('pk'), S('sk')]);
    expect(created.LocalSecondaryIndexes).toEqual([
      {
        IndexName: 'by_lsk',
        KeySchema: [hash('pk'), range('lsk')],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['aa', 'mm', 'zz'] },
        IndexSizeBytes: 0,
        ItemCount: 0,
        IndexArn: `${ARN}${table}/index/by_lsk`,
      },
    ]);
    const expectedGlobal = (status: string) => ({
      IndexName: 'by_g',
      KeySchema: [hash('g'), range('sk')],
      Projection: { ProjectionType: 'KEYS_ONLY' },
      IndexStatus: status,
      ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 3, WriteCapacityUnits: 4 },
      IndexSizeBytes: 0,
      ItemCount: 0,
      IndexArn: `${ARN}${table}/index/by_g`,
    });
    expect(created.GlobalSecondaryIndexes).toEqual([expectedGlobal('CREATING')]);
    // Member order as in DynamoDB's JSON; Backfilling never appears for indexes made with the table.
    expect(Object.keys(created.GlobalSecondaryIndexes[0])).toEqual(Object.keys(expectedGlobal('CREATING')));
    expect(Object.keys(created)).toEqual([
      'AttributeDefinitions',
      'TableName',
      'KeySchema',
      'TableStatus',
      'CreationDateTime',
      'ProvisionedThroughput',
      'TableSizeBytes',
      'ItemCount',
      'TableArn',
      'TableId',
      'LocalSecondaryIndexes',
      'GlobalSecondaryIndexes',
      'DeletionProtectionEnabled',
    ]);

    const described = await describe_(table);
    expect(described.TableStatus).toBe('ACTIVE');
    expect(described.LocalSecondaryIndexes).toEqual(created.LocalSecondaryIndexes);
    expect(described.GlobalSecondaryIndexes).toEqual([expectedGlobal('ACTIVE')]);
  });

  test('an on-demand table: global indexes show zero capacity units', async () => {
    const table = 'idx_create_ppr';
    ok(
      await send('CreateTable', {
        TableName: table,
        AttributeDefinitions: [S('pk'), S('g')],
        KeySchema: [hash('pk')],
        BillingMode: 'PAY_PER_REQUEST',
        GlobalSecondaryIndexes: [{ IndexName: 'by_g', KeySchema: [hash('g')], Projection: ALL }],
      }),
    );
    const [index] = (await describe_(table)).GlobalSecondaryIndexes;
    expect(index).toMatchObject({ IndexStatus: 'ACTIVE', ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 0, WriteCapacityUnits: 0 } });
    expect(index.Backfilling).toBeUndefined();
  });

  test('20 global indexes are accepted; so is an index named and keyed like its table', async () => {
    const twenty = Array.from({ length: 20 }, (_, i) => gsi(`gsi${i}`, [hash('sk')]));
    ok(await send('CreateTable', tableRequest('idx_twenty', { GlobalSecondaryIndexes: twenty })));
    expect(names((await describe_('idx_twenty')).GlobalSecondaryIndexes)).toEqual(twenty.map((i) => i.IndexName));
    ok(await send('CreateTable', tableRequest('idx_same_name', { GlobalSecondaryIndexes: [gsi('idx_same_name', [hash('pk'), range('sk')])] })));
  });

  describe('validation: DynamoDB messages, and no table created', () => {
    const table = 'idx_refused';
    afterAll(async () => {
      await expectError('DescribeTable', { TableName: table }, 'ResourceNotFoundException', `Requested resource not found: Table: ${table} not found`);
    });
    const refused = (extra: Json, name: string, message: string | RegExp) => expectError('CreateTable', tableRequest(table, extra), name, message);
    const invalid = (extra: Json, message: string | RegExp) => refused(extra, 'ValidationException', message);

    test('schema constraints on index members', async () => {
      await invalid(
        { GlobalSecondaryIndexes: [{ IndexName: 'h;', KeySchema: [], Projection: { ProjectionType: 'all' }, ProvisionedThroughput: PT(0, 1) }] },
        '5 validation errors detected: ' +
          "Value 'h;' at 'globalSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
          "Value 'h;' at 'globalSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must have length greater than or equal to 3; " +
          "Value '[]' at 'globalSecondaryIndexes.1.member.keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
          "Value 'all' at 'globalSecondaryIndexes.1.member.projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]; " +
          "Value '0' at 'globalSecondaryIndexes.1.member.provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1",
      );
      await invalid(
        { LocalSecondaryIndexes: [{ IndexName: 'lsi' }] },
        '2 validation errors detected: ' +
          "Value null at 'localSecondaryIndexes.1.member.keySchema' failed to satisfy constraint: Member must not be null; " +
          "Value null at 'localSecondaryIndexes.1.member.projection' failed to satisfy constraint: Member must not be null",
      );
      await invalid(
        { GlobalSecondaryIndexes: [gsi('gsi', [hash('sk')], { Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: Array.from({ length: 21 }, (_, i) => `n${i}`) } })] },
        /^1 validation error detected: Value '.*' at 'globalSecondaryIndexes\.1\.member\.projection\.nonKeyAttributes' failed to satisfy constraint: Member must have length less than or equal to 20$/,
      );
    });

    test('empty index lists', async () => {
      await invalid({ LocalSecondaryIndexes: [] }, `${INVALID}List of LocalSecondaryIndexes is empty`);
      await invalid({ GlobalSecondaryIndexes: [] }, `${INVALID}List of GlobalSecondaryIndexes is empty`);
    });

    test('local index keys', async () => {
      await invalid(
        { KeySchema: [hash('pk')], AttributeDefinitions: [S('pk')], LocalSecondaryIndexes: [lsi('lsi', 'pk')] },
        `${INVALID}Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex`,
      );
      await invalid({ LocalSecondaryIndexes: [{ ...lsi('abc', 'sk'), KeySchema: [hash('sk')] }] }, `${INVALID}Index KeySchema does not have a range key for index: abc`);
      await invalid(
        { LocalSecondaryIndexes: [{ ...lsi('abc', 'sk'), KeySchema: [hash('sk'), range('pk')] }] },
        `${INVALID}Index KeySchema does not have the same leading hash key as table KeySchema for index: abc. index hash key: sk, table hash key: pk`,
      );
      await invalid({ LocalSecondaryIndexes: [{ ...lsi('abc', 'sk'), KeySchema: [range('pk')] }] }, 'Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
      await invalid(
        { LocalSecondaryIndexes: [{ ...lsi('abc', 'sk'), KeySchema: [hash('pk'), range('pk')] }] },
        'Both the Hash Key and the Range Key element in the KeySchema have the same name',
      );
    });

    test('global index keys', async () => {
      await invalid({ GlobalSecondaryIndexes: [gsi('gsi', [range('sk')])] }, 'Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
      await invalid(
        { AttributeDefinitions: [S('pk'), S('sk'), S('a')], GlobalSecondaryIndexes: [gsi('gsi', [hash('a'), range('sk'), hash('pk')])] },
        `${INVALID}All HASH key attributes must precede RANGE key attributes in the KeySchema`,
      );
      await invalid(
        { AttributeDefinitions: [S('pk'), S('sk'), S('a')], GlobalSecondaryIndexes: [gsi('gsi', [hash('a'), hash('sk')])] },
        'Multi-attribute keys in global secondary indexes are not supported by this version of Triad',
      );
    });

    test('AttributeDefinitions must be exactly the key attributes of the table and its indexes', async () => {
      await invalid(
        { GlobalSecondaryIndexes: [gsi('gsi', [hash('q')])] },
        `${INVALID}Some index key attributes are not defined in AttributeDefinitions. Keys: [q], AttributeDefinitions: [sk, pk]`,
      );
      await invalid(
        { AttributeDefinitions: [S('sk'), S('a'), S('b'), S('pk'), S('c')], GlobalSecondaryIndexes: [gsi('gsi', [hash('a')])] },
        `${INVALID}Some AttributeDefinitions are not used. AttributeDefinitions: [sk, a, b, pk, c], keys used: [a, sk, pk]`,
      );
      // The unused definition masks the projection error that follows it.
      await invalid(
        { AttributeDefinitions: [S('pk'), S('sk'), S('x')], GlobalSecondaryIndexes: [gsi('gsi', [hash('sk')], { Projection: {} })] },
        `${INVALID}Some AttributeDefinitions are not used. AttributeDefinitions: [pk, sk, x], keys used: [sk, pk]`,
      );
    });

    test('projections', async () => {
      const projection = (Projection: Json, message: string) => invalid({ GlobalSecondaryIndexes: [gsi('gsi', [hash('sk')], { Projection })] }, message);
      await projection({}, `${INVALID}Unknown ProjectionType: null`);
      await projection({ ProjectionType: 'ALL', NonKeyAttributes: ['a'] }, `${INVALID}ProjectionType is ALL, but NonKeyAttributes is specified`);
      await projection({ ProjectionType: 'KEYS_ONLY', NonKeyAttributes: ['a'] }, `${INVALID}ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified`);
      await projection({ ProjectionType: 'INCLUDE' }, `${INVALID}ProjectionType is INCLUDE, but NonKeyAttributes is not specified`);
      await projection({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['a', 'b', 'a'] }, `${INVALID}Duplicate element in NonKeyAttributes: a`);
      const twenty = Array.from({ length: 20 }, (_, i) => `n${i}`);
      await invalid(
        {
          GlobalSecondaryIndexes: ['gs1', 'gs2', 'gs3', 'gs4', 'gs5'].map((n) => gsi(n, [hash('sk')], { Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: twenty } })),
          LocalSecondaryIndexes: [lsi('ls1', 'sk', { Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['n0'] } })],
        },
        `${INVALID}Number of projected attributes in all indexes exceeds limit of 100`,
      );
    });

    test('throughput of global indexes follows the billing mode', async () => {
      await invalid({ GlobalSecondaryIndexes: [gsi('g-a', [hash('sk')], { ProvisionedThroughput: undefined })] }, `${INVALID}ProvisionedThroughput is not specified for index: g-a`);
      await invalid(
        { BillingMode: 'PAY_PER_REQUEST', ProvisionedThroughput: undefined, GlobalSecondaryIndexes: [gsi('g-a', [hash('sk')])] },
        `${INVALID}ProvisionedThroughput should not be specified for index: g-a when BillingMode is PAY_PER_REQUEST`,
      );
    });

    test('index names and counts', async () => {
      await invalid({ LocalSecondaryIndexes: [lsi('dup', 'sk')], GlobalSecondaryIndexes: [gsi('dup', [hash('sk')])] }, `${INVALID}Duplicate index name: dup`);
      await invalid(
        { LocalSecondaryIndexes: ['ls1', 'ls2', 'ls3', 'ls4', 'ls5', 'ls6'].map((n) => lsi(n, 'sk')) },
        `${INVALID}Number of LocalSecondaryIndexes exceeds per-table limit of 5`,
      );
      await invalid(
        { GlobalSecondaryIndexes: Array.from({ length: 21 }, (_, i) => gsi(`gsi${i}`, [hash('sk')])) },
        `${INVALID}GlobalSecondaryIndex count exceeds the per-table limit of 20`,
      );
    });
  });
});

describe('UpdateTable GlobalSecondaryIndexUpdates', () => {
  const table = 'idx_update';
  beforeAll(async () => {
    ok(
      await send(
        'CreateTable',
        tableRequest(table, {
          AttributeDefinitions: [S('pk'), S('sk'), S('lsk'), S('a')],
          LocalSecondaryIndexes: [lsi('lsi1', 'lsk')],
          GlobalSecondaryIndexes: [gsi('gsi1', [hash('a')], { ProvisionedThroughput: PT(2, 2) })],
        }),
      ),
    );
  });
  const update = (body: Json) => send('UpdateTable', { TableName: table, ...body });
  const refused = (body: Json, name: string, message: string | RegExp) => expectError('UpdateTable', { TableName: table, ...body }, name, message);

  test('request shape', async () => {
    await refused({ GlobalSecondaryIndexUpdates: [] }, 'ValidationException', /^At least one of ProvisionedThroughput, BillingMode/);
    await refused({ GlobalSecondaryIndexUpdates: [], DeletionProtectionEnabled: false }, 'ValidationException', `${INVALID}List of GlobalSecondaryIndexUpdates is empty`);
    await refused(
      { GlobalSecondaryIndexUpdates: [{}] },
      'ValidationException',
      `${INVALID}One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null`,
    );
    await refused(
      { GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'gsi1' }, Update: { IndexName: 'gsi1', ProvisionedThroughput: PT(3, 3) } }] },
      'ValidationException',
      `${INVALID}Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object`,
    );
    await refused(
      { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'gsi1', ProvisionedThroughput: PT(3, 3) } }, { Delete: { IndexName: 'gsi1' } }] },
      'ValidationException',
      `${INVALID}Only one global secondary index update per index is allowed simultaneously. Index: gsi1`,
    );
    await refused(
      { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'gsi1', ProvisionedThroughput: {} } }] },
      'ValidationException',
      '2 validation errors detected: ' +
        "Value null at 'globalSecondaryIndexUpdates.1.member.update.provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member must not be null; " +
        "Value null at 'globalSecondaryIndexUpdates.1.member.update.provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must not be null",
    );
    await refused(
      { AttributeDefinitions: [S('b')], ProvisionedThroughput: PT(9, 9), GlobalSecondaryIndexUpdates: [{ Create: gsi('gsi2', [hash('b')]) }] },
      'ValidationException',
      `${INVALID}You cannot create or delete index while updating table IOPS`,
    );
  });

  test('unknown tables and indexes', async () => {
    await expectError(
      'UpdateTable',
      { TableName: 'no_such_table', GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'gsi1' } }] },
      'ResourceNotFoundException',
      'Requested resource not found: Table: no_such_table not found',
    );
    await refused({ GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'ghost' } }] }, 'ResourceNotFoundException', `Requested resource not found: Index ghost for table ${table}`);
    await refused(
      { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'ghost', ProvisionedThroughput: PT(3, 3) } }] },
      'ResourceNotFoundException',
      `Requested resource not found: Index ghost for table ${table}`,
    );
    await refused({ GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'lsi1' } }] }, 'ValidationException', 'Cannot delete an index that is not a GlobalSecondaryIndex: lsi1');
    await refused(
      { AttributeDefinitions: [S('b')], GlobalSecondaryIndexUpdates: [{ Create: gsi('gsi1', [hash('b')]) }] },
      'ValidationException',
      'Attempting to create an index which already exists',
    );
    await refused(
      { AttributeDefinitions: [S('b')], GlobalSecondaryIndexUpdates: [{ Create: gsi('lsi1', [hash('b')]) }] },
      'ValidationException',
      'Attempting to create an index which already exists',
    );
  });

  test('one online index change per call', async () => {
    await refused(
      { AttributeDefinitions: [S('b'), S('c')], GlobalSecondaryIndexUpdates: [{ Create: gsi('gsi2', [hash('b')]) }, { Create: gsi('gsi3', [hash('c')]) }] },
      'LimitExceededException',
      ONLINE_INDEX_LIMIT,
    );
    await refused(
      { AttributeDefinitions: [S('b')], GlobalSecondaryIndexUpdates: [{ Create: gsi('gsi2', [hash('b')]) }, { Delete: { IndexName: 'gsi1' } }] },
      'LimitExceededException',
      ONLINE_INDEX_LIMIT,
    );
  });

  test('Update changes an index throughput; the same throughput is refused', async () => {
    const { TableDescription } = ok(await update({ GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'gsi1', ProvisionedThroughput: PT(5, 2) } }] }));
    expect(TableDescription.TableStatus).toBe('UPDATING');
    expect(indexNamed(TableDescription, 'gsi1')).toMatchObject({ IndexStatus: 'UPDATING', ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 2 } });
    const index = indexNamed(await describe_(table), 'gsi1')!;
    expect(index.IndexStatus).toBe('ACTIVE');
    expect(index.ProvisionedThroughput).toEqual({ LastIncreaseDateTime: expect.any(Number), NumberOfDecreasesToday: 0, ReadCapacityUnits: 5, WriteCapacityUnits: 2 });
    await refused(
      { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'gsi1', ProvisionedThroughput: PT(5, 2) } }] },
      'ValidationException',
      'The provisioned throughput for the index gsi1 will not change. The requested value equals the current value. ' +
        'Current ReadCapacityUnits provisioned for index gsi1: 5. Requested ReadCapacityUnits: 5. ' +
        'Current WriteCapacityUnits provisioned for index gsi1: 2. Requested WriteCapacityUnits: 2. ' +
        'Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.',
    );
  });

  test('Create needs AttributeDefinitions for its keys and throughput on a provisioned table', async () => {
    const create = (extra: Json, message: string) => refused({ GlobalSecondaryIndexUpdates: [{ Create: gsi('gsi2', [hash('b')]) }], ...extra }, 'ValidationException', message);
    await create({}, `${INVALID}AttributeDefinitions is not specified for index: gsi2`);
    await create(
      { AttributeDefinitions: [S('c'), S('pk')] },
      `${INVALID}Some index key attributes are not defined in AttributeDefinitions. Keys: [b], AttributeDefinitions: [c, pk]`,
    );
    // The table's definitions do not count: the request names every key attribute of the index.
    await refused(
      { AttributeDefinitions: [S('b')], GlobalSecondaryIndexUpdates: [{ Create: gsi('gsi2', [hash('b'), range('sk')]) }] },
      'ValidationException',
      `${INVALID}Some index key attributes are not defined in AttributeDefinitions. Keys: [b, sk], AttributeDefinitions: [b]`,
    );
    await refused(
      { AttributeDefinitions: [S('b')], GlobalSecondaryIndexUpdates: [{ Create: gsi('gsi2', [hash('b')], { ProvisionedThroughput: undefined }) }] },
      'ValidationException',
      `${INVALID}Both ReadCapacityUnits and WriteCapacityUnits must be specified for index: gsi2`,
    );
  });

  test('Create adds a CREATING, backfilling index; the new key joins AttributeDefinitions', async () => {
    const { TableDescription } = ok(
      await update({
        // Every key attribute of the new index is defined again, the table's own too; unused ones are ignored.
        AttributeDefinitions: [S('b'), S('sk'), S('unused')],
        GlobalSecondaryIndexUpdates: [{ Create: gsi('gsi2', [hash('b'), range('sk')], { Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['y', 'x'] }, ProvisionedThroughput: PT(1, 2) }) }],
      }),
    );
    expect(TableDescription.TableStatus).toBe('UPDATING');
    expect(TableDescription.AttributeDefinitions).toEqual([S('a'), S('b'), S('lsk'), S('pk'), S('sk')]);
    const created = indexNamed(TableDescription, 'gsi2')!;
    expect(created).toEqual({
      IndexName: 'gsi2',
      KeySchema: [hash('b'), range('sk')],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['x', 'y'] },
      IndexStatus: 'CREATING',
      Backfilling: true,
      ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 1, WriteCapacityUnits: 2 },
      IndexSizeBytes: 0,
      ItemCount: 0,
      IndexArn: `${ARN}${table}/index/gsi2`,
    });
    expect(Object.keys(created).slice(3, 5)).toEqual(['IndexStatus', 'Backfilling']);
    const described = await describe_(table);
    expect(described.TableStatus).toBe('ACTIVE');
    expect(names(described.GlobalSecondaryIndexes)).toEqual(['gsi1', 'gsi2']);
    // Built at once by the index job, or still being built.
    const now = indexNamed(described, 'gsi2')!;
    expect(['CREATING', 'ACTIVE']).toContain(now.IndexStatus);
    if (now.IndexStatus === 'ACTIVE') expect(now.Backfilling).toBeUndefined();
  });
});

describe('UpdateTable: deleting a global index', () => {
  const table = 'idx_delete';
  test('Delete answers DELETING; the index then leaves DescribeTable (or is still DELETING)', async () => {
    ok(
      await send(
        'CreateTable',
        tableRequest(table, {
          AttributeDefinitions: [S('pk'), S('sk'), S('a'), S('b')],
          GlobalSecondaryIndexes: [gsi('gsi_a', [hash('a')]), gsi('gsi_b', [hash('b')])],
        }),
      ),
    );
    const { TableDescription } = ok(await send('UpdateTable', { TableName: table, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'gsi_a' } }] }));
    expect(TableDescription.TableStatus).toBe('UPDATING');
    expect(indexNamed(TableDescription, 'gsi_a')?.IndexStatus).toBe('DELETING');
    expect(indexNamed(TableDescription, 'gsi_b')?.IndexStatus).toBe('ACTIVE');
    const described = await describe_(table);
    const deleting = indexNamed(described, 'gsi_a');
    if (deleting) {
      expect(deleting.IndexStatus).toBe('DELETING');
      // While it is dropped, the name cannot be reused and no other index can be created or deleted.
      await expectError(
        'UpdateTable',
        { TableName: table, AttributeDefinitions: [S('a')], GlobalSecondaryIndexUpdates: [{ Create: gsi('gsi_a', [hash('a')]) }] },
        'ResourceInUseException',
        `Attempt to change a resource which is still in use: Index is being deleted. Table: ${table} Index: gsi_a`,
      );
    } else {
      expect(names(described.GlobalSecondaryIndexes)).toEqual(['gsi_b']);
    }
  });
});

describe('on-demand tables and billing switches', () => {
  const table = 'idx_billing';
  beforeAll(async () => {
    ok(
      await send('CreateTable', {
        TableName: table,
        AttributeDefinitions: [S('pk'), S('a')],
        KeySchema: [hash('pk')],
        BillingMode: 'PAY_PER_REQUEST',
        GlobalSecondaryIndexes: [{ IndexName: 'gsi1', KeySchema: [hash('a')], Projection: ALL }],
      }),
    );
  });

  test('indexes of an on-demand table take no provisioned throughput', async () => {
    await expectError(
      'UpdateTable',
      { TableName: table, GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'gsi1', ProvisionedThroughput: PT(1, 1) } }] },
      'ValidationException',
      `${INVALID}The only Updates for index: gsi1 when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput`,
    );
    await expectError(
      'UpdateTable',
      { TableName: table, AttributeDefinitions: [S('b')], GlobalSecondaryIndexUpdates: [{ Create: gsi('gsi2', [hash('b')]) }] },
      'ValidationException',
      `${INVALID}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: gsi2 when BillingMode is PAY_PER_REQUEST`,
    );
  });

  test('switching to PROVISIONED needs throughput for every global index', async () => {
    await expectError(
      'UpdateTable',
      { TableName: table, BillingMode: 'PROVISIONED', ProvisionedThroughput: PT(5, 5) },
      'ValidationException',
      `${INVALID}ProvisionedThroughput must be specified for index: gsi1`,
    );
    ok(
      await send('UpdateTable', {
        TableName: table,
        BillingMode: 'PROVISIONED',
        ProvisionedThroughput: PT(5, 5),
        GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'gsi1', ProvisionedThroughput: PT(6, 7) } }],
      }),
    );
    const described = await describe_(table);
    expect(described.BillingModeSummary.BillingMode).toBe('PROVISIONED');
    expect(indexNamed(described, 'gsi1')!.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 6, WriteCapacityUnits: 7 });
    // And back: the indexes lose their capacity with the table.
    ok(await send('UpdateTable', { TableName: table, BillingMode: 'PAY_PER_REQUEST' }));
    expect(indexNamed(await describe_(table), 'gsi1')!.ProvisionedThroughput).toEqual({ NumberOfDecreasesToday: 0, ReadCapacityUnits: 0, WriteCapacityUnits: 0 });
  });
});

test('a 21st global index is a LimitExceededException from UpdateTable', async () => {
  // idx_twenty was created with 20 global indexes (see above); create it here if run alone.
  if ((await send('DescribeTable', { TableName: 'idx_twenty' })).status !== 200) {
    ok(await send('CreateTable', tableRequest('idx_twenty', { GlobalSecondaryIndexes: Array.from({ length: 20 }, (_, i) => gsi(`gsi${i}`, [hash('sk')])) })));
  }
  await expectError(
    'UpdateTable',
    { TableName: 'idx_twenty', AttributeDefinitions: [S('x')], GlobalSecondaryIndexUpdates: [{ Create: gsi('gsi20', [hash('x')]) }] },
    'LimitExceededException',
    'Subscriber limit exceeded: Number of global secondary indexes exceeds per-table limit of 20',
  );
});

test('DeleteTable answers with the indexes, then the table is gone', async () => {
  const table = 'idx_create_prov';
  const { TableDescription } = ok(await send('DeleteTable', { TableName: table }));
  expect(TableDescription.TableStatus).toBe('DELETING');
  expect(names(TableDescription.LocalSecondaryIndexes)).toEqual(['by_lsk']);
  expect(names(TableDescription.GlobalSecondaryIndexes)).toEqual(['by_g']);
  await expectError('DescribeTable', { TableName: table }, 'ResourceNotFoundException', `Requested resource not found: Table: ${table} not found`);
});
