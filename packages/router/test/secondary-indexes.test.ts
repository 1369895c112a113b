import { ResourceInUseException, ValidationException } from '@triad/model';
import { withGlobalIndexActive, withoutGlobalIndex } from '../src/catalog/global-index-lifecycle';
import type { IndexDefinition, TableDefinition } from '../src/catalog/table-definition';
import { describeTable } from '../src/catalog/table-description';
import { checkCreateTable, schema as createTableSchema, type CreateTableRequest } from '../src/operations/create-table';
import { applyUpdateTable, checkUpdateTable, type UpdateTableRequest } from '../src/operations/update-table';
import { javaHashSetOrder } from '../src/validation/java-set-order';
import { checkRequest } from '../src/validation/request-schema';
import { checkNoIndexInFlight } from '../src/validation/global-index-updates';
import { createTableIndexDefinitions } from '../src/validation/secondary-indexes';

const INVALID = 'One or more parameter values were invalid: ';
const S = (name: string) => ({ AttributeName: name, AttributeType: 'S' as const });
type Key = { AttributeName: string; KeyType: 'HASH' | 'RANGE' };
const hash = (name: string): Key => ({ AttributeName: name, KeyType: 'HASH' });
const range = (name: string): Key => ({ AttributeName: name, KeyType: 'RANGE' });
const ALL = { ProjectionType: 'ALL' as const };

/** A valid provisioned table keyed pk/sk; `extra` is merged over it. */
function createRequest(extra: Partial<CreateTableRequest> = {}): CreateTableRequest {
  return {
    TableName: 'tbl',
    AttributeDefinitions: [S('pk'), S('sk')],
    KeySchema: [hash('pk'), range('sk')],
    ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
    ...extra,
  };
}

const gsi = (name: string, keys: Key[], extra: object = {}) => ({
  IndexName: name,
  KeySchema: keys,
  Projection: ALL,
  ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
  ...extra,
});
const lsi = (name: string, sortKey: string, extra: object = {}) => ({ IndexName: name, KeySchema: [hash('pk'), range(sortKey)], Projection: ALL, ...extra });

/** The message checkCreateTable throws, with the schema checks applied first as the operation does. */
function createError(request: object): string | undefined {
  try {
    checkCreateTable(checkRequest<CreateTableRequest>(request as Record<string, unknown>, createTableSchema));
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationException);
    return (error as Error).message;
  }
}

describe('javaHashSetOrder', () => {
  test('matches the orders DynamoDB printed', () => {
    expect(javaHashSetOrder(['pk', 'sk', 'a'])).toEqual(['a', 'sk', 'pk']);
    expect(javaHashSetOrder(['pk', 'sk'])).toEqual(['sk', 'pk']);
    expect(javaHashSetOrder(['my-hash', 'my-string'])).toEqual(['my-hash', 'my-string']);
    expect(javaHashSetOrder(['id', 'user', 'created_at'])).toEqual(['created_at', 'id', 'user']);
  });

  test('drops duplicates and keeps every name once the table grows', () => {
    const names = Array.from({ length: 40 }, (_, i) => `attr${i}`);
    const ordered = javaHashSetOrder([...names, 'attr3']);
    expect(ordered).toHaveLength(40);
    expect([...ordered].sort()).toEqual([...names].sort());
  });
});

describe('CreateTable with secondary indexes: validation', () => {
  test('valid local and global indexes pass', () => {
    expect(
      createError(
        createRequest({
          AttributeDefinitions: [S('pk'), S('sk'), S('lsk'), S('g')],
          LocalSecondaryIndexes: [lsi('by_lsk', 'lsk')],
          GlobalSecondaryIndexes: [gsi('by_g', [hash('g'), range('sk')]), gsi('by_pk', [hash('pk')])],
        }),
      ),
    ).toBeUndefined();
  });

  test('schema: index names, key schemas, projections and throughput', () => {
    const name = 'a'.repeat(256);
    expect(
      createError(
        createRequest({
          GlobalSecondaryIndexes: [
            { IndexName: 'h;', KeySchema: [], Projection: {}, ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 1 } },
            { IndexName: name, KeySchema: [hash('pk')], Projection: { ProjectionType: 'abc', NonKeyAttributes: [] } },
          ] as never,
        }),
      ),
    ).toBe(
      '7 validation errors detected: ' +
        "Value 'h;' at 'globalSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
        "Value 'h;' at 'globalSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must have length greater than or equal to 3; " +
        "Value '[]' at 'globalSecondaryIndexes.1.member.keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
        "Value '0' at 'globalSecondaryIndexes.1.member.provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
        `Value '${name}' at 'globalSecondaryIndexes.2.member.indexName' failed to satisfy constraint: Member must have length less than or equal to 255; ` +
        "Value 'abc' at 'globalSecondaryIndexes.2.member.projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]; " +
        "Value '[]' at 'globalSecondaryIndexes.2.member.projection.nonKeyAttributes' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    expect(createError(createRequest({ LocalSecondaryIndexes: [{}] as never }))).toBe(
      '3 validation errors detected: ' +
        "Value null at 'localSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must not be null; " +
        "Value null at 'localSecondaryIndexes.1.member.keySchema' failed to satisfy constraint: Member must not be null; " +
        "Value null at 'localSecondaryIndexes.1.member.projection' failed to satisfy constraint: Member must not be null",
    );
    const twentyOne = Array.from({ length: 21 }, (_, i) => `n${i}`);
    expect(createError(createRequest({ LocalSecondaryIndexes: [lsi('lsi', 'sk', { Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: twentyOne } })] }))).toMatch(
      /^1 validation error detected: Value '\[.*\]' at 'localSecondaryIndexes\.1\.member\.projection\.nonKeyAttributes' failed to satisfy constraint: Member must have length less than or equal to 20$/,
    );
    expect(createError(createRequest({ LocalSecondaryIndexes: [{ ...lsi('lsi', 'sk'), KeySchema: [hash('pk'), range('sk'), range('x')] }] }))).toMatch(
      /at 'localSecondaryIndexes\.1\.member\.keySchema' failed to satisfy constraint: Member must have length less than or equal to 2$/,
    );
  });

  test('empty lists', () => {
    expect(createError(createRequest({ LocalSecondaryIndexes: [] }))).toBe(`${INVALID}List of LocalSecondaryIndexes is empty`);
    expect(createError(createRequest({ GlobalSecondaryIndexes: [] }))).toBe(`${INVALID}List of GlobalSecondaryIndexes is empty`);
    // The empty list is found before the unused definition.
    expect(createError(createRequest({ KeySchema: [hash('pk')], LocalSecondaryIndexes: [] }))).toBe(`${INVALID}List of LocalSecondaryIndexes is empty`);
  });

  test('local index key rules', () => {
    expect(createError(createRequest({ KeySchema: [hash('pk')], LocalSecondaryIndexes: [lsi('lsi', 'sk')] }))).toBe(
      `${INVALID}Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex`,
    );
    expect(createError(createRequest({ LocalSecondaryIndexes: [{ ...lsi('lsi', 'sk'), KeySchema: [hash('pk'), range('c')] }] }))).toBe(
      `${INVALID}Some index key attributes are not defined in AttributeDefinitions. Keys: [c, pk], AttributeDefinitions: [sk, pk]`,
    );
    expect(createError(createRequest({ LocalSecondaryIndexes: [{ ...lsi('lsi', 'sk'), KeySchema: [hash('pk'), range('pk')] }] }))).toBe(
      'Both the Hash Key and the Range Key element in the KeySchema have the same name',
    );
    expect(createError(createRequest({ LocalSecondaryIndexes: [{ ...lsi('lsi', 'sk'), KeySchema: [range('pk')] }] }))).toBe(
      'Invalid KeySchema: The first KeySchemaElement is not a HASH key type',
    );
    expect(createError(createRequest({ LocalSecondaryIndexes: [{ ...lsi('lsi', 'sk'), KeySchema: [hash('pk'), hash('sk')] }] }))).toBe(
      'Invalid KeySchema: The second KeySchemaElement is not a RANGE key type',
    );
    expect(createError(createRequest({ LocalSecondaryIndexes: [{ ...lsi('abc', 'sk'), KeySchema: [hash('sk')] }] }))).toBe(
      `${INVALID}Index KeySchema does not have a range key for index: abc`,
    );
    expect(createError(createRequest({ LocalSecondaryIndexes: [{ ...lsi('abc', 'sk'), KeySchema: [hash('sk'), range('pk')] }] }))).toBe(
      `${INVALID}Index KeySchema does not have the same leading hash key as table KeySchema for index: abc. index hash key: sk, table hash key: pk`,
    );
  });

  test('global index key rules', () => {
    const error = (keys: Key[], defs = [S('pk'), S('sk'), S('a'), S('b')]) =>
      createError(createRequest({ AttributeDefinitions: defs, GlobalSecondaryIndexes: [gsi('gs1', keys), gsi('gs2', [hash('a'), range('b')])] }));
    expect(error([hash('a')])).toBeUndefined();
    expect(error([range('a')])).toBe('Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
    expect(error([hash('a'), range('b'), hash('sk')])).toBe(`${INVALID}All HASH key attributes must precede RANGE key attributes in the KeySchema`);
    expect(error([hash('a'), range('a')])).toBe('Both the Hash Key and the Range Key element in the KeySchema have the same name');
    expect(error([hash('a'), hash('a')])).toBe('The KeySchema contains multiple key attributes with the same name');
    expect(error([hash('a'), hash('b')])).toBe('Multi-attribute keys in global secondary indexes are not supported by this version of Triad');
    const many = ['h1', 'h2', 'h3', 'h4', 'h5'];
    expect(error(many.map(hash), [S('pk'), S('sk'), S('a'), S('b'), ...many.map(S)])).toBe(
      `${INVALID}The KeySchema exceeds the maximum allowed number of HASH key attributes`,
    );
    expect(error([hash('q')])).toBe(`${INVALID}Some index key attributes are not defined in AttributeDefinitions. Keys: [q], AttributeDefinitions: [a, b, sk, pk]`);
  });

  test('definitions must be exactly the key attributes', () => {
    expect(
      createError(createRequest({ AttributeDefinitions: [S('sk'), S('a'), S('b'), S('pk'), S('c')], GlobalSecondaryIndexes: [gsi('gsi', [hash('a')])] })),
    ).toBe(`${INVALID}Some AttributeDefinitions are not used. AttributeDefinitions: [sk, a, b, pk, c], keys used: [a, sk, pk]`);
    // An unused definition is reported before projection, throughput and name errors.
    expect(
      createError(
        createRequest({
          AttributeDefinitions: [S('pk'), S('sk'), S('x')],
          GlobalSecondaryIndexes: [{ ...gsi('gsi', [hash('sk')]), Projection: {} }, gsi('gsi', [hash('sk')])],
        }),
      ),
    ).toBe(`${INVALID}Some AttributeDefinitions are not used. AttributeDefinitions: [pk, sk, x], keys used: [sk, pk]`);
    // ... but after a key attribute that is not defined.
    expect(createError(createRequest({ AttributeDefinitions: [S('pk'), S('sk'), S('x')], GlobalSecondaryIndexes: [gsi('gsi', [hash('c')])] }))).toBe(
      `${INVALID}Some index key attributes are not defined in AttributeDefinitions. Keys: [c], AttributeDefinitions: [sk, x, pk]`,
    );
  });

  test('projections', () => {
    const error = (Projection: object) => createError(createRequest({ GlobalSecondaryIndexes: [gsi('gsi', [hash('sk')], { Projection })] }));
    expect(error({})).toBe(`${INVALID}Unknown ProjectionType: null`);
    expect(error({ NonKeyAttributes: ['a'] })).toBe(`${INVALID}Unknown ProjectionType: null`);
    expect(error({ ProjectionType: 'ALL', NonKeyAttributes: ['a'] })).toBe(`${INVALID}ProjectionType is ALL, but NonKeyAttributes is specified`);
    expect(error({ ProjectionType: 'KEYS_ONLY', NonKeyAttributes: ['a'] })).toBe(`${INVALID}ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified`);
    expect(error({ ProjectionType: 'INCLUDE' })).toBe(`${INVALID}ProjectionType is INCLUDE, but NonKeyAttributes is not specified`);
    expect(error({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['a', 'b', 'a'] })).toBe(`${INVALID}Duplicate element in NonKeyAttributes: a`);
    // Key attributes may be named too.
    expect(error({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['pk', 'sk', 'x'] })).toBeUndefined();
  });

  test('at most 100 projected attributes over all indexes, the same name counting in each', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => `n${i}`);
    const include = (name: string) => gsi(name, [hash('sk')], { Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: twenty } });
    const five = ['gs1', 'gs2', 'gs3', 'gs4', 'gs5'].map(include);
    expect(createError(createRequest({ GlobalSecondaryIndexes: five }))).toBeUndefined();
    expect(
      createError(
        createRequest({
          GlobalSecondaryIndexes: five,
          LocalSecondaryIndexes: [lsi('ls1', 'sk', { Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['x'] } })],
        }),
      ),
    ).toBe(`${INVALID}Number of projected attributes in all indexes exceeds limit of 100`);
  });

  test('global index throughput follows the billing mode', () => {
    expect(createError(createRequest({ GlobalSecondaryIndexes: [gsi('g-a', [hash('sk')], { ProvisionedThroughput: undefined })] }))).toBe(
      `${INVALID}ProvisionedThroughput is not specified for index: g-a`,
    );
    expect(
      createError(
        createRequest({ BillingMode: 'PAY_PER_REQUEST', ProvisionedThroughput: undefined, GlobalSecondaryIndexes: [gsi('g-a', [hash('sk')])] }),
      ),
    ).toBe(`${INVALID}ProvisionedThroughput should not be specified for index: g-a when BillingMode is PAY_PER_REQUEST`);
  });

  test('names and counts', () => {
    expect(createError(createRequest({ GlobalSecondaryIndexes: [gsi('abc', [hash('sk')]), gsi('abc', [hash('pk')])] }))).toBe(
      `${INVALID}Duplicate index name: abc`,
    );
    expect(createError(createRequest({ LocalSecondaryIndexes: [lsi('abc', 'sk')], GlobalSecondaryIndexes: [gsi('abc', [hash('sk')])] }))).toBe(
      `${INVALID}Duplicate index name: abc`,
    );
    expect(createError(createRequest({ LocalSecondaryIndexes: ['ls1', 'ls2', 'ls3', 'ls4', 'ls5', 'ls6'].map((n) => lsi(n, 'sk')) }))).toBe(
      `${INVALID}Number of LocalSecondaryIndexes exceeds per-table limit of 5`,
    );
    const twentyOne = Array.from({ length: 21 }, (_, i) => gsi(`gsi${i}`, [hash('sk')]));
    expect(createError(createRequest({ GlobalSecondaryIndexes: twentyOne }))).toBe(`${INVALID}GlobalSecondaryIndex count exceeds the per-table limit of 20`);
    expect(createError(createRequest({ GlobalSecondaryIndexes: twentyOne.slice(0, 20) }))).toBeUndefined();
    // A global index may be named like its table, and keyed like it.
    expect(createError(createRequest({ GlobalSecondaryIndexes: [gsi('tbl', [hash('pk'), range('sk')])] }))).toBeUndefined();
  });
});

describe('CreateTable with secondary indexes: definitions and description', () => {
  let counter = 0;
  const ids = () => `${(++counter).toString(16).padStart(16, '0')}`;
  const request = createRequest({
    AttributeDefinitions: [S('sk'), S('pk'), { AttributeName: 'n', AttributeType: 'N' }, S('g')],
    LocalSecondaryIndexes: [lsi('by_n', 'n', { Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['zz', 'aa', 'mm'] } })],
    GlobalSecondaryIndexes: [gsi('by_g', [hash('g'), range('n')], { Projection: { ProjectionType: 'KEYS_ONLY' }, ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 4 } })],
  });
  const indexes = createTableIndexDefinitions(request, ids);
  const def: TableDefinition = {
    tableName: 'tbl',
    tableId: 'aaaaaaaaaaaaaaaa',
    keySchema: { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'S' } },
    attributeDefinitions: request.AttributeDefinitions,
    billingMode: 'PROVISIONED',
    readCapacityUnits: 1,
    writeCapacityUnits: 1,
    creationDateTime: 1000.5,
    tableStatus: 'ACTIVE',
    ...indexes,
  };

  test('typed keys, fresh ids, ACTIVE global indexes', () => {
    expect(indexes.localSecondaryIndexes).toEqual([
      {
        indexName: 'by_n',
        indexId: '0000000000000001',
        keySchema: { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'n', type: 'N' } },
        projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['zz', 'aa', 'mm'] },
        indexStatus: 'ACTIVE',
      },
    ]);
    expect(indexes.globalSecondaryIndexes).toEqual([
      {
        indexName: 'by_g',
        indexId: '0000000000000002',
        keySchema: { partitionKey: { name: 'g', type: 'S' }, sortKey: { name: 'n', type: 'N' } },
        projection: { ProjectionType: 'KEYS_ONLY' },
        indexStatus: 'ACTIVE',
        readCapacityUnits: 3,
        writeCapacityUnits: 4,
      },
    ]);
  });

  test('DescribeTable shows the indexes as DynamoDB does, in its member order', () => {
    const table = describeTable(def, 'us-east-1', '000000000000');
    expect(Object.keys(table)).toEqual([
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
    expect((table.AttributeDefinitions as { AttributeName: string }[]).map((d) => d.AttributeName)).toEqual(['g', 'n', 'pk', 'sk']);
    expect(table.LocalSecondaryIndexes).toEqual([
      {
        IndexName: 'by_n',
        KeySchema: [hash('pk'), range('n')],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['aa', 'mm', 'zz'] },
        IndexSizeBytes: 0,
        ItemCount: 0,
        IndexArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/tbl/index/by_n',
      },
    ]);
    const [global] = table.GlobalSecondaryIndexes as Record<string, unknown>[];
    expect(Object.keys(global)).toEqual(['IndexName', 'KeySchema', 'Projection', 'IndexStatus', 'ProvisionedThroughput', 'IndexSizeBytes', 'ItemCount', 'IndexArn']);
    expect(global).toEqual({
      IndexName: 'by_g',
      KeySchema: [hash('g'), range('n')],
      Projection: { ProjectionType: 'KEYS_ONLY' },
      IndexStatus: 'ACTIVE',
      ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 3, WriteCapacityUnits: 4 },
      IndexSizeBytes: 0,
      ItemCount: 0,
      IndexArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/tbl/index/by_g',
    });
  });

  test('on-demand indexes show zero capacity; Backfilling only while an added index is built', () => {
    const building: IndexDefinition = { ...indexes.globalSecondaryIndexes![0], indexStatus: 'CREATING', backfilling: true, readCapacityUnits: 0, writeCapacityUnits: 0 };
    const table = describeTable({ ...def, billingMode: 'PAY_PER_REQUEST', globalSecondaryIndexes: [building] }, 'us-east-1', '000000000000');
    const [global] = table.GlobalSecondaryIndexes as Record<string, unknown>[];
    expect(global).toMatchObject({ IndexStatus: 'CREATING', Backfilling: true, ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 0, WriteCapacityUnits: 0 } });
    expect(Object.keys(global).slice(3, 5)).toEqual(['IndexStatus', 'Backfilling']);
    const active = describeTable({ ...def, globalSecondaryIndexes: [{ ...building, indexStatus: 'ACTIVE', backfilling: false }] }, 'us-east-1', '0');
    expect((active.GlobalSecondaryIndexes as Record<string, unknown>[])[0].Backfilling).toBeUndefined();
  });
});

describe('UpdateTable GlobalSecondaryIndexUpdates', () => {
  const active = (name: string, key: string, extra: Partial<IndexDefinition> = {}): IndexDefinition => ({
    indexName: name,
    indexId: `${name.padEnd(16, '0')}`.slice(0, 16),
    keySchema: { partitionKey: { name: key, type: 'S' } },
    projection: { ProjectionType: 'ALL' },
    indexStatus: 'ACTIVE',
    readCapacityUnits: 2,
    writeCapacityUnits: 2,
    ...extra,
  });
  const base: TableDefinition = {
    tableName: 't1',
    tableId: '0123456789abcdef',
    keySchema: { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'S' } },
    attributeDefinitions: [S('pk'), S('sk'), S('a')],
    billingMode: 'PROVISIONED',
    readCapacityUnits: 5,
    writeCapacityUnits: 5,
    creationDateTime: 100,
    tableStatus: 'ACTIVE',
    localSecondaryIndexes: [{ ...active('lsi1', 'pk'), keySchema: { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'a', type: 'S' } } }],
    globalSecondaryIndexes: [active('gsi1', 'a')],
  };
  const create = (name: string, key: string, extra: object = {}) => ({
    Create: { IndexName: name, KeySchema: [hash(key)], Projection: ALL, ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 }, ...extra },
  });
  const request = (updates: unknown[], extra: Partial<UpdateTableRequest> = {}): UpdateTableRequest =>
    ({ TableName: 't1', AttributeDefinitions: [S('b'), S('c')], GlobalSecondaryIndexUpdates: updates, ...extra }) as UpdateTableRequest;
  /** Both phases, as the operation runs them. */
  const apply = (def: TableDefinition, req: UpdateTableRequest) => {
    checkUpdateTable(req);
    return applyUpdateTable(def, req, 500, () => 'ffffffffffffffff');
  };
  const failure = (def: TableDefinition, req: UpdateTableRequest) => {
    try {
      apply(def, req);
    } catch (error) {
      return { name: (error as Error).name, message: (error as Error).message };
    }
    return undefined;
  };

  test('Create adds a CREATING, backfilling index and its key attribute definitions', () => {
    const next = apply(base, request([create('gsi2', 'b')], { AttributeDefinitions: [S('b'), S('unused')] }));
    expect(next.globalSecondaryIndexes![1]).toEqual({
      indexName: 'gsi2',
      indexId: 'ffffffffffffffff',
      keySchema: { partitionKey: { name: 'b', type: 'S' } },
      projection: { ProjectionType: 'ALL' },
      indexStatus: 'CREATING',
      backfilling: true,
      readCapacityUnits: 1,
      writeCapacityUnits: 1,
    });
    expect(next.attributeDefinitions).toEqual([S('pk'), S('sk'), S('a'), S('b')]);
    // A definition already there keeps its type.
    const sameKey = apply(base, request([create('gsi2', 'a')], { AttributeDefinitions: [{ AttributeName: 'a', AttributeType: 'N' }] }));
    expect(sameKey.attributeDefinitions).toEqual(base.attributeDefinitions);
    expect(sameKey.globalSecondaryIndexes![1].keySchema.partitionKey).toEqual({ name: 'a', type: 'S' });
  });

  test('Create needs its own key attributes defined in the request', () => {
    expect(failure(base, request([create('gsi2', 'b')], { AttributeDefinitions: undefined }))).toEqual({
      name: 'ValidationException',
      message: `${INVALID}AttributeDefinitions is not specified for index: gsi2`,
    });
    expect(failure(base, request([create('gsi2', 'a')]))?.message).toBe(
      `${INVALID}Some index key attributes are not defined in AttributeDefinitions. Keys: [a], AttributeDefinitions: [b, c]`,
    );
    expect(failure(base, request([create('gsi2', 'b', { Projection: {} })]))?.message).toBe(`${INVALID}Unknown ProjectionType: null`);
    expect(failure(base, request([create('gsi2', 'b', { ProvisionedThroughput: undefined })]))?.message).toBe(
      `${INVALID}Both ReadCapacityUnits and WriteCapacityUnits must be specified for index: gsi2`,
    );
    const onDemand: TableDefinition = { ...base, billingMode: 'PAY_PER_REQUEST', readCapacityUnits: 0, writeCapacityUnits: 0 };
    expect(failure(onDemand, request([create('gsi2', 'b')]))?.message).toBe(
      `${INVALID}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: gsi2 when BillingMode is PAY_PER_REQUEST`,
    );
    expect(apply(onDemand, request([create('gsi2', 'b', { ProvisionedThroughput: undefined })])).globalSecondaryIndexes![1]).toMatchObject({
      readCapacityUnits: 0,
      writeCapacityUnits: 0,
    });
  });

  test('names: existing, local, unknown', () => {
    expect(failure(base, request([create('gsi1', 'b')]))).toEqual({ name: 'ValidationException', message: 'Attempting to create an index which already exists' });
    expect(failure(base, request([create('lsi1', 'b')]))?.message).toBe('Attempting to create an index which already exists');
    expect(failure(base, request([{ Delete: { IndexName: 'lsi1' } }]))?.message).toBe('Cannot delete an index that is not a GlobalSecondaryIndex: lsi1');
    expect(failure(base, request([{ Update: { IndexName: 'lsi1', ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } } }]))?.message).toBe(
      'Cannot update an index that is not a GlobalSecondaryIndex: lsi1',
    );
    expect(failure(base, request([{ Delete: { IndexName: 'ghost' } }]))).toEqual({
      name: 'ResourceNotFoundException',
      message: 'Requested resource not found: Index ghost for table t1',
    });
  });

  test('one create or delete at a time', () => {
    const limit = { name: 'LimitExceededException', message: 'Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table' };
    expect(failure(base, request([create('g3', 'b'), create('g4', 'c')]))).toEqual(limit);
    expect(failure(base, request([create('g3', 'b'), { Delete: { IndexName: 'gsi1' } }]))).toEqual(limit);
    const building = apply(base, request([create('gsi2', 'b')]));
    expect(failure(building, request([create('g3', 'c')]))).toEqual(limit);
    expect(failure(building, request([{ Delete: { IndexName: 'gsi1' } }]))).toEqual(limit);
    // The index being built may itself be deleted once it backfills, and others re-provisioned.
    expect(apply(building, request([{ Delete: { IndexName: 'gsi2' } }])).globalSecondaryIndexes![1].indexStatus).toBe('DELETING');
    expect(apply(building, request([{ Update: { IndexName: 'gsi1', ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 3 } } }]))).toBeDefined();
    const allocating: TableDefinition = { ...building, globalSecondaryIndexes: [base.globalSecondaryIndexes![0], { ...building.globalSecondaryIndexes![1], backfilling: false }] };
    expect(failure(allocating, request([{ Delete: { IndexName: 'gsi2' } }]))).toEqual({
      name: 'ResourceInUseException',
      message:
        'Attempt to change a resource which is still in use: Index creation is in resource allocation phase. Retry deletion during backfilling phase or when the index is active. Table: t1 Index: gsi2',
    });
  });

  test('Delete marks the index DELETING; it then blocks its name, its throughput and the table capacity', () => {
    const deleting = apply(base, request([{ Delete: { IndexName: 'gsi1' } }]));
    expect(deleting.globalSecondaryIndexes![0].indexStatus).toBe('DELETING');
    const inUse = { name: 'ResourceInUseException', message: 'Attempt to change a resource which is still in use: Index is being deleted. Table: t1 Index: gsi1' };
    expect(failure(deleting, request([create('gsi1', 'b')]))).toEqual(inUse);
    expect(failure(deleting, request([{ Delete: { IndexName: 'gsi1' } }]))).toEqual(inUse);
    expect(failure(deleting, request([{ Update: { IndexName: 'gsi1', ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 3 } } }]))).toEqual(inUse);
    expect(failure(deleting, { TableName: 't1', ProvisionedThroughput: { ReadCapacityUnits: 9, WriteCapacityUnits: 9 } })).toEqual({
      name: 'ResourceInUseException',
      message: "Attempt to change a resource which is still in use: Can't change table IOPS when an index is being deleted. Table: t1 Indexes: [gsi1]",
    });
    expect(() => checkNoIndexInFlight(deleting)).toThrow(ResourceInUseException);
    expect(() => checkNoIndexInFlight(deleting)).toThrow(
      'Attempt to change a resource which is still in use: Cannot delete table while indexes are being created, updated, or deleted.',
    );
    expect(() => checkNoIndexInFlight(base)).not.toThrow();
  });

  test('the 21st global index is a LimitExceededException', () => {
    const twenty: TableDefinition = { ...base, globalSecondaryIndexes: Array.from({ length: 20 }, (_, i) => active(`g${i}`, 'a')) };
    expect(failure(twenty, request([create('g20', 'b')]))).toEqual({
      name: 'LimitExceededException',
      message: 'Subscriber limit exceeded: Number of global secondary indexes exceeds per-table limit of 20',
    });
  });

  test('Update changes index throughput; the same throughput is refused', () => {
    const next = apply(base, request([{ Update: { IndexName: 'gsi1', ProvisionedThroughput: { ReadCapacityUnits: 4, WriteCapacityUnits: 1 } } }]));
    expect(next.globalSecondaryIndexes![0]).toMatchObject({ readCapacityUnits: 4, writeCapacityUnits: 1, lastIncreaseDateTime: 500, lastDecreaseDateTime: 500 });
    expect(failure(base, request([{ Update: { IndexName: 'gsi1', ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 2 } } }]))?.message).toBe(
      'The provisioned throughput for the index gsi1 will not change. The requested value equals the current value. ' +
        'Current ReadCapacityUnits provisioned for index gsi1: 2. Requested ReadCapacityUnits: 2. ' +
        'Current WriteCapacityUnits provisioned for index gsi1: 2. Requested WriteCapacityUnits: 2. ' +
        'Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.',
    );
    const onDemand: TableDefinition = { ...base, billingMode: 'PAY_PER_REQUEST', readCapacityUnits: 0, writeCapacityUnits: 0 };
    expect(failure(onDemand, request([{ Update: { IndexName: 'gsi1', ProvisionedThroughput: { ReadCapacityUnits: 4, WriteCapacityUnits: 1 } } }]))?.message).toBe(
      `${INVALID}The only Updates for index: gsi1 when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput`,
    );
  });

  test('billing switches carry the indexes along', () => {
    const onDemand = apply(base, { TableName: 't1', BillingMode: 'PAY_PER_REQUEST' });
    expect(onDemand.globalSecondaryIndexes![0]).toMatchObject({ readCapacityUnits: 0, writeCapacityUnits: 0 });
    const back = { TableName: 't1', BillingMode: 'PROVISIONED' as const, ProvisionedThroughput: { ReadCapacityUnits: 50, WriteCapacityUnits: 50 } };
    expect(failure(onDemand, back)?.message).toBe(`${INVALID}ProvisionedThroughput must be specified for index: gsi1`);
    const provisioned = apply(onDemand, {
      ...back,
      GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'gsi1', ProvisionedThroughput: { ReadCapacityUnits: 6, WriteCapacityUnits: 7 } } }],
    });
    expect(provisioned).toMatchObject({ billingMode: 'PROVISIONED', readCapacityUnits: 50 });
    expect(provisioned.globalSecondaryIndexes![0]).toMatchObject({ readCapacityUnits: 6, writeCapacityUnits: 7 });
  });

  test('request shape rules', () => {
    const error = (req: UpdateTableRequest) => {
      try {
        checkUpdateTable(req);
      } catch (e) {
        return (e as Error).message;
      }
      return undefined;
    };
    expect(error(request([]))).toMatch(/^At least one of ProvisionedThroughput/);
    expect(error(request([], { DeletionProtectionEnabled: true }))).toBe(`${INVALID}List of GlobalSecondaryIndexUpdates is empty`);
    expect(error(request([{}]))).toBe(
      `${INVALID}One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null`,
    );
    expect(error(request([{ Delete: { IndexName: 'gsi1' }, Update: { IndexName: 'gsi1' } }]))).toBe(
      `${INVALID}Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object`,
    );
    expect(error(request([{ Delete: { IndexName: 'gsi1' } }, create('gsi1', 'b')]))).toBe(
      `${INVALID}Only one global secondary index update per index is allowed simultaneously. Index: gsi1`,
    );
    expect(error(request([create('g', 'b')], { ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 2 } }))).toBe(
      `${INVALID}You cannot create or delete index while updating table IOPS`,
    );
    expect(error(request([create('g', 'b')], { DeletionProtectionEnabled: true }))).toBe(
      `${INVALID}DeletionProtection modification must be the only operation in the request`,
    );
    expect(error(request([create('g', 'b', { WarmThroughput: {} })]))).toBe(
      'WarmThroughput of a global secondary index is not supported by this version of Triad',
    );
  });
});

describe('index job helpers', () => {
  const def: TableDefinition = {
    tableName: 't1',
    tableId: '0123456789abcdef',
    keySchema: { partitionKey: { name: 'pk', type: 'S' } },
    attributeDefinitions: [S('pk'), S('a'), S('b')],
    billingMode: 'PAY_PER_REQUEST',
    readCapacityUnits: 0,
    writeCapacityUnits: 0,
    creationDateTime: 100,
    tableStatus: 'ACTIVE',
    globalSecondaryIndexes: [
      { indexName: 'ga', indexId: '1111111111111111', keySchema: { partitionKey: { name: 'a', type: 'S' } }, projection: ALL, indexStatus: 'CREATING', backfilling: true },
      { indexName: 'gb', indexId: '2222222222222222', keySchema: { partitionKey: { name: 'b', type: 'S' }, sortKey: { name: 'pk', type: 'S' } }, projection: ALL, indexStatus: 'DELETING' },
    ],
  };

  test('a finished backfill makes the index ACTIVE without Backfilling', () => {
    const next = withGlobalIndexActive(def, '1111111111111111');
    expect(next.globalSecondaryIndexes![0]).toEqual({ ...def.globalSecondaryIndexes![0], indexStatus: 'ACTIVE', backfilling: undefined });
    expect('backfilling' in next.globalSecondaryIndexes![0]).toBe(false);
  });

  test('a dropped index leaves the definition with the attribute definitions it alone used', () => {
    const next = withoutGlobalIndex(def, '2222222222222222');
    expect(next.globalSecondaryIndexes!.map((i) => i.indexName)).toEqual(['ga']);
    expect(next.attributeDefinitions).toEqual([S('pk'), S('a')]);
    const none = withoutGlobalIndex(next, '1111111111111111');
    expect(none.globalSecondaryIndexes).toBeUndefined();
    expect(none.attributeDefinitions).toEqual([S('pk')]);
  });
});
