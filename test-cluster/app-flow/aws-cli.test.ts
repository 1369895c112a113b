/**
 * The small-shop application flow (README.md in this folder) through the AWS CLI, as a new user
 * would drive it: `aws dynamodb ... --endpoint-url`, default retries, the table from
 * `--cli-input-json file://table.json`, request files for batch-write-item, the waiters
 * (`wait table-exists`, `wait table-not-exists`) and the CLI's own pagination (`--max-items` with
 * `--starting-token`, `--page-size`) next to manual `--limit` + `--exclusive-start-key`.
 * Skipped, saying so, when `aws` is not on PATH (.ci/run installs Debian's awscli).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { awsAvailable, awsCliTitle, runAws, runAwsOk, type CliResult } from '../support/aws-cli';
import { eventually, mapLimit } from '@triad/harness';
import { startTestCluster, type TestCluster } from '../support/test-cluster';
import {
  BATCH_WRITE_REQUESTS_MAX,
  TABLE,
  TABLE_JSON_PATH,
  afterShipping,
  chunks,
  entities,
  gsi2Contents,
  gsi2Entries,
  itemsOf,
  keyOf,
  order,
  ordersNewestFirst,
  ordersWithStatus,
  scanExpectations,
  scenario,
  tableInput,
  userProfile,
  type Entity,
} from './shop';

const SLOT = 18;
/**
 * CLI processes at once where the flow does not ask for more: each costs most of a second of CPU
 * starting Python, and more at once than cores only starve the cluster's own processes.
 */
const CLI_CONCURRENCY = 2;
/** Rounds of re-sending UnprocessedItems before the test gives up. */
const UNPROCESSED_ROUNDS_MAX = 10;
/** How long a read of a global index (eventually consistent) may take to show a write. */
const INDEX_CATCH_UP_MS = 15_000;

if (!awsAvailable) console.warn("SKIPPED app-flow/aws-cli.test.ts: the AWS CLI ('aws') is not on PATH");
const describeWithAws = awsAvailable ? describe : describe.skip;

type AttributeValueJson = Record<string, any>;

/** The CLI speaks DynamoDB JSON: a plain entity (strings, integers, maps) as attribute values. */
function toAttributeValue(value: unknown): AttributeValueJson {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (value === null) return { NULL: true };
  if (Array.isArray(value)) return { L: value.map(toAttributeValue) };
  if (typeof value === 'object') return { M: toItem(value as Entity) };
  throw new Error(`no attribute value for ${String(value)}`);
}

function toItem(entity: Entity): Record<string, AttributeValueJson> {
  return Object.fromEntries(Object.entries(entity).map(([name, value]) => [name, toAttributeValue(value)]));
}

function fromAttributeValue(value: AttributeValueJson): unknown {
  const [type, inner] = Object.entries(value)[0];
  switch (type) {
    case 'S':
      return inner;
    case 'N':
      return Number(inner);
    case 'BOOL':
      return inner;
    case 'NULL':
      return null;
    case 'L':
      return (inner as AttributeValueJson[]).map(fromAttributeValue);
    case 'M':
      return fromItem(inner);
    default:
      throw new Error(`unexpected attribute value type ${type} in the shop's data`);
  }
}

function fromItem(item: Record<string, AttributeValueJson>): Entity {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, fromAttributeValue(value)]));
}

const fromItems = (items: Record<string, AttributeValueJson>[] | undefined): Entity[] => (items ?? []).map(fromItem);
const json = (value: unknown) => JSON.stringify(value);

let tc: TestCluster;
let workDir: string;
let fileNumber = 0;

/** `aws dynamodb <args>` with the CLI's default retries, as a user runs it. */
function aws(...args: string[]): Promise<CliResult> {
  return runAws(tc.endpoint, args, { defaultRetries: true });
}

function awsOk(...args: string[]): Promise<Record<string, any>> {
  return runAwsOk(tc.endpoint, args, { defaultRetries: true });
}

/** Writes a JSON file for a `file://` argument, as a user keeps request files. */
function requestFile(name: string, content: unknown): string {
  const file = path.join(workDir, `${String(++fileNumber).padStart(3, '0')}-${name}.json`);
  fs.writeFileSync(file, JSON.stringify(content, null, 2));
  return `file://${file}`;
}

async function expectConditionalCheckFailed(result: Promise<CliResult>): Promise<void> {
  const { code, stderr } = await result;
  expect(code).not.toBe(0);
  expect(stderr).toContain('ConditionalCheckFailedException');
}

/** batch-write-item 25 requests per call, sending UnprocessedItems again (from a file) until none are left. */
async function batchWrite(name: string, requests: Record<string, any>[]): Promise<number> {
  let calls = 0;
  await mapLimit(chunks(requests, BATCH_WRITE_REQUESTS_MAX), CLI_CONCURRENCY, async (chunk, i) => {
    let pending: Record<string, any[]> = { [TABLE]: chunk };
    for (let round = 0; Object.keys(pending).length > 0; round++) {
      if (round === UNPROCESSED_ROUNDS_MAX) throw new Error(`still unprocessed after ${round} rounds: ${json(pending)}`);
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
      const answer = await awsOk('batch-write-item', '--request-items', requestFile(`${name}-${i}-round-${round}`, pending));
      calls++;
      pending = answer.UnprocessedItems ?? {};
    }
  });
  return calls;
}

function queryArgs(keyCondition: string, values: Entity, ...more: string[]): string[] {
  return [
    'query',
    '--table-name', TABLE,
    '--key-condition-expression', keyCondition,
    '--expression-attribute-values', json(toItem(values)),
    ...more,
  ];
}

const userOrdersArgs = (userId: string, ...more: string[]) =>
  queryArgs('PK = :pk AND begins_with(SK, :order)', { ':pk': `USER#${userId}`, ':order': 'ORDER#' }, '--no-scan-index-forward', '--consistent-read', ...more);

/** Every item of a GSI query, the CLI following LastEvaluatedKey itself. */
async function queryIndex(index: 'GSI1' | 'GSI2', pk: string, ...more: string[]): Promise<Entity[]> {
  const answer = await awsOk(...queryArgs(`${index}PK = :pk`, { ':pk': pk }, '--index-name', index, ...more));
  return fromItems(answer.Items);
}

function expectIndexesActive(description: Record<string, any>): void {
  const indexes = [...(description.GlobalSecondaryIndexes ?? [])].sort((a, b) => a.IndexName.localeCompare(b.IndexName));
  expect(indexes.map((index) => ({ name: index.IndexName, status: index.IndexStatus, keys: index.KeySchema, projection: index.Projection }))).toEqual(
    tableInput.GlobalSecondaryIndexes!.map((index) => ({ name: index.IndexName, status: 'ACTIVE', keys: index.KeySchema, projection: index.Projection })),
  );
}

describeWithAws(awsCliTitle('small-shop flow through the AWS CLI'), () => {
  beforeAll(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-app-flow-cli-'));
    tc = await startTestCluster(SLOT);
  });

  afterAll(async () => {
    await tc?.stop();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  afterEach(() => {
    if (tc) expect(tc.unexpectedExits).toEqual([]);
  });

  test('1. create-table --cli-input-json file://table.json; wait table-exists; describe-table', async () => {
    const created = await awsOk('create-table', '--cli-input-json', `file://${TABLE_JSON_PATH}`);
    expect(created.TableDescription.TableName).toBe(TABLE);
    expect(['CREATING', 'ACTIVE']).toContain(created.TableDescription.TableStatus);
    await awsOk('wait', 'table-exists', '--table-name', TABLE);
    const { Table } = await awsOk('describe-table', '--table-name', TABLE);
    expect(Table).toMatchObject({ TableStatus: 'ACTIVE', KeySchema: tableInput.KeySchema, BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' } });
    expectIndexesActive(Table);
  });

  test(`2. batch-write-item all ${entities.length} entities from request files, re-sending UnprocessedItems`, async () => {
    const calls = await batchWrite('load', entities.map((entity) => ({ PutRequest: { Item: toItem(entity) } })));
    expect(calls).toBeGreaterThanOrEqual(Math.ceil(entities.length / BATCH_WRITE_REQUESTS_MAX));
    // (Step 3 reads orders back whole; each CLI call costs a process, so no get-item here.)
    const counted = await awsOk('scan', '--table-name', TABLE, '--select', 'COUNT', '--consistent-read');
    expect(counted.Count).toBe(entities.length);
  });

  test("3. page through a user's orders newest first: --limit + --exclusive-start-key, --max-items + --starting-token, --page-size", async () => {
    const expected = ordersNewestFirst(scenario.pagedUser);
    const pageSize = String(scenario.pageSize);

    const byHand = async () => {
      const pages: Entity[][] = [];
      let startKey: Record<string, any> | undefined;
      do {
        const page = await awsOk(...userOrdersArgs(scenario.pagedUser, '--limit', pageSize, ...(startKey ? ['--exclusive-start-key', json(startKey)] : [])));
        pages.push(fromItems(page.Items));
        startKey = page.LastEvaluatedKey;
        if (startKey) expect(fromItem(startKey)).toEqual(keyOf(pages[pages.length - 1][pages[pages.length - 1].length - 1]));
        if (pages.length > expected.length) throw new Error('pagination does not end');
      } while (startKey);
      return pages;
    };
    const byToken = async () => {
      const pages: Entity[][] = [];
      let token: string | undefined;
      do {
        const page = await awsOk(...userOrdersArgs(scenario.pagedUser, '--max-items', pageSize, ...(token ? ['--starting-token', token] : [])));
        pages.push(fromItems(page.Items));
        token = page.NextToken;
        if (pages.length > expected.length) throw new Error('pagination does not end');
      } while (token);
      return pages;
    };
    const [manual, tokens, automatic] = await Promise.all([byHand(), byToken(), awsOk(...userOrdersArgs(scenario.pagedUser, '--page-size', pageSize))]);
    expect(manual.map((page) => page.length)).toEqual([5, 5, 2]);
    expect(manual.flat()).toEqual(expected);
    expect(tokens.map((page) => page.length)).toEqual([5, 5, 2]);
    expect(tokens.flat()).toEqual(expected);
    expect(fromItems(automatic.Items)).toEqual(expected);
    expect(automatic.Count).toBe(expected.length);
  });

  test('4. GSI1: every order with a status, the CLI paging with --page-size (projection ALL)', async () => {
    const expected = ordersWithStatus(scenario.status);
    await eventually(`GSI1 to list the ${scenario.status} orders`, async () => {
      expect(await queryIndex('GSI1', `STATUS#${scenario.status}`, '--page-size', '4')).toEqual(expected);
    }, { timeoutMs: INDEX_CATCH_UP_MS });
  });

  test('5. GSI2: a user by email (INCLUDE projection) and the order items of a product', async () => {
    const user = entities.find((e) => e.email === scenario.email)!;
    await eventually('GSI2 to find the user by email and the items by product', async () => {
      const [byEmail, byProduct] = await Promise.all([
        queryIndex('GSI2', `EMAIL#${scenario.email}`),
        queryIndex('GSI2', `PRODUCT#${scenario.product}`),
      ]);
      expect(byEmail).toEqual([{ PK: user.PK, SK: 'PROFILE', GSI2PK: user.GSI2PK, GSI2SK: 'PROFILE', name: user.name }]);
      expect(byProduct).toEqual(gsi2Entries(`PRODUCT#${scenario.product}`));
    }, { timeoutMs: INDEX_CATCH_UP_MS });
  });

  test('6. update-item --condition-expression ships a PENDING order once; the second attempt fails; GSI1 follows', async () => {
    const { orderId, shippedAt } = scenario.shipOrder;
    const target = order(orderId);
    expect(target.status).toBe('PENDING');
    const ship = () =>
      aws(
        'update-item',
        '--table-name', TABLE,
        '--key', json(toItem(keyOf(target))),
        '--update-expression', 'SET #status = :shipped, GSI1PK = :gsi1pk, shippedAt = :at',
        '--condition-expression', '#status = :pending',
        '--expression-attribute-names', json({ '#status': 'status' }),
        '--expression-attribute-values', json(toItem({ ':shipped': 'SHIPPED', ':gsi1pk': 'STATUS#SHIPPED', ':at': shippedAt, ':pending': 'PENDING' })),
        '--return-values', 'ALL_NEW',
      );
    const first = await ship();
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(fromItem(first.json.Attributes)).toEqual({ ...target, status: 'SHIPPED', GSI1PK: 'STATUS#SHIPPED', shippedAt });
    await expectConditionalCheckFailed(ship());

    const shipped = afterShipping();
    await eventually('GSI1 to move the order from PENDING to SHIPPED', async () => {
      const [pending, shippedNow] = await Promise.all([queryIndex('GSI1', 'STATUS#PENDING'), queryIndex('GSI1', 'STATUS#SHIPPED')]);
      expect(pending).toEqual(ordersWithStatus('PENDING', shipped));
      expect(shippedNow).toEqual(ordersWithStatus('SHIPPED', shipped));
    }, { timeoutMs: INDEX_CATCH_UP_MS });
  });

  test('7. counters: concurrent update-item ADD and SET x = x + :n on one user end exactly right', async () => {
    const { userId, adds, sets, setStep } = scenario.counter;
    const profile = userProfile(userId);
    // Without the CLI's retries: a retried increment whose first attempt's outcome was unknown
    // (a 5xx under load) may count twice, in DynamoDB as here. Each attempt then either succeeded
    // (counted once) or failed (counted at most once), which bounds the final value.
    const update = (expression: string, n: number) =>
      runAws(tc.endpoint, [
        'update-item',
        '--table-name', TABLE,
        '--key', json(toItem(keyOf(profile))),
        '--update-expression', expression,
        '--expression-attribute-values', json(toItem({ ':n': n })),
        '--return-values', 'UPDATED_NEW',
      ]).then((result) => ({ ...result, n }));
    // All at once: the point is concurrent increments of one item.
    const results = await Promise.all([
      ...Array.from({ length: adds }, () => update('ADD orderCount :n', 1)),
      ...Array.from({ length: sets }, () => update('SET orderCount = orderCount + :n', setStep)),
    ]);
    const succeeded = results.filter((r) => r.code === 0);
    const failed = results.filter((r) => r.code !== 0);
    for (const failure of failed) expect(failure.stderr).toMatch(/InternalServerError|ServiceUnavailable|ProvisionedThroughputExceeded|ThrottlingException/);
    const returned = succeeded.map((result) => Number(result.json.Attributes.orderCount.N));
    expect(new Set(returned).size).toBe(succeeded.length);
    const atLeast = profile.orderCount + succeeded.reduce((sum, r) => sum + r.n, 0);
    const atMost = atLeast + failed.reduce((sum, r) => sum + r.n, 0);
    const got = await awsOk('get-item', '--table-name', TABLE, '--key', json(toItem(keyOf(profile))), '--consistent-read');
    const final = Number(got.Item.orderCount.N);
    expect(final).toBeGreaterThanOrEqual(atLeast);
    expect(final).toBeLessThanOrEqual(atMost);
    expect(Math.max(...returned)).toBeLessThanOrEqual(final);
    // On a healthy cluster every increment succeeds, and the count is exact.
    if (failed.length === 0) expect(fromItem(got.Item)).toEqual({ ...profile, orderCount: profile.orderCount + adds + sets * setStep });
  });

  test('8. put-item --condition-expression attribute_not_exists(PK) creates a user only once', async () => {
    const existing = userProfile(scenario.pagedUser);
    const createIfAbsent = (item: Entity) =>
      aws('put-item', '--table-name', TABLE, '--item', json(toItem(item)), '--condition-expression', 'attribute_not_exists(PK)');
    const created = await createIfAbsent(scenario.newUser);
    expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' });
    await Promise.all([
      expectConditionalCheckFailed(createIfAbsent({ ...scenario.newUser, name: 'Someone Else' })),
      expectConditionalCheckFailed(createIfAbsent({ ...existing, name: 'Mallory', orderCount: 0 })),
    ]);
    const got = await awsOk(
      'batch-get-item',
      '--request-items', json({ [TABLE]: { Keys: [scenario.newUser, existing].map((user) => toItem(keyOf(user))), ConsistentRead: true } }),
    );
    expect(got.UnprocessedKeys).toEqual({});
    const users = fromItems(got.Responses[TABLE]);
    expect(users.find((user) => user.PK === scenario.newUser.PK)).toEqual(scenario.newUser);
    expect(users.find((user) => user.PK === existing.PK)).toEqual(existing);
    expect(users).toHaveLength(2);
    await eventually('GSI2 to find the new user by email', async () => {
      expect(await queryIndex('GSI2', scenario.newUser.GSI2PK)).toEqual(gsi2Entries(scenario.newUser.GSI2PK, [scenario.newUser]));
    }, { timeoutMs: INDEX_CATCH_UP_MS });
  });

  test('9. delete an order and its items with batch-write-item; they vanish from the table and both GSIs', async () => {
    const { userId, orderId } = scenario.deleteOrder;
    const target = order(orderId);
    const items = itemsOf(orderId);
    const itemKeys = await awsOk(...queryArgs('PK = :pk', { ':pk': `ORDER#${orderId}` }, '--projection-expression', 'PK, SK', '--consistent-read'));
    expect(fromItems(itemKeys.Items)).toEqual(items.map(keyOf));
    await batchWrite('delete', [...itemKeys.Items, toItem(keyOf(target))].map((key) => ({ DeleteRequest: { Key: key } })));

    // The user's orders (a consistent query) show the order row gone.
    const [itemsLeft, userOrders] = await Promise.all([
      awsOk(...queryArgs('PK = :pk', { ':pk': `ORDER#${orderId}` }, '--consistent-read')),
      awsOk(...userOrdersArgs(userId)),
    ]);
    expect(itemsLeft.Count).toBe(0);
    expect(fromItems(userOrders.Items)).toEqual(ordersNewestFirst(userId).filter((e) => e.orderId !== orderId));

    // One scan of GSI2 (the CLI following LastEvaluatedKey) checks every product at once.
    const left = [...afterShipping(), scenario.newUser].filter((e) => e.orderId !== orderId);
    await eventually('the deleted order and its items to leave GSI1 and GSI2', async () => {
      const [byStatus, gsi2] = await Promise.all([
        queryIndex('GSI1', `STATUS#${target.status}`),
        awsOk('scan', '--table-name', TABLE, '--index-name', 'GSI2'),
      ]);
      expect(byStatus).toEqual(ordersWithStatus(target.status, left));
      expect(gsi2Contents(fromItems(gsi2.Items))).toEqual(gsi2Contents(left));
    }, { timeoutMs: INDEX_CATCH_UP_MS });
  });

  test('10. scan --filter-expression --select COUNT over several pages (--page-size): the CLI sums the counts', async () => {
    const answer = await awsOk(
      'scan',
      '--table-name', TABLE,
      '--filter-expression', 'begins_with(SK, :item) AND quantity >= :min',
      '--expression-attribute-values', json(toItem({ ':item': 'ITEM#', ':min': scenario.scanMinQuantity })),
      '--select', 'COUNT',
      '--consistent-read',
      '--page-size', String(scenario.scanPageSize),
    );
    expect(answer.Items).toBeUndefined();
    expect({ count: answer.Count, scannedCount: answer.ScannedCount }).toEqual(scanExpectations());
  });

  test('11. describe-table shows both GSIs ACTIVE; delete-table; wait table-not-exists', async () => {
    const { Table } = await awsOk('describe-table', '--table-name', TABLE);
    expectIndexesActive(Table);
    const deleted = await awsOk('delete-table', '--table-name', TABLE);
    expect(deleted.TableDescription.TableName).toBe(TABLE);
    await awsOk('wait', 'table-not-exists', '--table-name', TABLE);
    // The waiter succeeds only once describe-table answers ResourceNotFoundException.
    const listed = await awsOk('list-tables');
    expect(listed.TableNames).not.toContain(TABLE);
  });
});
