import { ValidationException } from '@triad/model';
import { tagsPage } from '../src/operations/list-tags-of-resource';
import { checkReservedKeys, checkTagContents, mergeTags, parseTableArn, removeTags } from '../src/operations/tag-resource';
import { applyUpdateTable, checkUpdateTable } from '../src/operations/update-table';
import type { TableDefinition } from '../src/catalog/table-definition';

const tags = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i) => ({ Key: `${prefix}${i}`, Value: `v${i}` }));

describe('tag validation', () => {
  test('accepts letters of any script, white space, digits and _ . : / = + - @', () => {
    expect(() => checkTagContents([{ Key: 'Owner name', Value: 'a.b_c:d/e=f+g-h@i' }, { Key: 'ключ', Value: '' }])).not.toThrow();
  });

  test('refuses other characters, naming the member', () => {
    expect(() => checkTagContents([{ Key: 'ok', Value: 'ok' }, { Key: 'bad*', Value: 'ok' }])).toThrow(
      /^1 validation error detected: Value 'bad\*' at 'tags\.2\.member\.key' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    );
  });

  test('refuses the reserved aws: prefix in any case', () => {
    expect(() => checkReservedKeys(['aws:cloudformation:stack-name'])).toThrow(ValidationException);
    expect(() => checkReservedKeys(['AWS:x'])).toThrow(ValidationException);
    expect(() => checkReservedKeys(['awsx', 'my:aws:'])).not.toThrow();
  });
});

describe('mergeTags / removeTags', () => {
  test('a key already present takes the new value in place', () => {
    expect(mergeTags([{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }], [{ Key: 'a', Value: '3' }, { Key: 'c', Value: '4' }])).toEqual([
      { Key: 'a', Value: '3' },
      { Key: 'b', Value: '2' },
      { Key: 'c', Value: '4' },
    ]);
  });

  test('50 tags are allowed, 51 are not; replacing values at the limit is fine', () => {
    const fifty = mergeTags([], tags(50));
    expect(fifty).toHaveLength(50);
    expect(() => mergeTags(fifty, [{ Key: 'k0', Value: 'new' }])).not.toThrow();
    expect(() => mergeTags(fifty, [{ Key: 'extra', Value: '' }])).toThrow(/exceeds the limit of 50/);
    expect(() => mergeTags([], tags(51))).toThrow(ValidationException);
  });

  test('removing keys ignores keys that are absent', () => {
    expect(removeTags(tags(3), ['k1', 'nope'])).toEqual([
      { Key: 'k0', Value: 'v0' },
      { Key: 'k2', Value: 'v2' },
    ]);
  });
});

describe('parseTableArn', () => {
  test('parses a table ARN', () => {
    expect(parseTableArn('arn:aws:dynamodb:us-east-1:000000000000:table/my-table')).toEqual({
      region: 'us-east-1',
      accountId: '000000000000',
      tableName: 'my-table',
    });
  });

  test.each(['arn:aws:dynamodb:us-east-1:000000000000:table/ab', 'arn:aws:dynamodb:us-east-1:0:table/t1/stream/x', 'arn:aws:s3:::bucket', 'table'])(
    'refuses %s',
    (arn) => expect(parseTableArn(arn)).toBeUndefined(),
  );
});

describe('tagsPage', () => {
  test('one page for up to 50 tags, no NextToken', () => {
    expect(tagsPage(tags(50), undefined)).toEqual({ Tags: tags(50) });
    expect(tagsPage([], undefined)).toEqual({ Tags: [] });
  });

  test('pages follow NextToken to the end', () => {
    const first = tagsPage(tags(5), undefined, 2);
    expect(first).toEqual({ Tags: tags(5).slice(0, 2), NextToken: '2' });
    expect(tagsPage(tags(5), '4', 2)).toEqual({ Tags: tags(5).slice(4) });
    expect(() => tagsPage(tags(5), 'junk')).toThrow(ValidationException);
  });
});

describe('UpdateTable', () => {
  const base: TableDefinition = {
    tableName: 't1',
    tableId: '0123456789abcdef',
    keySchema: { partitionKey: { name: 'pk', type: 'S' } },
    attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    billingMode: 'PROVISIONED',
    readCapacityUnits: 5,
    writeCapacityUnits: 5,
    creationDateTime: 100,
    tableStatus: 'ACTIVE',
  };

  test('needs something to change', () => {
    expect(() => checkUpdateTable({ TableName: 't1' })).toThrow(/^At least one of ProvisionedThroughput, BillingMode/);
  });

  test('unsupported features are refused', () => {
    expect(() => checkUpdateTable({ TableName: 't1', GlobalSecondaryIndexUpdates: [{}] })).toThrow('GlobalSecondaryIndexUpdate.Delete must not be null');
    expect(() => checkUpdateTable({ TableName: 't1', StreamSpecification: { StreamEnabled: true } })).toThrow('StreamSpecification is not supported');
  });

  test('PROVISIONED needs ProvisionedThroughput', () => {
    expect(() => checkUpdateTable({ TableName: 't1', BillingMode: 'PROVISIONED' })).toThrow(
      'One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED',
    );
  });

  test('unchanged throughput is refused with the current values', () => {
    expect(() => applyUpdateTable(base, { TableName: 't1', ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } }, 200)).toThrow(
      /^The provisioned throughput for the table will not change\. The requested value equals the current value\. Current ReadCapacityUnits provisioned for the table: 5\. Requested ReadCapacityUnits: 5\./,
    );
  });

  test('throughput change records increase and decrease times', () => {
    const next = applyUpdateTable(base, { TableName: 't1', ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 1 } }, 200);
    expect(next).toMatchObject({ readCapacityUnits: 10, writeCapacityUnits: 1, lastIncreaseDateTime: 200, lastDecreaseDateTime: 200 });
  });

  test('switching modes both ways', () => {
    const onDemand = applyUpdateTable(base, { TableName: 't1', BillingMode: 'PAY_PER_REQUEST' }, 200);
    expect(onDemand).toMatchObject({ billingMode: 'PAY_PER_REQUEST', readCapacityUnits: 0, writeCapacityUnits: 0, lastUpdateToPayPerRequestDateTime: 200 });
    expect(() => applyUpdateTable(onDemand, { TableName: 't1', ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } }, 300)).toThrow(
      'Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST',
    );
    const back = applyUpdateTable(
      onDemand,
      { TableName: 't1', BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 4 } },
      300,
    );
    expect(back).toMatchObject({ billingMode: 'PROVISIONED', readCapacityUnits: 3, writeCapacityUnits: 4, lastUpdateToPayPerRequestDateTime: 200 });
  });

  test('deletion protection', () => {
    expect(applyUpdateTable(base, { TableName: 't1', DeletionProtectionEnabled: true }, 200).deletionProtectionEnabled).toBe(true);
  });
});
