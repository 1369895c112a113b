import fs from 'node:fs';
import type { Logger } from '@triad/observability';
import { DynamoDbError } from '@triad/model';
import { sleep, type Environment, type TimerHandle } from '@triad/runtime';
import type { Registry } from 'prom-client';
import type { StorageClient } from '../cluster/storage-client';
import type { Operation } from '../operations/operation';
import { AccessKeyStore } from './access-key-store';
import { createAdminOperations } from './admin-operations';
import { parseAuditTableFilter } from './audit-event';
import { AuditLog } from './audit-log';
import { createAuthMetrics } from './auth-metrics';
import { CREDENTIALS_FILE_CHECK_MS } from './auth-limits';
import type { AuthMode } from './auth-mode';
import { EnforcingAuthenticator, OpenAuthenticator, type Authenticator } from './authenticator';
import { parseCredentials, type SeedCredential } from './credentials-file';
import { parseMasterKey } from '@triad/encryption';
import { MasterKeySealer } from './master-key-sealer';
import { SEAL_STATES } from './master-key-rotation';

/** Attempts to read the access keys at start (200 ms apart: a minute) before the router gives up. */
const AUTH_START_ATTEMPTS_MAX = 300;
const AUTH_START_RETRY_MS = 200;

/** The router's authentication settings (flags and environment, see main.ts). */
export interface AuthSettings {
  mode: AuthMode;
  /** A file of 32 bytes (64 hex digits or base64) sealing access keys' secrets; required to enforce. */
  masterKeyFile?: string;
  /**
   * Older master key files (`--previous-master-key-file`, during a rotation): they open secrets
   * sealed under them, never seal; each router re-seals what it finds under them with the current key.
   */
  previousMasterKeyFiles?: readonly string[];
  /** Keys to seed: a file of `ACCESS_KEY_ID SECRET_ACCESS_KEY [admin]` lines (a mounted Kubernetes Secret). */
  credentialsFile?: string;
  /** The same lines from the environment (TRIAD_CREDENTIALS). */
  credentialsText?: string;
  /** Where audit lines go; no audit log when absent. */
  auditLogFile?: string;
  /** Comma-separated tables to audit (default: all) and to leave out. */
  auditTables?: string;
  auditSkipTables?: string;
}

export interface AuthComponents {
  storage: StorageClient;
  log: Logger;
  env: Environment;
  registry: Registry;
  /** The region signatures must be scoped to. */
  region: string;
}

export interface RouterAuth {
  authenticator: Authenticator;
  adminOperations: Map<string, Operation>;
  audit?: AuditLog;
  keys: AccessKeyStore;
  stop(): Promise<void>;
}

function readSecretFile(file: string, log: Logger, what: string): string {
  const stat = fs.statSync(file);
  // A key file anyone can read is a key anyone has: say so (Kubernetes mounts Secrets 0644 unless told; the chart says 0440).
  if ((stat.mode & 0o007) !== 0) log.warn(`the ${what} can be read by every user of this machine; chmod 600 (or 440 for a group) it`, { file });
  return fs.readFileSync(file, 'utf8');
}

/**
 * Builds the router's authentication from its settings, once the catalog can be read: opens the
 * master key, loads the access keys, seeds the operator's, opens the audit log. Throws (the router
 * then exits) when enforce mode lacks what it needs.
 */
export async function startAuth(settings: AuthSettings, c: AuthComponents): Promise<RouterAuth> {
  if (settings.mode === 'enforce' && !settings.masterKeyFile) {
    throw new Error('--auth enforce needs --master-key-file (32 random bytes as 64 hex digits: `openssl rand -hex 32 > master.key`), which seals the access keys\' secrets');
  }
  const previousFiles = settings.previousMasterKeyFiles ?? [];
  if (previousFiles.length > 0 && !settings.masterKeyFile) throw new Error('--previous-master-key-file needs --master-key-file: the current key seals, previous ones only open');
  const sealer = settings.masterKeyFile
    ? new MasterKeySealer(
        parseMasterKey(readSecretFile(settings.masterKeyFile, c.log, 'master key file')),
        previousFiles.map((file) => parseMasterKey(readSecretFile(file, c.log, 'previous master key file'))),
      )
    : undefined;
  const metrics = createAuthMetrics(c.registry);
  const keys = new AccessKeyStore(c.storage, sealer, c.log, c.env);
  const authenticator = settings.mode === 'enforce' ? new EnforcingAuthenticator(keys, c.region, c.env) : new OpenAuthenticator();
  if (authenticator instanceof EnforcingAuthenticator) keys.onChange = (id) => authenticator.signingKeys.forget(id);
  const seeds: SeedCredential[] = [];
  if (settings.credentialsFile) seeds.push(...parseCredentials(readSecretFile(settings.credentialsFile, c.log, 'credentials file'), settings.credentialsFile));
  if (settings.credentialsText) seeds.push(...parseCredentials(settings.credentialsText, 'TRIAD_CREDENTIALS'));
  if (seeds.length > 0 && !sealer) throw new Error('seeding access keys (--credentials, TRIAD_CREDENTIALS) needs --master-key-file to seal their secrets');
  // The system partition may still be electing its leader while the cluster starts: retry a while.
  for (let attempt = 1; ; attempt++) {
    try {
      await keys.refresh();
      if (seeds.length > 0) {
        const { created, updated } = await keys.seed(seeds);
        c.log.info('access keys seeded', { keys: seeds.length, created, updated });
      }
      break;
    } catch (error) {
      // A bad seed (ValidationException) will not get better; anything else may be the cluster starting.
      if (attempt >= AUTH_START_ATTEMPTS_MAX || (error instanceof DynamoDbError && !error.retriable)) throw error;
      c.log.info('waiting for the system partition to load access keys', { error: String(error) });
      await sleep(c.env, AUTH_START_RETRY_MS);
    }
  }
  keys.startRefreshing();
  const reseed = settings.credentialsFile ? watchCredentialsFile(settings.credentialsFile, keys, c) : undefined;
  const updateGauge = () => {
    const all = keys.list();
    metrics.accessKeys.set({ state: 'enabled' }, all.filter((k) => k.enabled).length);
    metrics.accessKeys.set({ state: 'disabled' }, all.filter((k) => !k.enabled).length);
    const sealed = keys.sealStateCounts();
    for (const state of SEAL_STATES) metrics.accessKeySecrets.set({ master_key: state }, sealed[state]);
  };
  updateGauge();
  const gaugeTimer = c.env.setInterval(updateGauge, 10_000);
  gaugeTimer.unref();
  if (settings.mode === 'enforce' && keys.list().filter((k) => k.enabled).length === 0) {
    c.log.warn('auth is enforced and the catalog holds no enabled access key: every request will be refused (seed keys with --credentials)');
  }
  const audit = settings.auditLogFile
    ? new AuditLog(settings.auditLogFile, parseAuditTableFilter(settings.auditTables, settings.auditSkipTables), c.log, {
        written: metrics.auditWritten,
        dropped: metrics.auditDropped,
      })
    : undefined;
  c.log.info('authentication', {
    mode: settings.mode,
    accessKeys: keys.list().length,
    masterKey: sealer?.keyId ?? 'none',
    ...(sealer && sealer.previousKeyIds.length > 0 ? { previousMasterKeys: sealer.previousKeyIds, secretsUnderPrevious: keys.sealStateCounts().previous } : {}),
    auditLog: settings.auditLogFile ?? 'off',
  });
  return {
    authenticator,
    adminOperations: createAdminOperations(keys),
    audit,
    keys,
    async stop() {
      keys.stop();
      c.env.clearInterval(gaugeTimer);
      c.env.clearInterval(reseed);
      await audit?.close();
    },
  };
}

/**
 * Seeds the credentials file again whenever it changes (a rotated Kubernetes Secret is rewritten in
 * place): new keys are created and changed secrets replaced without a restart. A file that cannot
 * be read or parsed is logged and left for the next change.
 */
function watchCredentialsFile(file: string, keys: AccessKeyStore, c: AuthComponents): TimerHandle {
  const stamp = () => {
    const stat = fs.statSync(file);
    return `${stat.mtimeMs}/${stat.size}/${stat.ino}`;
  };
  let seen = stamp();
  let busy = false;
  const timer = c.env.setInterval(() => {
    if (busy) return;
    let now: string;
    try {
      now = stamp();
    } catch (error) {
      c.log.warn('the credentials file cannot be read', { file, error: String(error) });
      return;
    }
    if (now === seen) return;
    busy = true;
    Promise.resolve()
      .then(() => keys.seed(parseCredentials(fs.readFileSync(file, 'utf8'), file)))
      .then(({ created, updated }) => {
        seen = now;
        c.log.info('credentials file changed: access keys seeded again', { file, created, updated });
      })
      .catch((error: unknown) => c.log.warn('the changed credentials file could not be seeded; will retry', { file, error: String(error) }))
      .finally(() => (busy = false));
  }, CREDENTIALS_FILE_CHECK_MS);
  timer.unref();
  return timer;
}
