import { AccessDeniedException, ResourceNotFoundException, ValidationException } from '@triad/model';
import type { Operation } from '../operations/operation';
import { newAccessKeyId, newSecretAccessKey, publicInfo, type AccessKeyRecord } from './access-key';
import type { AccessKeyStore } from './access-key-store';
import { sealedKeyId } from './master-key-rotation';

/**
 * Triad's own API for access keys (`npx triad keys`), beside DynamoDB's on the same endpoint:
 * `X-Amz-Target: TriadAdmin_20261207.<Op>`, JSON 1.0, signed like any request. Only an admin key
 * may call it (in open mode everyone is admin: open mode protects nothing).
 */
export const ADMIN_TARGET_PREFIX = 'TriadAdmin_20261207.';

function requireAdmin(context: Parameters<Operation>[1]): void {
  const principal = context.principal;
  if (principal && !principal.admin) {
    throw new AccessDeniedException(
      `User: ${principal.name} (access key ${principal.accessKeyId}) is not authorized to manage access keys: only an admin key may`,
    );
  }
}

function stringField(request: Record<string, unknown>, name: string, required: true): string;
function stringField(request: Record<string, unknown>, name: string, required: false): string | undefined;
function stringField(request: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = request[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string') throw new ValidationException(`${name} must be a string`);
  return value;
}

/**
 * The JSON shape of a key in answers (AWS-style capitalised names). MasterKeyId names the master
 * key its secret is sealed under (a fingerprint) and MasterKey where that stands for the answering
 * router (current, previous: a rotation will re-seal it, unknown: this router cannot open it).
 */
function shown(record: AccessKeyRecord, keys: AccessKeyStore): Record<string, unknown> {
  const info = publicInfo(record);
  return {
    AccessKeyId: info.accessKeyId,
    Name: info.name,
    Enabled: info.enabled,
    Admin: info.admin,
    CreatedAt: info.createdAt,
    Source: info.source,
    PolicyNames: (info.policies ?? []).map((p) => p.name),
    MasterKeyId: sealedKeyId(record.sealedSecret) ?? '',
    MasterKey: keys.sealStateOf(record),
  };
}

/** The admin operations by full X-Amz-Target. */
export function createAdminOperations(keys: AccessKeyStore): Map<string, Operation> {
  const ops = new Map<string, Operation>();
  ops.set(`${ADMIN_TARGET_PREFIX}CreateAccessKey`, async (request, context) => {
    requireAdmin(context);
    const admin = request.Admin ?? false;
    if (typeof admin !== 'boolean') throw new ValidationException('Admin must be a boolean');
    const accessKeyId = stringField(request, 'AccessKeyId', false) ?? newAccessKeyId();
    const secret = stringField(request, 'SecretAccessKey', false) ?? newSecretAccessKey();
    const name = stringField(request, 'Name', true);
    const record = await keys.create({ accessKeyId, secret, name, admin, source: 'api' });
    context.log.info('access key created', { accessKeyId, name, admin, by: context.principal?.accessKeyId });
    // The only time the secret leaves the cluster: it is stored sealed and never shown again.
    return { AccessKey: { ...shown(record, keys), SecretAccessKey: secret } };
  });
  ops.set(`${ADMIN_TARGET_PREFIX}ListAccessKeys`, async (_request, context) => {
    requireAdmin(context);
    await keys.refresh();
    return { AccessKeys: keys.list().map((record) => shown(record, keys)) };
  });
  ops.set(`${ADMIN_TARGET_PREFIX}UpdateAccessKey`, async (request, context) => {
    requireAdmin(context);
    const accessKeyId = stringField(request, 'AccessKeyId', true);
    if (typeof request.Enabled !== 'boolean') throw new ValidationException('Enabled must be a boolean');
    const record = await keys.setEnabled(accessKeyId, request.Enabled);
    context.log.info(request.Enabled ? 'access key enabled' : 'access key disabled', { accessKeyId, by: context.principal?.accessKeyId });
    return { AccessKey: shown(record, keys) };
  });
  ops.set(`${ADMIN_TARGET_PREFIX}DeleteAccessKey`, async (request, context) => {
    requireAdmin(context);
    const accessKeyId = stringField(request, 'AccessKeyId', true);
    await keys.delete(accessKeyId);
    context.log.info('access key deleted', { accessKeyId, by: context.principal?.accessKeyId });
    return {};
  });
  // IAM-style identity policies on a key, as IAM's PutUserPolicy / DeleteUserPolicy / ListUserPolicies.
  ops.set(`${ADMIN_TARGET_PREFIX}PutKeyPolicy`, async (request, context) => {
    requireAdmin(context);
    const accessKeyId = stringField(request, 'AccessKeyId', true);
    const policyName = stringField(request, 'PolicyName', true);
    const record = await keys.putPolicy(accessKeyId, policyName, stringField(request, 'PolicyDocument', true));
    context.log.info('access key policy attached', { accessKeyId, policyName, by: context.principal?.accessKeyId });
    return { AccessKey: shown(record, keys) };
  });
  ops.set(`${ADMIN_TARGET_PREFIX}DeleteKeyPolicy`, async (request, context) => {
    requireAdmin(context);
    const accessKeyId = stringField(request, 'AccessKeyId', true);
    const policyName = stringField(request, 'PolicyName', true);
    const record = await keys.deletePolicy(accessKeyId, policyName);
    context.log.info('access key policy detached', { accessKeyId, policyName, by: context.principal?.accessKeyId });
    return { AccessKey: shown(record, keys) };
  });
  ops.set(`${ADMIN_TARGET_PREFIX}ListKeyPolicies`, async (request, context) => {
    requireAdmin(context);
    const accessKeyId = stringField(request, 'AccessKeyId', true);
    await keys.refresh();
    const record = keys.list().find((k) => k.accessKeyId === accessKeyId);
    if (!record) throw new ResourceNotFoundException(`Access key not found: ${accessKeyId}`);
    return { Policies: (record.policies ?? []).map((p) => ({ PolicyName: p.name, PolicyDocument: p.document })) };
  });
  return ops;
}
