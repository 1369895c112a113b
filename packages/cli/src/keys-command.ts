import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { signedHeaders, type SigningCredentials } from './sigv4-sign';

/** The router's admin API for access keys (router/src/auth/admin-operations.ts). */
const ADMIN_TARGET_PREFIX = 'TriadAdmin_20261207.';

export const KEYS_USAGE = `usage: triad keys <create|list|enable|disable|delete|policy> [options]
  create --name NAME [--admin] [--json]   make a key; its secret is printed once, never again
  list [--json]                            every key: id, name, enabled, admin, created, source,
                                           policies, the master key its secret is sealed under
  disable ID | enable ID                   stop (or restart) a key signing requests
  delete ID                                remove a key
  policy put ID NAME FILE                  attach an IAM-style policy (JSON file, - for stdin) to a key;
                                           a key with policies may do only what they allow
  policy delete ID NAME                    detach a policy
  policy list ID                           a key's policies (name and document)
Options: --endpoint URL (default $TRIAD_ENDPOINT or http://localhost:8000), --region (default
$AWS_REGION or us-east-1). Signed with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the
environment: an admin key when the cluster enforces authentication.`;

interface KeyJson {
  AccessKeyId: string;
  Name: string;
  Enabled: boolean;
  Admin: boolean;
  CreatedAt: string;
  Source: string;
  PolicyNames?: string[];
  /** The master key the secret is sealed under (a fingerprint), and where it stands for the router that answered. */
  MasterKeyId?: string;
  MasterKey?: 'current' | 'previous' | 'unknown';
  SecretAccessKey?: string;
}

/** The MASTER KEY column: the id, and a word unless it is the router's current key (a rotation is done when none says previous). */
function masterKeyCell(k: KeyJson): string {
  if (!k.MasterKeyId) return '-';
  if (k.MasterKey === 'previous') return `${k.MasterKeyId} (previous)`;
  if (k.MasterKey === 'unknown') return `${k.MasterKeyId} (not held)`;
  return k.MasterKeyId;
}

/** Runs `triad keys ...`; returns the exit code. */
export async function keysCommand(args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      endpoint: { type: 'string', default: process.env.TRIAD_ENDPOINT ?? 'http://localhost:8000' },
      region: { type: 'string', default: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1' },
      name: { type: 'string' },
      admin: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const [action, id] = positionals;
  const credentials: SigningCredentials = {
    // Open mode takes any credentials: a placeholder lets `triad keys` work there without setup.
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'triad-cli',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'triad-cli',
  };
  const call = (op: string, body: Record<string, unknown>) => adminCall(new URL(values.endpoint!), op, body, credentials, values.region!);
  switch (action) {
    case 'create': {
      if (!values.name) {
        err('keys create needs --name NAME');
        return 2;
      }
      const reply = (await call('CreateAccessKey', { Name: values.name, Admin: values.admin })) as { AccessKey: KeyJson };
      const key = reply.AccessKey;
      if (values.json) out(JSON.stringify(key));
      else {
        out(`AccessKeyId:     ${key.AccessKeyId}`);
        out(`SecretAccessKey: ${key.SecretAccessKey}`);
        out(`Name: ${key.Name}${key.Admin ? ' (admin)' : ''}`);
        out('The secret is shown only now: keep it (e.g. as AWS_SECRET_ACCESS_KEY).');
      }
      return 0;
    }
    case 'list': {
      const reply = (await call('ListAccessKeys', {})) as { AccessKeys: KeyJson[] };
      if (values.json) out(JSON.stringify(reply.AccessKeys));
      else out(formatKeys(reply.AccessKeys));
      return 0;
    }
    case 'enable':
    case 'disable':
    case 'delete': {
      if (!id) {
        err(`keys ${action} needs the access key id`);
        return 2;
      }
      if (action === 'delete') await call('DeleteAccessKey', { AccessKeyId: id });
      else await call('UpdateAccessKey', { AccessKeyId: id, Enabled: action === 'enable' });
      out(`${id} ${action}d`);
      return 0;
    }
    case 'policy':
      return policyCommand(positionals.slice(1), call, values.json === true, out, err);
    default:
      err(KEYS_USAGE);
      return 2;
  }
}

type AdminCall = (op: string, body: Record<string, unknown>) => Promise<unknown>;

/** `triad keys policy put|delete|list`: IAM-style identity policies on a key. */
async function policyCommand(args: string[], call: AdminCall, json: boolean, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const [action, id, name, file] = args;
  if (action === 'put' && id && name && file) {
    const document = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
    await call('PutKeyPolicy', { AccessKeyId: id, PolicyName: name, PolicyDocument: document });
    out(`policy ${name} attached to ${id}`);
    return 0;
  }
  if (action === 'delete' && id && name) {
    await call('DeleteKeyPolicy', { AccessKeyId: id, PolicyName: name });
    out(`policy ${name} detached from ${id}`);
    return 0;
  }
  if (action === 'list' && id) {
    const reply = (await call('ListKeyPolicies', { AccessKeyId: id })) as { Policies: { PolicyName: string; PolicyDocument: string }[] };
    if (json) out(JSON.stringify(reply.Policies));
    else if (reply.Policies.length === 0) out(`${id} has no policies: it may use every DynamoDB operation`);
    else for (const p of reply.Policies) out(`# ${p.PolicyName}\n${p.PolicyDocument.trim()}`);
    return 0;
  }
  err(KEYS_USAGE);
  return 2;
}

/** `triad keys list` as a table. */
export function formatKeys(keys: KeyJson[]): string {
  if (keys.length === 0) return 'no access keys';
  const rows = [
    ['ACCESS KEY ID', 'NAME', 'STATE', 'ADMIN', 'CREATED', 'SOURCE', 'POLICIES', 'MASTER KEY'],
    ...keys.map((k) => [
      k.AccessKeyId,
      k.Name,
      k.Enabled ? 'enabled' : 'disabled',
      k.Admin ? 'yes' : 'no',
      k.CreatedAt,
      k.Source,
      (k.PolicyNames ?? []).join(',') || '-',
      masterKeyCell(k),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

async function adminCall(endpoint: URL, op: string, body: Record<string, unknown>, credentials: SigningCredentials, region: string): Promise<unknown> {
  const text = JSON.stringify(body);
  const target = `${ADMIN_TARGET_PREFIX}${op}`;
  const response = await fetch(new URL('/', endpoint), { method: 'POST', headers: signedHeaders(endpoint, target, text, credentials, region, Date.now()), body: text });
  const reply = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const type = String(reply.__type ?? `HTTP ${response.status}`);
    throw new Error(`${type.slice(type.indexOf('#') + 1)}: ${String(reply.message ?? reply.Message ?? '')}`);
  }
  return reply;
}
