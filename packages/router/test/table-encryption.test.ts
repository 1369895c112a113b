import { ValidationException } from '@triad/model';
import { describeSse, kmsKeyArn, tableSseOf } from '../src/catalog/table-encryption';
import { checkUpdateTable } from '../src/operations/update-table';

const PREFIX = 'One or more parameter values were invalid: ';

describe('SSESpecification', () => {
  test.each([
    [{ Enabled: false, SSEType: 'KMS' as const }, 'SSEType can not be specified if Enabled is false'],
    [{ SSEType: 'KMS' as const }, 'SSEType can not be specified if Enabled is false'],
    [{ Enabled: false, KMSMasterKeyId: 'k' }, 'KMSMasterKeyId can not be specified if Enabled is false'],
    [{ Enabled: true, SSEType: 'AES256' as const }, 'SSEType AES256 is not supported'],
    [{ Enabled: true, KMSMasterKeyId: 'k' }, 'SSEType KMS is required if KMSMasterKeyId is specified'],
  ])('%j is refused as DynamoDB refuses it', (spec, message) => {
    expect(() => tableSseOf(spec)).toThrow(new ValidationException(PREFIX + message));
    try {
      tableSseOf(spec);
    } catch (error) {
      expect((error as Error).message).toBe(PREFIX + message);
    }
  });

  test('disabled or empty: the service key, no SSEDescription', () => {
    expect(tableSseOf({})).toBeUndefined();
    expect(tableSseOf({ Enabled: false })).toBeUndefined();
    expect(describeSse(undefined, 'us-east-1', '000000000000')).toBeUndefined();
  });

  test('enabled: KMS with the AWS-managed key unless one is named; reported as an ARN', () => {
    expect(tableSseOf({ Enabled: true })).toEqual({ sseType: 'KMS' });
    expect(tableSseOf({ Enabled: true, SSEType: 'KMS' })).toEqual({ sseType: 'KMS' });
    expect(describeSse({ sseType: 'KMS' }, 'eu-west-1', '123')).toEqual({ Status: 'ENABLED', SSEType: 'KMS', KMSMasterKeyArn: 'arn:aws:kms:eu-west-1:123:alias/aws/dynamodb' });
    const sse = tableSseOf({ Enabled: true, SSEType: 'KMS', KMSMasterKeyId: '1234abcd-12ab' })!;
    expect(describeSse(sse, 'eu-west-1', '123')!.KMSMasterKeyArn).toBe('arn:aws:kms:eu-west-1:123:key/1234abcd-12ab');
    expect(kmsKeyArn('alias/mine', 'r', 'a')).toBe('arn:aws:kms:r:a:alias/mine');
    expect(kmsKeyArn('arn:aws:kms:r:a:key/x', 'other', 'b')).toBe('arn:aws:kms:r:a:key/x');
  });

  test('UpdateTable: an SSE change must be the only change', () => {
    const message = `${PREFIX}Server-Side Encryption modification must be the only operation in the request`;
    expect(() => checkUpdateTable({ TableName: 't', SSESpecification: { Enabled: true }, DeletionProtectionEnabled: false })).toThrow(message);
    expect(() => checkUpdateTable({ TableName: 't', SSESpecification: { Enabled: true }, BillingMode: 'PAY_PER_REQUEST' })).toThrow(message);
    expect(() => checkUpdateTable({ TableName: 't', SSESpecification: { Enabled: true } })).not.toThrow();
    expect(() => checkUpdateTable({ TableName: 't', SSESpecification: { Enabled: true, SSEType: 'AES256' } })).toThrow(`${PREFIX}SSEType AES256 is not supported`);
  });
});
