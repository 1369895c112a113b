import { ValidationException } from '@triad/model';
import type { FieldSpec } from '../validation/request-schema';

/**
 * A table's server-side encryption setting (CreateTable's and UpdateTable's SSESpecification) as
 * DynamoDB models it: absent, the table is encrypted under the service's own key and
 * DescribeTable shows no SSEDescription; enabled, it names a KMS key (the AWS-managed
 * `alias/aws/dynamodb` unless one is given) and DescribeTable shows it.
 *
 * Triad has no KMS: its storage nodes seal every table's data alike, under the data keys of their
 * own key provider (`--master-key-file`; docs/security.md). The setting is recorded and reported
 * so that tools that set and check it work, and the key id is kept as given, never called.
 * (docs/compatibility.md.)
 */
export interface TableSse {
  sseType: 'KMS';
  /** As the request gave it (key id, key ARN, alias name or alias ARN); absent: the AWS-managed key. */
  kmsMasterKeyId?: string;
}

export interface SseSpecification {
  Enabled?: boolean;
  SSEType?: 'AES256' | 'KMS';
  KMSMasterKeyId?: string;
}

/** CreateTable's and UpdateTable's SSESpecification member. */
export const SSE_SPECIFICATION: FieldSpec = {
  type: {
    struct: {
      Enabled: { type: 'Boolean' },
      SSEType: { type: 'String', enumValues: ['AES256', 'KMS'] },
      KMSMasterKeyId: { type: 'String' },
    },
  },
};

/** The key DynamoDB uses for an enabled table that names none. */
export const AWS_MANAGED_KEY_ALIAS = 'alias/aws/dynamodb';

const invalid = (message: string) => new ValidationException(`One or more parameter values were invalid: ${message}`);

/**
 * Checks a specification as DynamoDB does and returns the table's setting: undefined for the
 * service's own key (Enabled false or absent), KMS otherwise.
 */
export function tableSseOf(spec: SseSpecification): TableSse | undefined {
  // Enabled absent is DynamoDB's "disabled": the service's own key.
  if (spec.Enabled !== true) {
    if (spec.SSEType !== undefined) throw invalid('SSEType can not be specified if Enabled is false');
    if (spec.KMSMasterKeyId !== undefined) throw invalid('KMSMasterKeyId can not be specified if Enabled is false');
    return undefined;
  }
  if (spec.SSEType === 'AES256') throw invalid('SSEType AES256 is not supported');
  if (spec.KMSMasterKeyId !== undefined && spec.SSEType !== 'KMS') throw invalid('SSEType KMS is required if KMSMasterKeyId is specified');
  return spec.KMSMasterKeyId !== undefined ? { sseType: 'KMS', kmsMasterKeyId: spec.KMSMasterKeyId } : { sseType: 'KMS' };
}

/** A KMS key as an ARN, however it was named (key id, alias name, or already an ARN). */
export function kmsKeyArn(keyId: string, region: string, accountId: string): string {
  if (keyId.startsWith('arn:')) return keyId;
  if (keyId.startsWith('alias/')) return `arn:aws:kms:${region}:${accountId}:${keyId}`;
  return `arn:aws:kms:${region}:${accountId}:key/${keyId}`;
}

/** DescribeTable's SSEDescription (only for a table with KMS encryption enabled, as in DynamoDB). */
export function describeSse(sse: TableSse | undefined, region: string, accountId: string): Record<string, unknown> | undefined {
  if (!sse) return undefined;
  return { Status: 'ENABLED', SSEType: sse.sseType, KMSMasterKeyArn: kmsKeyArn(sse.kmsMasterKeyId ?? AWS_MANAGED_KEY_ALIAS, region, accountId) };
}
