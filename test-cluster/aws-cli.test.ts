/**
 * The AWS CLI (v1) against the cluster with only --endpoint-url changed: create-table, put-item,
 * get-item, query, scan, update-item, delete-item. Skipped, saying so, when `aws` is not on PATH.
 */
import { awsAvailable, awsCliTitle, runAws, runAwsOk, type CliResult } from './support/aws-cli';
import { eventually } from '@triad/harness';
import { startTestCluster, type TestCluster } from './support/test-cluster';

const SLOT = 5;
const TABLE = 'cli_table';

// Only a missing CLI skips the test; one that is installed but broken fails it.
if (!awsAvailable) console.warn("SKIPPED aws-cli.test.ts: the AWS CLI ('aws') is not on PATH");
const describeWithAws = awsAvailable ? describe : describe.skip;

let tc: TestCluster;

/** Runs `aws dynamodb <args>` against the cluster, with dummy credentials and no retries. */
function aws(...args: string[]): Promise<CliResult> {
  return runAws(tc.endpoint, args);
}

/** Runs a command that must succeed, showing its stderr if it does not. */
function awsOk(...args: string[]): Promise<Record<string, any>> {
  return runAwsOk(tc.endpoint, args);
}

describeWithAws(awsCliTitle('AWS CLI'), () => {
  beforeAll(async () => {
    tc = await startTestCluster(SLOT);
  });

  afterAll(async () => {
    await tc?.stop();
  });

  test('create-table, put-item, get-item, query, scan, update-item and delete-item', async () => {
    const created = await awsOk(
      'create-table',
      '--table-name', TABLE,
      '--attribute-definitions', 'AttributeName=pk,AttributeType=S', 'AttributeName=sk,AttributeType=N',
      '--key-schema', 'AttributeName=pk,KeyType=HASH', 'AttributeName=sk,KeyType=RANGE',
      '--billing-mode', 'PAY_PER_REQUEST',
    );
    expect(created.TableDescription).toMatchObject({ TableName: TABLE, TableStatus: 'CREATING' });
    await eventually('the table to be ACTIVE', async () => {
      const described = await awsOk('describe-table', '--table-name', TABLE);
      expect(described.Table.TableStatus).toBe('ACTIVE');
    }, { timeoutMs: 20_000 });

    const items = [
      { pk: { S: 'cli' }, sk: { N: '1' }, v: { S: 'one' } },
      { pk: { S: 'cli' }, sk: { N: '2' }, v: { S: 'two' }, tags: { SS: ['x', 'y'] } },
      { pk: { S: 'cli' }, sk: { N: '3' }, v: { S: 'three' }, price: { N: '3.50' } },
      { pk: { S: 'other' }, sk: { N: '1' }, v: { S: 'elsewhere' } },
    ];
    const puts = await Promise.all(items.map((item) => awsOk('put-item', '--table-name', TABLE, '--item', JSON.stringify(item))));
    expect(puts).toEqual(items.map(() => ({})));

    const got = await awsOk('get-item', '--table-name', TABLE, '--key', JSON.stringify({ pk: { S: 'cli' }, sk: { N: '3' } }), '--consistent-read');
    expect(got.Item).toEqual({ pk: { S: 'cli' }, sk: { N: '3' }, v: { S: 'three' }, price: { N: '3.5' } });

    const queried = await awsOk(
      'query',
      '--table-name', TABLE,
      '--key-condition-expression', 'pk = :p AND sk >= :s',
      '--expression-attribute-values', JSON.stringify({ ':p': { S: 'cli' }, ':s': { N: '2' } }),
      '--no-scan-index-forward',
      '--consistent-read',
    );
    expect(queried.Count).toBe(2);
    expect(queried.Items.map((item: any) => item.v.S)).toEqual(['three', 'two']);

    const scanned = await awsOk('scan', '--table-name', TABLE, '--consistent-read');
    expect(scanned.Count).toBe(4);
    expect(scanned.Items.map((item: any) => `${item.pk.S}/${item.sk.N}`).sort()).toEqual(['cli/1', 'cli/2', 'cli/3', 'other/1']);

    const updated = await awsOk(
      'update-item',
      '--table-name', TABLE,
      '--key', JSON.stringify({ pk: { S: 'cli' }, sk: { N: '1' } }),
      '--update-expression', 'SET v = :v, hits = :zero REMOVE nothing_here',
      '--expression-attribute-values', JSON.stringify({ ':v': { S: 'uno' }, ':zero': { N: '0' } }),
      '--return-values', 'ALL_NEW',
    );
    expect(updated.Attributes).toEqual({ pk: { S: 'cli' }, sk: { N: '1' }, v: { S: 'uno' }, hits: { N: '0' } });

    const deleted = await awsOk('delete-item', '--table-name', TABLE, '--key', JSON.stringify({ pk: { S: 'cli' }, sk: { N: '2' } }), '--return-values', 'ALL_OLD');
    expect(deleted.Attributes.v).toEqual({ S: 'two' });
    expect(deleted.Attributes.tags.SS.sort()).toEqual(['x', 'y']);
    const [gone, missing] = await Promise.all([
      awsOk('get-item', '--table-name', TABLE, '--key', JSON.stringify({ pk: { S: 'cli' }, sk: { N: '2' } }), '--consistent-read'),
      aws('get-item', '--table-name', 'no_such_table', '--key', JSON.stringify({ pk: { S: 'x' } })),
    ]);
    expect(gone).toEqual({});
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('ResourceNotFoundException');
    expect(tc.unexpectedExits).toEqual([]);
  });
});
