/**
 * Query and Scan against a real cluster, asserting DynamoDB's documented results and exact error
 * messages: key conditions (expression and legacy KeyConditions), filters applied after Limit,
 * Count and ScannedCount, Select (COUNT, SPECIFIC_ATTRIBUTES, ...), projections, paging,
 * parallel scan segments, and consumed capacity. (Secondary indexes are tested elsewhere.)
 */
import { conformanceCluster, expectFailure, expectSuccess, INVALID, type Api, type Json } from '../support/conformance';
import { ROUTER_ID } from '../support/test-cluster';

const SLOT = 14;
const NUM = 'qs_num';
const STR = 'qs_str';
const SCAN = 'qs_scan';
const SCAN_ITEMS = 40;

const S = (s: string) => ({ S: s });
const N = (n: string | number) => ({ N: String(n) });

/** Items of partition 'p' in NUM: sk 1..10; odd ones carry `odd`, every one `v`. */
const numItem = (sk: number): Json => ({ pk: S('p'), sk: N(sk), v: S(`v${sk}`), ...(sk % 2 === 1 ? { odd: { BOOL: true } } : {}) });

const cluster = conformanceCluster(SLOT, { [NUM]: [['pk', 'S'], ['sk', 'N']], [STR]: [['pk', 'S'], ['sk', 'S']], [SCAN]: [['pk', 'S']] });
const api: Api = (operation, body) => cluster.api(operation, body);

beforeAll(async () => {
  const writes: Array<[string, Json]> = [];
  for (let sk = 1; sk <= 10; sk++) writes.push([NUM, numItem(sk)]);
  writes.push([NUM, { pk: S('other'), sk: N(1) }]);
  for (const sk of ['a', 'ab', 'abc', 'b', 'ba', 'c']) writes.push([STR, { pk: S('p'), sk: S(sk) }]);
  for (let i = 0; i < SCAN_ITEMS; i++) writes.push([SCAN, { pk: S(`s${i}`), n: N(i), ...(i % 4 === 0 ? { four: { BOOL: true } } : {}) }]);
  for (let i = 0; i < writes.length; i += 25) {
    const chunk = writes.slice(i, i + 25);
    const requestItems: Record<string, Json[]> = {};
    for (const [table, item] of chunk) (requestItems[table] ??= []).push({ PutRequest: { Item: item } });
    // Under load a write may come back unprocessed: send those again, as the SDKs do.
    let pending: Json = requestItems;
    for (let attempt = 0; attempt < 20 && Object.keys(pending).length > 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      pending = (await expectSuccess(api, 'BatchWriteItem', { RequestItems: pending })).UnprocessedItems as Json;
    }
    expect(pending).toEqual({});
  }
});

const query = (body: Json) => expectSuccess(api, 'Query', { TableName: NUM, ConsistentRead: true, ...body });
const queryFails = (body: Json, name: string, message?: string | RegExp) => expectFailure(api, 'Query', { TableName: NUM, ...body }, name, message);
const scan = (body: Json) => expectSuccess(api, 'Scan', { TableName: SCAN, ConsistentRead: true, ...body });
const scanFails = (body: Json, name: string, message?: string | RegExp) => expectFailure(api, 'Scan', { TableName: SCAN, ...body }, name, message);

const onP = { KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': S('p') } };
const sks = (reply: Json) => (reply.Items as Json[]).map((item) => Number((item.sk as { N: string }).N));

describe('Query: key conditions', () => {
  test('the whole partition, in sort key order, forward and backward', async () => {
    const forward = await query(onP);
    expect(forward).toEqual({ Items: Array.from({ length: 10 }, (_, i) => numItem(i + 1)), Count: 10, ScannedCount: 10 });
    expect(sks(await query({ ...onP, ScanIndexForward: false }))).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  test.each<[string, string, Json, number[]]>([
    ['=', 'sk = :a', { ':a': N(3) }, [3]],
    ['<', 'sk < :a', { ':a': N(3) }, [1, 2]],
    ['<=', 'sk <= :a', { ':a': N(3) }, [1, 2, 3]],
    ['>', 'sk > :a', { ':a': N(8) }, [9, 10]],
    ['>=', 'sk >= :a', { ':a': N(8) }, [8, 9, 10]],
    ['BETWEEN', 'sk BETWEEN :a AND :b', { ':a': N(4), ':b': N(6) }, [4, 5, 6]],
    ['= with a non-canonical number', 'sk = :a', { ':a': N('3.000') }, [3]],
    ['BETWEEN equal bounds', 'sk BETWEEN :a AND :b', { ':a': N(5), ':b': N(5) }, [5]],
  ])('sort key %s', async (_title, condition, values, expected) => {
    expect(sks(await query({ KeyConditionExpression: `pk = :p AND ${condition}`, ExpressionAttributeValues: { ':p': S('p'), ...values } }))).toEqual(expected);
  });

  test('begins_with on a string sort key; a partition with no items', async () => {
    const reply = await expectSuccess(api, 'Query', {
      TableName: STR,
      KeyConditionExpression: '#k = :p AND begins_with(#s, :a)',
      ExpressionAttributeNames: { '#k': 'pk', '#s': 'sk' },
      ExpressionAttributeValues: { ':p': S('p'), ':a': S('ab') },
    });
    expect(reply).toEqual({ Items: [{ pk: S('p'), sk: S('ab') }, { pk: S('p'), sk: S('abc') }], Count: 2, ScannedCount: 2 });
    expect(await query({ KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': S('nobody') } })).toEqual({ Items: [], Count: 0, ScannedCount: 0 });
  });

  test('legacy KeyConditions', async () => {
    const reply = await query({
      KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [S('p')] }, sk: { ComparisonOperator: 'GT', AttributeValueList: [N(7)] } },
    });
    expect(sks(reply)).toEqual([8, 9, 10]);
  });

  test.each<[string, Json, string]>([
    ['no key condition', {}, 'Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.'],
    ['no partition key', { KeyConditionExpression: 'sk = :a', ExpressionAttributeValues: { ':a': N(1) } }, 'Query condition missed key schema element: pk'],
    ['a non-key attribute', { KeyConditionExpression: 'pk = :p AND v = :a', ExpressionAttributeValues: { ':p': S('p'), ':a': S('x') } }, 'Query condition missed key schema element: sk'],
    ['a range on the partition key', { KeyConditionExpression: 'pk > :p', ExpressionAttributeValues: { ':p': S('p') } }, 'Query key condition not supported'],
    ['OR', { KeyConditionExpression: 'pk = :p OR sk = :a', ExpressionAttributeValues: { ':p': S('p'), ':a': N(1) } }, 'Invalid operator used in KeyConditionExpression: OR'],
    ['<>', { KeyConditionExpression: 'pk = :p AND sk <> :a', ExpressionAttributeValues: { ':p': S('p'), ':a': N(1) } }, 'Invalid operator used in KeyConditionExpression: <>'],
    [
      'a mistyped value',
      { KeyConditionExpression: 'pk = :p AND sk = :a', ExpressionAttributeValues: { ':p': S('p'), ':a': S('1') } },
      `${INVALID} Condition parameter type does not match schema type`,
    ],
    [
      'two conditions on the sort key',
      { KeyConditionExpression: 'pk = :p AND sk > :a AND sk < :b', ExpressionAttributeValues: { ':p': S('p'), ':a': N(1), ':b': N(5) } },
      'Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key',
    ],
    [
      'BETWEEN bounds out of order',
      { KeyConditionExpression: 'pk = :p AND sk BETWEEN :b AND :a', ExpressionAttributeValues: { ':p': S('p'), ':a': N(1), ':b': N(5) } },
      'Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}',
    ],
    [
      'a syntax error',
      { KeyConditionExpression: 'pk = :p AND', ExpressionAttributeValues: { ':p': S('p') } },
      'Invalid KeyConditionExpression: Syntax error; token: "<EOF>", near: "AND"',
    ],
    [
      'a reserved word',
      { KeyConditionExpression: 'pk = :p AND size = :a', ExpressionAttributeValues: { ':p': S('p'), ':a': N(1) } },
      'Invalid KeyConditionExpression: Attribute name is a reserved keyword; reserved keyword: size',
    ],
    [
      'both KeyConditionExpression and KeyConditions',
      { ...onP, KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [S('p')] } } },
      'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}',
    ],
    [
      'KeyConditions with a non-indexable operator',
      { KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [S('p')] }, sk: { ComparisonOperator: 'NE', AttributeValueList: [N(1)] } } },
      'Attempted conditional constraint is not an indexable operation',
    ],
    ['KeyConditions with no conditions', { KeyConditions: {} }, 'Conditions can be of length 1 or 2 only'],
    [
      'a KeyConditions value count',
      { KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [] } } },
      `${INVALID} Invalid number of argument(s) for the EQ ComparisonOperator`,
    ],
  ])('%s', async (_title, params, message) => {
    await queryFails(params, 'ValidationException', message);
  });

  test('a missing table', async () => {
    await expectFailure(api, 'Query', { TableName: 'no_such_table', ...onP }, 'ResourceNotFoundException', 'Requested resource not found');
  });
});

describe('Query: Limit, filters, Select, projection', () => {
  test('Limit pages with LastEvaluatedKey and ExclusiveStartKey, forward and backward', async () => {
    const first = await query({ ...onP, Limit: 3 });
    expect({ sks: sks(first), Count: first.Count, ScannedCount: first.ScannedCount, LastEvaluatedKey: first.LastEvaluatedKey }).toEqual({
      sks: [1, 2, 3],
      Count: 3,
      ScannedCount: 3,
      LastEvaluatedKey: { pk: S('p'), sk: N(3) },
    });
    const second = await query({ ...onP, Limit: 3, ExclusiveStartKey: first.LastEvaluatedKey });
    expect(sks(second)).toEqual([4, 5, 6]);
    const rest = await query({ ...onP, Limit: 30, ExclusiveStartKey: second.LastEvaluatedKey });
    expect({ sks: sks(rest), LastEvaluatedKey: rest.LastEvaluatedKey }).toEqual({ sks: [7, 8, 9, 10], LastEvaluatedKey: undefined });
    const back = await query({ ...onP, Limit: 2, ScanIndexForward: false, ExclusiveStartKey: { pk: S('p'), sk: N(5) } });
    expect({ sks: sks(back), LastEvaluatedKey: back.LastEvaluatedKey }).toEqual({ sks: [4, 3], LastEvaluatedKey: { pk: S('p'), sk: N(3) } });
  });

  test('the filter runs after Limit: Count counts matches, ScannedCount items read', async () => {
    const reply = await query({ ...onP, Limit: 4, FilterExpression: 'attribute_exists(odd)' });
    expect({ sks: sks(reply), Count: reply.Count, ScannedCount: reply.ScannedCount, LastEvaluatedKey: reply.LastEvaluatedKey }).toEqual({
      sks: [1, 3],
      Count: 2,
      ScannedCount: 4,
      LastEvaluatedKey: { pk: S('p'), sk: N(4) },
    });
    // A page can hold no item at all and still go on.
    const none = await query({ ...onP, Limit: 2, FilterExpression: 'v = :x', ExpressionAttributeValues: { ':p': S('p'), ':x': S('nothing') } });
    expect(none).toEqual({ Items: [], Count: 0, ScannedCount: 2, LastEvaluatedKey: { pk: S('p'), sk: N(2) } });
  });

  test('legacy QueryFilter and ConditionalOperator', async () => {
    const reply = await query({
      KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [S('p')] } },
      QueryFilter: { odd: { ComparisonOperator: 'NULL' }, v: { ComparisonOperator: 'EQ', AttributeValueList: [S('v1')] } },
      ConditionalOperator: 'OR',
    });
    expect(sks(reply)).toEqual([1, 2, 4, 6, 8, 10]);
  });

  test('Select COUNT returns counts only; with a filter, the matches', async () => {
    expect(await query({ ...onP, Select: 'COUNT' })).toEqual({ Count: 10, ScannedCount: 10 });
    expect(await query({ ...onP, Select: 'COUNT', FilterExpression: 'attribute_exists(odd)' })).toEqual({ Count: 5, ScannedCount: 10 });
  });

  test('ProjectionExpression and Select SPECIFIC_ATTRIBUTES; ALL_ATTRIBUTES', async () => {
    const projected = await query({ ...onP, Limit: 2, ProjectionExpression: 'v, odd' });
    expect(projected.Items).toEqual([{ v: S('v1'), odd: { BOOL: true } }, { v: S('v2') }]);
    expect((await query({ ...onP, Limit: 2, ProjectionExpression: 'v', Select: 'SPECIFIC_ATTRIBUTES' })).Items).toEqual([{ v: S('v1') }, { v: S('v2') }]);
    const keyConditions = { pk: { ComparisonOperator: 'EQ', AttributeValueList: [S('p')] } };
    expect((await query({ KeyConditions: keyConditions, Limit: 1, AttributesToGet: ['sk'] })).Items).toEqual([{ sk: N(1) }]);
    expect((await query({ ...onP, Limit: 1, Select: 'ALL_ATTRIBUTES' })).Items).toEqual([numItem(1)]);
  });

  test.each<[string, Json, string]>([
    ['COUNT with a projection', { Select: 'COUNT', ProjectionExpression: 'v' }, 'Cannot specify the ProjectionExpression when choosing to get COUNT'],
    ['ALL_ATTRIBUTES with a projection', { Select: 'ALL_ATTRIBUTES', ProjectionExpression: 'v' }, 'Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES'],
    ['ALL_PROJECTED_ATTRIBUTES without an index', { Select: 'ALL_PROJECTED_ATTRIBUTES' }, 'ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName'],
    [
      'an unknown Select',
      { Select: 'SOME' },
      "1 validation error detected: Value 'SOME' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]",
    ],
    ['Limit 0', { Limit: 0 }, "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"],
    ['a filter on the partition key', { FilterExpression: 'pk = :p' }, 'Filter Expression can only contain non-primary key attributes: Primary key attribute: pk'],
    ['a filter on the sort key', { FilterExpression: 'sk > :p' }, 'Filter Expression can only contain non-primary key attributes: Primary key attribute: sk'],
    ['an unused value', { ExpressionAttributeValues: { ':p': S('p'), ':x': S('x') } }, 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}'],
    ['an unused name', { ExpressionAttributeNames: { '#x': 'x' } }, 'Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}'],
    [
      'an undefined name in the projection',
      { ProjectionExpression: '#x' },
      'Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #x',
    ],
    [
      'overlapping projected paths',
      { ProjectionExpression: 'v, v[0]' },
      'Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [v], path two: [v, [0]]',
    ],
    [
      'FilterExpression with QueryFilter',
      { FilterExpression: 'attribute_exists(v)', QueryFilter: { v: { ComparisonOperator: 'NOT_NULL' } } },
      'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {QueryFilter} Expression parameters: {FilterExpression, KeyConditionExpression}',
    ],
    [
      'an unknown ReturnConsumedCapacity',
      { ReturnConsumedCapacity: 'ALL' },
      "1 validation error detected: Value 'ALL' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
    ],
  ])('%s', async (_title, params, message) => {
    await queryFails({ ...onP, ...params }, 'ValidationException', message);
  });

  test.each<[string, Json, string]>([
    ['a start key with a missing attribute', { ExclusiveStartKey: { pk: S('p') } }, 'The provided starting key is invalid'],
    ['a start key with an extra attribute', { ExclusiveStartKey: { pk: S('p'), sk: N(1), v: S('x') } }, 'The provided starting key is invalid'],
    ['a start key of the wrong type', { ExclusiveStartKey: { pk: S('p'), sk: S('1') } }, 'The provided starting key is invalid: The provided key element does not match the schema'],
    ['a start key in another partition', { ExclusiveStartKey: { pk: S('other'), sk: N(1) } }, 'The provided starting key is outside query boundaries based on provided conditions'],
    [
      'a start key outside the sort key condition',
      { KeyConditionExpression: 'pk = :p AND sk > :five', ExpressionAttributeValues: { ':p': S('p'), ':five': N(5) }, ExclusiveStartKey: { pk: S('p'), sk: N(5) } },
      'The provided starting key does not match the range key predicate',
    ],
    [
      'a start key in another partition with a sort key condition',
      { KeyConditionExpression: 'pk = :p AND sk > :five', ExpressionAttributeValues: { ':p': S('p'), ':five': N(5) }, ExclusiveStartKey: { pk: S('other'), sk: N(6) } },
      'The query can return at most one row and cannot be restarted',
    ],
  ])('ExclusiveStartKey: %s', async (_title, params, message) => {
    await queryFails({ ...onP, ...params }, 'ValidationException', message);
  });

  test('QueryFilter on a key attribute, and AttributesToGet with COUNT', async () => {
    const keyConditions = { pk: { ComparisonOperator: 'EQ', AttributeValueList: [S('p')] } };
    await queryFails(
      { KeyConditions: keyConditions, QueryFilter: { sk: { ComparisonOperator: 'GT', AttributeValueList: [N(1)] } } },
      'ValidationException',
      'QueryFilter can only contain non-primary key attributes: Primary key attribute: sk',
    );
    await queryFails({ KeyConditions: keyConditions, AttributesToGet: ['v'], Select: 'COUNT' }, 'ValidationException', 'Cannot specify the AttributesToGet when choosing to get COUNT');
  });

  test('ReturnConsumedCapacity: the items read add up, then round to 4 KB; halved when eventually consistent', async () => {
    // Ten small items (under 4 KB together): one unit, half a unit.
    expect((await query({ ...onP, ReturnConsumedCapacity: 'TOTAL' })).ConsumedCapacity).toEqual({ TableName: NUM, CapacityUnits: 1 });
    expect((await query({ ...onP, ConsistentRead: false, ReturnConsumedCapacity: 'TOTAL' })).ConsumedCapacity).toEqual({ TableName: NUM, CapacityUnits: 0.5 });
    expect((await query({ ...onP, ReturnConsumedCapacity: 'INDEXES' })).ConsumedCapacity).toEqual({ TableName: NUM, CapacityUnits: 1, Table: { CapacityUnits: 1 } });
    expect((await query({ ...onP, ReturnConsumedCapacity: 'NONE' })).ConsumedCapacity).toBeUndefined();
    // Filtered-out items are still paid for; an empty result costs one (half) unit.
    expect((await query({ ...onP, Select: 'COUNT', FilterExpression: 'v = :x', ExpressionAttributeValues: { ':p': S('p'), ':x': S('x') }, ReturnConsumedCapacity: 'TOTAL' })).ConsumedCapacity).toEqual({
      TableName: NUM,
      CapacityUnits: 1,
    });
    expect(
      (await query({ KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': S('nobody') }, ConsistentRead: false, ReturnConsumedCapacity: 'TOTAL' })).ConsumedCapacity,
    ).toEqual({ TableName: NUM, CapacityUnits: 0.5 });
    // Three items of 3 KB each: 9 KB read, 3 units.
    for (let i = 0; i < 3; i++) {
      await expectSuccess(api, 'PutItem', { TableName: NUM, Item: { pk: S('cap'), sk: N(i), b: S('x'.repeat(3000)) } });
    }
    expect((await query({ KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': S('cap') }, ReturnConsumedCapacity: 'TOTAL' })).ConsumedCapacity).toEqual({
      TableName: NUM,
      CapacityUnits: 3,
    });
  });
});

describe('Scan', () => {
  const all = async (body: Json): Promise<Json[]> => {
    const items: Json[] = [];
    let start: Json | undefined;
    for (let page = 0; page < 100; page++) {
      const reply = await scan({ ...body, ...(start ? { ExclusiveStartKey: start } : {}) });
      items.push(...(reply.Items as Json[]));
      start = reply.LastEvaluatedKey as Json | undefined;
      if (!start) return items;
    }
    throw new Error('too many pages');
  };
  const ids = (items: Json[]) => items.map((item) => (item.pk as { S: string }).S).sort();
  const everyId = Array.from({ length: SCAN_ITEMS }, (_, i) => `s${i}`).sort();

  test('returns every item once; Count and ScannedCount', async () => {
    const reply = await scan({});
    expect({ Count: reply.Count, ScannedCount: reply.ScannedCount, LastEvaluatedKey: reply.LastEvaluatedKey }).toEqual({
      Count: SCAN_ITEMS,
      ScannedCount: SCAN_ITEMS,
      LastEvaluatedKey: undefined,
    });
    expect(ids(reply.Items as Json[])).toEqual(everyId);
  });

  test('Limit pages through every item exactly once', async () => {
    const first = await scan({ Limit: 7 });
    expect({ Count: first.Count, ScannedCount: first.ScannedCount, hasKey: first.LastEvaluatedKey !== undefined }).toEqual({ Count: 7, ScannedCount: 7, hasKey: true });
    expect(ids(await all({ Limit: 7 }))).toEqual(everyId);
  });

  test('the filter runs after Limit', async () => {
    const reply = await scan({ Limit: 10, FilterExpression: 'attribute_exists(four)' });
    expect(reply.ScannedCount).toBe(10);
    expect(reply.Count).toBe((reply.Items as Json[]).length);
    expect((reply.Items as Json[]).every((item) => item.four !== undefined)).toBe(true);
    expect(ids(await all({ Limit: 10, FilterExpression: 'attribute_exists(four)' }))).toEqual(everyId.filter((id) => Number(id.slice(1)) % 4 === 0));
  });

  test('Select COUNT, projections, legacy ScanFilter', async () => {
    expect(await scan({ Select: 'COUNT', FilterExpression: 'n < :ten', ExpressionAttributeValues: { ':ten': N(10) } })).toEqual({ Count: 10, ScannedCount: SCAN_ITEMS });
    const projected = await scan({ ProjectionExpression: 'n', FilterExpression: 'pk = :k', ExpressionAttributeValues: { ':k': S('s3') } });
    expect(projected.Items).toEqual([{ n: N(3) }]);
    const legacy = await scan({ ScanFilter: { n: { ComparisonOperator: 'BETWEEN', AttributeValueList: [N(10), N(12)] } }, AttributesToGet: ['pk'] });
    expect(ids(legacy.Items as Json[])).toEqual(['s10', 's11', 's12']);
  });

  test('parallel scan: the segments together return every item once', async () => {
    for (const total of [1, 3, 4, 40]) {
      const items: Json[] = [];
      for (let segment = 0; segment < total; segment++) items.push(...(await all({ Segment: segment, TotalSegments: total, Limit: 5 })));
      expect(ids(items)).toEqual(everyId);
    }
  });

  test.each<[string, Json, string]>([
    ['Segment without TotalSegments', { Segment: 0 }, 'The TotalSegments parameter is required but was not present in the request when Segment parameter is present'],
    ['TotalSegments without Segment', { TotalSegments: 2 }, 'The Segment parameter is required but was not present in the request when parameter TotalSegments is present'],
    [
      'Segment not below TotalSegments',
      { Segment: 2, TotalSegments: 2 },
      'The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 2 is not less than TotalSegments: 2',
    ],
    ['a negative Segment', { Segment: -1, TotalSegments: 2 }, "1 validation error detected: Value '-1' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0"],
    [
      'TotalSegments over 1,000,000',
      { Segment: 0, TotalSegments: 1000001 },
      "1 validation error detected: Value '1000001' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000",
    ],
    ['COUNT with a projection', { Select: 'COUNT', ProjectionExpression: 'n' }, 'Cannot specify the ProjectionExpression when choosing to get COUNT'],
    [
      'a start key with a missing attribute',
      { ExclusiveStartKey: { n: N(1) } },
      'The provided starting key is invalid: The provided key element does not match the schema',
    ],
    ['a start key of the wrong type', { ExclusiveStartKey: { pk: N(1) } }, 'The provided starting key is invalid: The provided key element does not match the schema'],
    [
      'FilterExpression with ScanFilter',
      { FilterExpression: 'attribute_exists(n)', ScanFilter: { n: { ComparisonOperator: 'NOT_NULL' } } },
      'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {ScanFilter} Expression parameters: {FilterExpression}',
    ],
    [
      'values without an expression',
      { ExpressionAttributeValues: { ':v': N(1) } },
      'ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null',
    ],
    [
      'a ScanFilter type mismatch',
      { ScanFilter: { n: { ComparisonOperator: 'BEGINS_WITH', AttributeValueList: [N(1)] } } },
      `${INVALID} ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type`,
    ],
    [
      'ConditionalOperator with one condition',
      { ScanFilter: { n: { ComparisonOperator: 'NOT_NULL' } }, ConditionalOperator: 'AND' },
      'ConditionalOperator can only be used when Filter or Expected has two or more elements',
    ],
    ['a syntax error in the filter', { FilterExpression: 'n <' }, 'Invalid FilterExpression: Syntax error; token: "<EOF>", near: "<"'],
    [
      'an IN with too many operands',
      { FilterExpression: `n IN (${Array.from({ length: 101 }, (_, i) => `:v${i}`).join(', ')})`, ExpressionAttributeValues: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`:v${i}`, N(i)])) },
      'Invalid FilterExpression: The IN operator is provided with too many operands; number of operands: 101',
    ],
  ])('%s', async (_title, params, message) => {
    await scanFails(params, 'ValidationException', message);
  });

  test('several constraint violations at once', async () => {
    const reply = await api('Scan', { TableName: 'abc;', Segment: -1, TotalSegments: 0, Limit: 0, Select: 'hi' });
    expect(reply.status).toBe(400);
    const message = String(reply.json?.message);
    expect(message.startsWith('5 validation errors detected: ')).toBe(true);
    expect(message.slice('5 validation errors detected: '.length).split('; ').sort()).toEqual(
      [
        "Value 'hi' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]",
        "Value '0' at 'totalSegments' failed to satisfy constraint: Member must have value greater than or equal to 1",
        "Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        "Value '-1' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0",
        "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
      ].sort(),
    );
  });

  test('ReturnConsumedCapacity sums the items read', async () => {
    const reply = await scan({ ReturnConsumedCapacity: 'TOTAL', Select: 'COUNT' });
    expect(reply.ConsumedCapacity).toEqual({ TableName: SCAN, CapacityUnits: 1 });
    const eventual = await scan({ ConsistentRead: false, ReturnConsumedCapacity: 'INDEXES', Limit: 1 });
    expect(eventual.ConsumedCapacity).toEqual({ TableName: SCAN, CapacityUnits: 0.5, Table: { CapacityUnits: 0.5 } });
  });

  test('a missing table', async () => {
    await expectFailure(api, 'Scan', { TableName: 'no_such_table' }, 'ResourceNotFoundException', 'Requested resource not found');
  });
});

test('after every case the router still serves', async () => {
  expect(cluster.tc.cluster.isRunning(ROUTER_ID)).toBe(true);
  expect((await query({ ...onP, Select: 'COUNT' })).Count).toBe(10);
});
