/**
 * The core DynamoDB API end to end through the AWS SDK for JavaScript v3 against a real cluster:
 * tables, every data type, reads, conditional writes, updates, deletes, Query, Scan and paging.
 */
import {
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { createTable, dynamoClient, eventually, mapLimit, waitForActive } from '@triad/harness';
import { startTestCluster, type TestCluster } from './support/test-cluster';

const SLOT = 4;

type Item = Record<string, AttributeValue>;

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
  // No process of the cluster may have died along the way (tc is unset when the start failed).
  if (tc) expect(tc.unexpectedExits).toEqual([]);
});

/** Expects the promise to fail with this DynamoDB error (and message, when given), as HTTP 400. */
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

/** Sets come back in any order: sort them so that items compare exactly otherwise. */
function normaliseSets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normaliseSets);
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'SS' || key === 'NS') out[key] = [...(inner as string[])].sort();
    else if (key === 'BS') out[key] = [...(inner as Uint8Array[])].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    else out[key] = normaliseSets(inner);
  }
  return out;
}

async function getItem(table: string, key: Item, consistent = true): Promise<Item | undefined> {
  const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: consistent }));
  return Item;
}

describe('tables', () => {
  test('CreateTable answers CREATING; DescribeTable then shows the table ACTIVE', async () => {
    const { TableDescription } = await client.send(
      new CreateTableCommand({
        TableName: 'things',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    expect(TableDescription).toMatchObject({
      TableName: 'things',
      TableStatus: 'CREATING',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    });
    await waitForActive(client, 'things');
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'things' }));
    expect(Table).toMatchObject({ TableName: 'things', TableStatus: 'ACTIVE', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] });
    await expectDynamoError(
      client.send(
        new CreateTableCommand({
          TableName: 'things',
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      ),
      'ResourceInUseException',
    );
  });

  test('ListTables pages with Limit and ExclusiveStartTableName, listing every table exactly once in order', async () => {
    const names = ['list_e', 'list_a', 'list_c', 'list_b', 'list_d'];
    for (const name of names) await createTable(client, name, ['k', 'N']);
    const { TableNames: all, LastEvaluatedTableName: none } = await client.send(new ListTablesCommand({}));
    expect(none).toBeUndefined();
    expect(all).toEqual([...names, 'things'].sort());

    const paged: string[] = [];
    let start: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(new ListTablesCommand({ Limit: 2, ExclusiveStartTableName: start }));
      expect(page.TableNames!.length).toBeLessThanOrEqual(2);
      paged.push(...page.TableNames!);
      start = page.LastEvaluatedTableName;
      if (start) expect(start).toBe(page.TableNames![page.TableNames!.length - 1]);
      expect(++pages).toBeLessThanOrEqual(4);
    } while (start);
    expect(paged).toEqual(all);
    expect(pages).toBe(3);

    const { TableNames: after } = await client.send(new ListTablesCommand({ ExclusiveStartTableName: 'list_c' }));
    expect(after).toEqual(['list_d', 'list_e', 'things']);
  });
});

describe('items', () => {
  const allTypes: Item = {
    id: { S: 'all-types' },
    s: { S: 'héllo wörld ✓ 日本' },
    emptyString: { S: '' },
    n: { N: '1.50' },
    negative: { N: '-0012.3400' },
    exponent: { N: '1e3' },
    zero: { N: '0.000' },
    wide: { N: '12345678901234567890123456789012345678' },
    tiny: { N: '0.000000000000000000000000000000000001' },
    b: { B: new Uint8Array([0, 1, 2, 254, 255]) },
    yes: { BOOL: true },
    no: { BOOL: false },
    nothing: { NULL: true },
    l: { L: [{ S: 'a' }, { N: '2.0' }, { L: [{ BOOL: false }] }, { M: { x: { NULL: true } } }] },
    emptyList: { L: [] },
    m: { M: { nested: { M: { deep: { S: 'x' } } }, num: { N: '10.0' } } },
    emptyMap: { M: {} },
    ss: { SS: ['b', 'a', 'c'] },
    ns: { NS: ['1.50', '2', '-3'] },
    bs: { BS: [new Uint8Array([2, 3]), new Uint8Array([1])] },
  };
  const canonical: Item = {
    ...allTypes,
    n: { N: '1.5' },
    negative: { N: '-12.34' },
    exponent: { N: '1000' },
    zero: { N: '0' },
    l: { L: [{ S: 'a' }, { N: '2' }, { L: [{ BOOL: false }] }, { M: { x: { NULL: true } } }] },
    m: { M: { nested: { M: { deep: { S: 'x' } } }, num: { N: '10' } } },
    ns: { NS: ['1.5', '2', '-3'] },
  };

  test('PutItem and GetItem return every data type exactly, numbers canonical', async () => {
    await client.send(new PutItemCommand({ TableName: 'things', Item: allTypes }));
    const strong = await getItem('things', { id: { S: 'all-types' } }, true);
    expect(normaliseSets(strong)).toEqual(normaliseSets(canonical));
    // An eventually consistent read may lag the write, but not for long.
    await eventually('the eventually consistent read to see the item', async () => {
      const eventual = await getItem('things', { id: { S: 'all-types' } }, false);
      expect(normaliseSets(eventual)).toEqual(normaliseSets(canonical));
    });
    expect(await getItem('things', { id: { S: 'never-written' } }, true)).toBeUndefined();
    expect(await getItem('things', { id: { S: 'never-written' } }, false)).toBeUndefined();
  });

  test('ProjectionExpression returns only the named attributes and document paths', async () => {
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: 'things',
        Key: { id: { S: 'all-types' } },
        ProjectionExpression: 's, m.nested.deep, l[1], #n, absent',
        ExpressionAttributeNames: { '#n': 'n' },
        ConsistentRead: true,
      }),
    );
    expect(Item).toEqual({
      s: canonical.s,
      m: { M: { nested: { M: { deep: { S: 'x' } } } } },
      l: { L: [{ N: '2' }] },
      n: { N: '1.5' },
    });
  });

  test('UpdateItem SET and REMOVE, with ReturnValues ALL_NEW and ALL_OLD', async () => {
    await client.send(
      new PutItemCommand({ TableName: 'things', Item: { id: { S: 'upd' }, count: { N: '1' }, name: { S: 'a' }, gone: { S: 'x' }, tags: { L: [] } } }),
    );
    const first = await client.send(
      new UpdateItemCommand({
        TableName: 'things',
        Key: { id: { S: 'upd' } },
        UpdateExpression: 'SET #c = #c + :one, label = :label, tags = list_append(tags, :t) REMOVE gone',
        ExpressionAttributeNames: { '#c': 'count' },
        ExpressionAttributeValues: { ':one': { N: '1' }, ':label': { S: 'second' }, ':t': { L: [{ S: 't1' }] } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const afterFirst = { id: { S: 'upd' }, count: { N: '2' }, name: { S: 'a' }, label: { S: 'second' }, tags: { L: [{ S: 't1' }] } };
    expect(first.Attributes).toEqual(afterFirst);

    const second = await client.send(
      new UpdateItemCommand({
        TableName: 'things',
        Key: { id: { S: 'upd' } },
        UpdateExpression: 'SET #c = :ten REMOVE label, #name',
        ExpressionAttributeNames: { '#c': 'count', '#name': 'name' },
        ExpressionAttributeValues: { ':ten': { N: '10.00' } },
        ReturnValues: 'ALL_OLD',
      }),
    );
    expect(second.Attributes).toEqual(afterFirst);
    expect(await getItem('things', { id: { S: 'upd' } })).toEqual({ id: { S: 'upd' }, count: { N: '10' }, tags: { L: [{ S: 't1' }] } });

    // UpdateItem of an absent item creates it; ALL_OLD of an absent item returns nothing.
    const created = await client.send(
      new UpdateItemCommand({
        TableName: 'things',
        Key: { id: { S: 'upsert' } },
        UpdateExpression: 'SET v = :v',
        ExpressionAttributeValues: { ':v': { S: 'new' } },
        ReturnValues: 'ALL_OLD',
      }),
    );
    expect(created.Attributes).toBeUndefined();
    expect(await getItem('things', { id: { S: 'upsert' } })).toEqual({ id: { S: 'upsert' }, v: { S: 'new' } });
  });

  test('ConditionExpression: attribute_exists, attribute_not_exists and comparisons; ConditionalCheckFailedException when false', async () => {
    const item = { id: { S: 'cond' }, n: { N: '5' }, s: { S: 'm' } };
    await client.send(new PutItemCommand({ TableName: 'things', Item: item, ConditionExpression: 'attribute_not_exists(id)' }));
    const failed = 'The conditional request failed';
    await expectDynamoError(
      client.send(new PutItemCommand({ TableName: 'things', Item: { id: { S: 'cond' } }, ConditionExpression: 'attribute_not_exists(id)' })),
      'ConditionalCheckFailedException',
      failed,
    );
    await expectDynamoError(
      client.send(
        new UpdateItemCommand({
          TableName: 'things',
          Key: { id: { S: 'cond-missing' } },
          UpdateExpression: 'SET n = :one',
          ConditionExpression: 'attribute_exists(id)',
          ExpressionAttributeValues: { ':one': { N: '1' } },
        }),
      ),
      'ConditionalCheckFailedException',
      failed,
    );
    expect(await getItem('things', { id: { S: 'cond-missing' } })).toBeUndefined();

    const update = (condition: string, values: Item) =>
      client.send(
        new UpdateItemCommand({
          TableName: 'things',
          Key: { id: { S: 'cond' } },
          UpdateExpression: 'SET n = n + :one',
          ConditionExpression: condition,
          ExpressionAttributeValues: { ':one': { N: '1' }, ...values },
          ReturnValues: 'ALL_NEW',
        }),
      );
    // Each true condition bumps n by one; each false one leaves the item alone.
    const trueConditions: [string, Item][] = [
      ['attribute_exists(id)', {}],
      ['n = :v', { ':v': { N: '6.0' } }],
      ['n < :v', { ':v': { N: '100' } }],
      ['n <= :v', { ':v': { N: '8' } }],
      ['n > :v', { ':v': { N: '-1' } }],
      ['n >= :v AND s = :s', { ':v': { N: '9' }, ':s': { S: 'm' } }],
      ['n <> :v', { ':v': { N: '0' } }],
      ['s BETWEEN :a AND :z', { ':a': { S: 'a' }, ':z': { S: 'z' } }],
    ];
    const falseConditions: [string, Item][] = [
      ['attribute_not_exists(id)', {}],
      ['n = :v', { ':v': { N: '5' } }],
      ['n < :v', { ':v': { N: '2' } }],
      ['n <= :v', { ':v': { N: '12.9' } }],
      ['n > :v', { ':v': { N: '13' } }],
      ['n >= :v', { ':v': { N: '1e2' } }],
      ['s = :s', { ':s': { S: 'M' } }],
      ['attribute_exists(nope) OR n < :v', { ':v': { N: '0' } }],
    ];
    let n = 5;
    for (const [condition, values] of trueConditions) {
      const { Attributes } = await update(condition, values);
      n++;
      expect({ condition, n: Attributes?.n }).toEqual({ condition, n: { N: String(n) } });
    }
    for (const [condition, values] of falseConditions) {
      await expectDynamoError(update(condition, values), 'ConditionalCheckFailedException', failed);
    }
    expect(await getItem('things', { id: { S: 'cond' } })).toEqual({ ...item, n: { N: '13' } });

    await expectDynamoError(
      client.send(
        new DeleteItemCommand({ TableName: 'things', Key: { id: { S: 'cond' } }, ConditionExpression: 'n < :v', ExpressionAttributeValues: { ':v': { N: '13' } } }),
      ),
      'ConditionalCheckFailedException',
      failed,
    );
    expect(await getItem('things', { id: { S: 'cond' } })).toBeDefined();
  });

  test('DeleteItem with ReturnValues ALL_OLD returns the deleted item, which is then gone', async () => {
    const item = { id: { S: 'doomed' }, v: { N: '42' }, ss: { SS: ['x'] } };
    await client.send(new PutItemCommand({ TableName: 'things', Item: item }));
    const { Attributes } = await client.send(new DeleteItemCommand({ TableName: 'things', Key: { id: { S: 'doomed' } }, ReturnValues: 'ALL_OLD' }));
    expect(Attributes).toEqual(item);
    expect(await getItem('things', { id: { S: 'doomed' } })).toBeUndefined();
    await eventually('the delete to reach the eventually consistent read', async () => {
      expect(await getItem('things', { id: { S: 'doomed' } }, false)).toBeUndefined();
    });
    const again = await client.send(new DeleteItemCommand({ TableName: 'things', Key: { id: { S: 'doomed' } }, ReturnValues: 'ALL_OLD' }));
    expect(again.Attributes).toBeUndefined();
  });
});

describe('Query', () => {
  const stringKeys = ['a', 'ab', 'abc', 'b', 'ba', 'c', 'd/1', 'd/2', 'e'];
  const numberKeys = ['-100', '-1.5', '-1', '0', '0.5', '1', '2', '10', '10.5', '100', '1000'];

  beforeAll(async () => {
    await createTable(client, 'events', ['pk', 'S'], ['sk', 'S']);
    await createTable(client, 'scores', ['pk', 'S'], ['n', 'N']);
    const puts: [string, Item][] = [];
    // Written out of order; other partition keys must not leak into a query's results.
    for (const sk of [...stringKeys].reverse()) {
      puts.push(['events', { pk: { S: 'user#1' }, sk: { S: sk }, v: { S: `v-${sk}` } }]);
      puts.push(['events', { pk: { S: 'user#10' }, sk: { S: sk } }]);
    }
    puts.push(['events', { pk: { S: 'user#' }, sk: { S: 'a' } }]);
    for (const n of [...numberKeys].reverse()) {
      puts.push(['scores', { pk: { S: 'p' }, n: { N: n } }]);
      puts.push(['scores', { pk: { S: 'q' }, n: { N: n } }]);
    }
    for (let i = 0; i < 25; i++) puts.push(['scores', { pk: { S: 'paged' }, n: { N: String(i) }, pad: { S: 'p'.repeat(i) } }]);
    await mapLimit(puts, 8, ([table, item]) => client.send(new PutItemCommand({ TableName: table, Item: item })));
  });

  async function queryKeys(input: Omit<QueryCommandInput, 'TableName'> & { TableName: string }, attribute: string): Promise<string[]> {
    const { Items, LastEvaluatedKey, Count } = await client.send(new QueryCommand({ ConsistentRead: true, ...input }));
    expect(LastEvaluatedKey).toBeUndefined();
    expect(Count).toBe(Items!.length);
    return Items!.map((item) => {
      const value = item[attribute];
      return 'S' in value ? value.S! : value.N!;
    });
  }

  const stringCases: [string, Item, string[]][] = [
    ['pk = :p', {}, stringKeys],
    ['pk = :p AND sk = :a', { ':a': { S: 'b' } }, ['b']],
    ['pk = :p AND sk < :a', { ':a': { S: 'b' } }, ['a', 'ab', 'abc']],
    ['pk = :p AND sk <= :a', { ':a': { S: 'b' } }, ['a', 'ab', 'abc', 'b']],
    ['pk = :p AND sk > :a', { ':a': { S: 'c' } }, ['d/1', 'd/2', 'e']],
    ['pk = :p AND sk >= :a', { ':a': { S: 'c' } }, ['c', 'd/1', 'd/2', 'e']],
    ['pk = :p AND sk BETWEEN :a AND :b', { ':a': { S: 'ab' }, ':b': { S: 'ba' } }, ['ab', 'abc', 'b', 'ba']],
    ['pk = :p AND begins_with(sk, :a)', { ':a': { S: 'a' } }, ['a', 'ab', 'abc']],
    ['pk = :p AND begins_with(sk, :a)', { ':a': { S: 'd/' } }, ['d/1', 'd/2']],
    ['pk = :p AND begins_with(sk, :a)', { ':a': { S: 'zz' } }, []],
    ['pk = :p AND sk = :a', { ':a': { S: 'aa' } }, []],
  ];

  test.each(stringCases)('string sort key: %s %j', async (condition, values, expected) => {
    const input = { TableName: 'events', KeyConditionExpression: condition, ExpressionAttributeValues: { ':p': { S: 'user#1' }, ...values } };
    expect(await queryKeys(input, 'sk')).toEqual(expected);
    expect(await queryKeys({ ...input, ScanIndexForward: false }, 'sk')).toEqual([...expected].reverse());
  });

  const numberCases: [string, Item, string[]][] = [
    ['pk = :p', {}, numberKeys],
    ['pk = :p AND n = :a', { ':a': { N: '10' } }, ['10']],
    ['pk = :p AND n = :a', { ':a': { N: '1.0E1' } }, ['10']],
    ['pk = :p AND n < :a', { ':a': { N: '0' } }, ['-100', '-1.5', '-1']],
    ['pk = :p AND n <= :a', { ':a': { N: '0' } }, ['-100', '-1.5', '-1', '0']],
    ['pk = :p AND n > :a', { ':a': { N: '10' } }, ['10.5', '100', '1000']],
    ['pk = :p AND n >= :a', { ':a': { N: '10' } }, ['10', '10.5', '100', '1000']],
    ['pk = :p AND n BETWEEN :a AND :b', { ':a': { N: '-1.5' }, ':b': { N: '2' } }, ['-1.5', '-1', '0', '0.5', '1', '2']],
    ['pk = :p AND n BETWEEN :a AND :b', { ':a': { N: '3' }, ':b': { N: '9' } }, []],
  ];

  test.each(numberCases)('number sort key: %s %j', async (condition, values, expected) => {
    const input = { TableName: 'scores', KeyConditionExpression: condition, ExpressionAttributeValues: { ':p': { S: 'p' }, ...values } };
    expect(await queryKeys(input, 'n')).toEqual(expected);
    expect(await queryKeys({ ...input, ScanIndexForward: false }, 'n')).toEqual([...expected].reverse());
    expect(await queryKeys({ ...input, ConsistentRead: false }, 'n')).toEqual(expected);
  });

  test('begins_with on a number sort key is a ValidationException', async () => {
    await expectDynamoError(
      client.send(
        new QueryCommand({
          TableName: 'scores',
          KeyConditionExpression: 'pk = :p AND begins_with(n, :a)',
          ExpressionAttributeValues: { ':p': { S: 'p' }, ':a': { N: '1' } },
        }),
      ),
      'ValidationException',
      /begins_with/,
    );
  });

  test.each([
    [4, true],
    [5, true],
    [7, false],
    [25, true],
  ])('Limit %i with ExclusiveStartKey/LastEvaluatedKey collects every item once, in order (forward: %s)', async (limit, forward) => {
    const seen: string[] = [];
    let start: Item | undefined;
    let pages = 0;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: 'scores',
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': { S: 'paged' } },
          Limit: limit,
          ScanIndexForward: forward,
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      expect(page.Items!.length).toBeLessThanOrEqual(limit);
      seen.push(...page.Items!.map((item) => item.n.N!));
      start = page.LastEvaluatedKey;
      if (start) expect(start).toEqual({ pk: { S: 'paged' }, n: page.Items![page.Items!.length - 1].n });
      expect(++pages).toBeLessThanOrEqual(Math.ceil(25 / limit) + 1);
    } while (start);
    const all = Array.from({ length: 25 }, (_, i) => String(i));
    expect(seen).toEqual(forward ? all : all.reverse());
  });
});

describe('Scan and DeleteTable', () => {
  const count = 90;
  const items: Item[] = Array.from({ length: count }, (_, i) => ({ id: { N: String(i) }, v: { S: `value-${i}` } }));

  beforeAll(async () => {
    await createTable(client, 'scanned', ['id', 'N']);
    await mapLimit(items, 8, (item) => client.send(new PutItemCommand({ TableName: 'scanned', Item: item })));
  });

  test.each([7, 10, 90, 1000])('Scan with Limit %i pages through every item exactly once', async (limit) => {
    const seen = new Map<string, Item>();
    let start: Item | undefined;
    let pages = 0;
    do {
      const page = await client.send(new ScanCommand({ TableName: 'scanned', Limit: limit, ExclusiveStartKey: start, ConsistentRead: true }));
      expect(page.Items!.length).toBeLessThanOrEqual(limit);
      expect(page.ScannedCount).toBe(page.Items!.length);
      for (const item of page.Items!) {
        expect(seen.has(item.id.N!)).toBe(false);
        seen.set(item.id.N!, item);
      }
      start = page.LastEvaluatedKey;
      expect(++pages).toBeLessThanOrEqual(Math.ceil(count / limit) + 1);
    } while (start);
    expect(seen.size).toBe(count);
    for (const item of items) expect(seen.get(item.id.N!)).toEqual(item);
    if (limit < count) expect(pages).toBeGreaterThanOrEqual(Math.ceil(count / limit));
  });

  test('DeleteTable removes the table; it can be re-created, empty', async () => {
    const { TableDescription } = await client.send(new DeleteTableCommand({ TableName: 'scanned' }));
    expect(TableDescription).toMatchObject({ TableName: 'scanned', TableStatus: 'DELETING' });
    await eventually('the deleted table to be gone', async () => {
      await expectDynamoError(client.send(new DescribeTableCommand({ TableName: 'scanned' })), 'ResourceNotFoundException');
    });
    await expectDynamoError(client.send(new GetItemCommand({ TableName: 'scanned', Key: { id: { N: '1' } } })), 'ResourceNotFoundException', 'Requested resource not found');
    await expectDynamoError(client.send(new ScanCommand({ TableName: 'scanned' })), 'ResourceNotFoundException');
    expect((await client.send(new ListTablesCommand({}))).TableNames).not.toContain('scanned');
    await expectDynamoError(client.send(new DeleteTableCommand({ TableName: 'scanned' })), 'ResourceNotFoundException');

    await createTable(client, 'scanned', ['id', 'N']);
    const { Items, Count } = await client.send(new ScanCommand({ TableName: 'scanned', ConsistentRead: true }));
    expect({ Items, Count }).toEqual({ Items: [], Count: 0 });
    expect(await getItem('scanned', { id: { N: '1' } })).toBeUndefined();
    expect(await getItem('scanned', { id: { N: '1' } }, false)).toBeUndefined();
    await client.send(new PutItemCommand({ TableName: 'scanned', Item: { id: { N: '1' }, fresh: { BOOL: true } } }));
    expect(await getItem('scanned', { id: { N: '1' } })).toEqual({ id: { N: '1' }, fresh: { BOOL: true } });
  });
});
