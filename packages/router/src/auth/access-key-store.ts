import {
  DynamoDbError,
  LimitExceededException,
  ResourceInUseException,
  ResourceNotFoundException,
  ValidationException,
  createExpressionContext,
  dynamoDbErrorFromName,
  encodeKeyValue,
  parseCondition,
} from '@triad/model';
import { decodeJson, encodeJson, type ItemOp, type OpResultBody } from '@triad/rpc';
import { parsePolicyDocument, PolicyError, type PolicyDocument } from '@triad/iam';
import type { Logger } from '@triad/observability';
import type { Environment, TimerHandle } from '@triad/runtime';
import type { StorageClient } from '../cluster/storage-client';
import { checkAccessKeyId, checkName, checkSecret, type AccessKeyRecord } from './access-key';
import { ACCESS_KEYS_COUNT_MAX, ACCESS_KEYS_REFRESH_MS, KEY_POLICIES_MAX, POLICY_NAME_PATTERN, RESEALS_PER_REFRESH_MAX } from './auth-limits';
import type { SeedCredential } from './credentials-file';
import { countBySealState, sealState, secretsToReseal, type SealState } from './master-key-rotation';
import type { SecretSealer } from './secret-sealer';
import type { VerificationKey } from './verify-signature';

/**
 * The access keys' own "table id" in the system partition: the catalog's table definitions live
 * under eight zero bytes, the keys just after them (user tables are never in this partition).
 */
const ACCESS_KEYS_TABLE_ID = Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]);
const ACCESS_KEYS_END = Buffer.from([0, 0, 0, 0, 0, 0, 0, 2]);
/** Entries are items { id: S, record: S(JSON of AccessKeyRecord) }. */
const ID_ATTRIBUTE = 'id';

const ifAbsent = () => parseCondition('ConditionExpression', 'attribute_not_exists(#i)', createExpressionContext({ '#i': ID_ATTRIBUTE }));
const ifPresent = () => parseCondition('ConditionExpression', 'attribute_exists(#i)', createExpressionContext({ '#i': ID_ATTRIBUTE }));
const ifUnchanged = (before: AccessKeyRecord) =>
  parseCondition('ConditionExpression', '#r = :before', createExpressionContext({ '#r': 'record' }, { ':before': { S: JSON.stringify(before) } }));

interface Cached {
  record: AccessKeyRecord;
  /** The opened secret; undefined when it could not be opened (no master key, or another one). */
  secret?: string;
  /** The key's policies, parsed (empty: none attached). */
  policies: readonly PolicyDocument[];
  /** What `find` hands verification, made on first use (an entry is replaced whenever its record changes). */
  verification?: VerificationKey;
}

/** Stands in for a stored policy that no longer parses: it allows nothing, so the key fails closed. */
const DENY_EVERYTHING: PolicyDocument = { version: '2012-10-17', statements: [{ effect: 'Deny', actions: ['*'], resources: ['*'], conditions: [] }] };

/**
 * Access keys, kept in the cluster's system partition beside the table definitions and written
 * with strong consistency through its leader; secrets sealed under the master key. Every router
 * holds all keys in memory (opened), re-read every ACCESS_KEYS_REFRESH_MS, so verification never
 * waits for storage and an unknown key costs no storage read (a flood of made-up keys stays cheap).
 */
export class AccessKeyStore {
  private cache = new Map<string, Cached>();
  private timer?: TimerHandle;
  private refreshing?: Promise<void>;
  /** Keys whose secret could not be opened, already logged (logged once, not every refresh). */
  private readonly unopenable = new Set<string>();
  /** Keys whose secret this router re-sealed under the current master key, already logged. */
  private readonly resealed = new Set<string>();
  /** Whether "no secret left under a previous master key" was logged (once per rotation). */
  private rotationDoneLogged = false;
  /** Called with a key's id when its secret or state changed (the signing key cache forgets it). */
  onChange?: (accessKeyId: string) => void;

  constructor(
    private readonly storage: StorageClient,
    /** Undefined without a master key: keys can be listed, disabled and deleted, not created or used. */
    private readonly sealer: SecretSealer | undefined,
    private readonly log: Logger,
    private readonly env: Environment,
  ) {}

  /** Re-reads the keys every ACCESS_KEYS_REFRESH_MS from now on (after a first `refresh()`). */
  startRefreshing(): void {
    this.timer = this.env.setInterval(() => {
      this.refreshing ??= this.refresh()
        .catch((error: unknown) => {
          this.log.warn('access key refresh failed', { error: String(error) });
        })
        .finally(() => (this.refreshing = undefined));
    }, ACCESS_KEYS_REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    this.env.clearInterval(this.timer);
  }

  /** The key as verification needs it (secret opened), from memory. */
  find(accessKeyId: string): VerificationKey | undefined {
    const cached = this.cache.get(accessKeyId);
    if (!cached || cached.secret === undefined) return undefined;
    const { record } = cached;
    cached.verification ??= Object.freeze({ accessKeyId, secret: cached.secret, name: record.name, enabled: record.enabled, admin: record.admin });
    return cached.verification;
  }

  /**
   * The identity policies attached to a key (from memory): empty when none is attached (the key
   * may use every DynamoDB operation), undefined for an unknown key.
   */
  policiesOf(accessKeyId: string): readonly PolicyDocument[] | undefined {
    return this.cache.get(accessKeyId)?.policies;
  }

  /** Every key, sorted by id (from memory). */
  list(): AccessKeyRecord[] {
    return [...this.cache.values()].map((c) => c.record).sort((a, b) => (a.accessKeyId < b.accessKeyId ? -1 : 1));
  }

  /** Reads every key from the system partition's leader. */
  async refresh(): Promise<void> {
    const next = new Map<string, Cached>();
    let start: Buffer = ACCESS_KEYS_TABLE_ID;
    let startExclusive = false;
    for (;;) {
      const reply = await this.storage.readRange(
        [{ partition: this.storage.systemPartition, start, startExclusive, end: ACCESS_KEYS_END, endInclusive: false }],
        { consistent: true, reverse: false, limit: 0, byteLimit: 1024 * 1024 },
      );
      for (const entry of reply.items) {
        const record = decodeRecord(entry.item);
        next.set(record.accessKeyId, this.opened(record));
      }
      if (reply.exhausted || reply.items.length === 0) break;
      start = reply.items[reply.items.length - 1].key;
      startExclusive = true;
    }
    for (const [id, before] of this.cache) {
      const after = next.get(id);
      if (!after || after.record.sealedSecret !== before.record.sealedSecret || after.record.enabled !== before.record.enabled) this.onChange?.(id);
    }
    this.cache = next;
    await this.resealUnderCurrentKey();
  }

  /** Where a key's secret stands against this router's master keys (current, previous, or one it does not hold). */
  sealStateOf(record: AccessKeyRecord): SealState {
    return sealState(record.sealedSecret, this.sealer);
  }

  /** How many secrets stand in each state (from memory): a rotation is done when `previous` is 0. */
  sealStateCounts(): Record<SealState, number> {
    return countBySealState([...this.cache.values()].map((c) => c.record.sealedSecret), this.sealer);
  }

  /**
   * During a master key rotation: re-seals secrets found under a previous master key under the
   * current one and writes them back on condition that the stored record is unchanged, so a
   * concurrent change (another router re-sealing, a key disabled or re-seeded) is never
   * overwritten. A lost race is fine: the next refresh reads the winner. The secret itself is
   * unchanged, so nothing is forgotten from the signing key cache.
   */
  private async resealUnderCurrentKey(): Promise<void> {
    const sealer = this.sealer;
    if (!sealer || sealer.previousKeyIds.length === 0) return;
    const candidates = [...this.cache.values()].map((c) => ({ accessKeyId: c.record.accessKeyId, sealedSecret: c.record.sealedSecret, opened: c.secret !== undefined, cached: c }));
    for (const { cached } of secretsToReseal(candidates, sealer, RESEALS_PER_REFRESH_MAX)) {
      const before = cached.record;
      const after: AccessKeyRecord = { ...before, sealedSecret: sealer.seal(Buffer.from(cached.secret!, 'utf8'), before.accessKeyId) };
      try {
        await this.put(after, ifUnchanged(before));
      } catch (error) {
        if (error instanceof DynamoDbError && error.name === 'ConditionalCheckFailedException') {
          this.log.debug('an access key changed while its secret was being re-sealed; the next refresh reads it', { accessKeyId: before.accessKeyId });
          continue;
        }
        // Storage trouble: the next refresh tries again.
        this.log.warn('re-sealing access keys\' secrets under the current master key failed; will retry', { accessKeyId: before.accessKeyId, error: String(error) });
        return;
      }
      // Unless a refresh meanwhile read something newer, remember what was written.
      if (this.cache.get(before.accessKeyId)?.record === before) this.cache.set(before.accessKeyId, { ...cached, record: after, verification: undefined });
      if (!this.resealed.has(before.accessKeyId)) {
        this.resealed.add(before.accessKeyId);
        this.log.info('access key secret re-sealed under the current master key', {
          accessKeyId: before.accessKeyId,
          from: sealer.sealedKeyId(before.sealedSecret),
          to: sealer.keyId,
        });
      }
    }
    const counts = this.sealStateCounts();
    if (counts.previous === 0 && !this.rotationDoneLogged) {
      this.rotationDoneLogged = true;
      this.log.info('no access key secret is left under a previous master key: once every router says so, --previous-master-key-file can be dropped', {
        masterKey: sealer.keyId,
        previous: sealer.previousKeyIds,
        keys: counts.current,
        unopenable: counts.unknown,
      });
    }
  }

  /** A record with its secret opened, reusing the opened secret when the sealed one is unchanged. */
  private opened(record: AccessKeyRecord): Cached {
    const known = this.cache.get(record.accessKeyId);
    const policies = known && samePolicies(known.record, record) ? known.policies : this.parsedPolicies(record);
    if (known && known.record.sealedSecret === record.sealedSecret) return { record, secret: known.secret, policies };
    if (!this.sealer) return { record, policies };
    try {
      return { record, secret: this.sealer.open(record.sealedSecret, record.accessKeyId).toString('utf8'), policies };
    } catch (error) {
      // A router not yet restarted during a rolling master key rotation, after a restarted one
      // re-sealed the secret under the new key: re-sealing keeps the secret, so keep the one opened
      // before rather than refuse the key until this router restarts. (A secret re-seeded with a new
      // value through a restarted router at that moment counts here only after the restart.)
      if (known?.secret !== undefined && this.sealStateOf(record) === 'unknown') {
        if (!this.unopenable.has(record.sealedSecret)) {
          this.unopenable.add(record.sealedSecret);
          this.log.warn('an access key\'s secret was re-sealed under a master key this router does not hold: it keeps the secret it opened until restarted with that key', {
            accessKeyId: record.accessKeyId,
            masterKey: this.sealer.sealedKeyId(record.sealedSecret),
          });
        }
        return { record, secret: known.secret, policies };
      }
      if (!this.unopenable.has(record.sealedSecret)) {
        this.unopenable.add(record.sealedSecret);
        this.log.error('an access key\'s secret cannot be opened with this router\'s master key; the key cannot sign in here', {
          accessKeyId: record.accessKeyId,
          error: String(error),
        });
      }
      return { record, policies };
    }
  }

  private parsedPolicies(record: AccessKeyRecord): readonly PolicyDocument[] {
    return (record.policies ?? []).map((attached) => {
      try {
        return parsePolicyDocument(attached.document);
      } catch (error) {
        this.log.error('an access key\'s stored policy does not parse: the key is denied everything until it is replaced', {
          accessKeyId: record.accessKeyId,
          policy: attached.name,
          error: String(error),
        });
        return DENY_EVERYTHING;
      }
    });
  }

  /** Attaches (or replaces) a named policy, as IAM's PutUserPolicy; MalformedPolicyDocument is a ValidationException. */
  async putPolicy(accessKeyId: string, name: string, document: string): Promise<AccessKeyRecord> {
    if (!POLICY_NAME_PATTERN.test(name)) throw new ValidationException(`PolicyName must be 1-128 characters of letters, digits and +=,.@_- (got '${name.slice(0, 128)}')`);
    try {
      parsePolicyDocument(document);
    } catch (error) {
      if (error instanceof PolicyError) throw new ValidationException(`MalformedPolicyDocument: ${error.message}`);
      throw error;
    }
    return this.modify(accessKeyId, (record) => {
      const others = (record.policies ?? []).filter((p) => p.name !== name);
      if (others.length >= KEY_POLICIES_MAX) throw new LimitExceededException(`An access key carries at most ${KEY_POLICIES_MAX} policies`);
      return { ...record, policies: [...others, { name, document }] };
    });
  }

  /** Detaches a named policy, as IAM's DeleteUserPolicy. */
  async deletePolicy(accessKeyId: string, name: string): Promise<AccessKeyRecord> {
    return this.modify(accessKeyId, (record) => {
      if (!(record.policies ?? []).some((p) => p.name === name)) throw new ResourceNotFoundException(`Access key ${accessKeyId} has no policy named ${name}`);
      return { ...record, policies: (record.policies ?? []).filter((p) => p.name !== name) };
    });
  }

  private key(accessKeyId: string): Buffer {
    return Buffer.concat([ACCESS_KEYS_TABLE_ID, encodeKeyValue('S', { S: accessKeyId })]);
  }

  private async run(op: Omit<ItemOp, 'partition'>): Promise<OpResultBody> {
    const result = await this.storage.execute({ ...op, partition: this.storage.systemPartition });
    if (result.errorName) throw dynamoDbErrorFromName(result.errorName, result.errorMessage);
    return decodeJson<OpResultBody>(result.body) ?? {};
  }

  private async read(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const result = await this.run({ key: this.key(accessKeyId), kind: 'OP_KIND_GET', body: encodeJson({}) });
    return result.item ? decodeRecord(Buffer.from(JSON.stringify(result.item))) : undefined;
  }

  private put(record: AccessKeyRecord, condition: unknown): Promise<OpResultBody> {
    return this.run({
      key: this.key(record.accessKeyId),
      kind: 'OP_KIND_PUT',
      body: encodeJson({ item: { [ID_ATTRIBUTE]: { S: record.accessKeyId }, record: { S: JSON.stringify(record) } }, condition }),
    });
  }

  private remember(record: AccessKeyRecord | undefined, accessKeyId: string): void {
    if (record) this.cache.set(accessKeyId, this.opened(record));
    else this.cache.delete(accessKeyId);
    this.onChange?.(accessKeyId);
  }

  private sealed(accessKeyId: string, secret: string): string {
    if (!this.sealer) {
      throw new ValidationException('This router has no master key to seal secrets with: start it with --master-key-file (see docs/security.md)');
    }
    return this.sealer.seal(Buffer.from(secret, 'utf8'), accessKeyId);
  }

  /** Adds a key; ResourceInUseException if the id is taken. */
  async create(key: { accessKeyId: string; secret: string; name: string; admin: boolean; source: AccessKeyRecord['source'] }): Promise<AccessKeyRecord> {
    checkAccessKeyId(key.accessKeyId);
    checkSecret(key.secret);
    checkName(key.name);
    if (this.cache.size >= ACCESS_KEYS_COUNT_MAX) throw new LimitExceededException(`A cluster holds at most ${ACCESS_KEYS_COUNT_MAX} access keys`);
    const record: AccessKeyRecord = {
      accessKeyId: key.accessKeyId,
      name: key.name,
      enabled: true,
      admin: key.admin,
      createdAt: new Date(this.env.nowMs()).toISOString(),
      source: key.source,
      sealedSecret: this.sealed(key.accessKeyId, key.secret),
    };
    try {
      await this.put(record, ifAbsent());
    } catch (error) {
      if (error instanceof DynamoDbError && error.name === 'ConditionalCheckFailedException') {
        throw new ResourceInUseException(`Access key already exists: ${key.accessKeyId}`);
      }
      throw error;
    }
    this.remember(record, record.accessKeyId);
    return record;
  }

  /** Enables or disables a key (compare-and-set against the stored record); returns it as written. */
  async setEnabled(accessKeyId: string, enabled: boolean): Promise<AccessKeyRecord> {
    return this.modify(accessKeyId, (record) => ({ ...record, enabled }));
  }

  private async modify(accessKeyId: string, change: (record: AccessKeyRecord) => AccessKeyRecord): Promise<AccessKeyRecord> {
    for (let attempt = 0; ; attempt++) {
      const before = await this.read(accessKeyId);
      if (!before) throw new ResourceNotFoundException(`Access key not found: ${accessKeyId}`);
      const after = change(before);
      try {
        await this.put(after, ifUnchanged(before));
        this.remember(after, accessKeyId);
        return after;
      } catch (error) {
        // Another router changed the key meanwhile: apply the change to what it wrote.
        if (!(error instanceof DynamoDbError && error.name === 'ConditionalCheckFailedException') || attempt >= 4) throw error;
      }
    }
  }

  async delete(accessKeyId: string): Promise<void> {
    try {
      await this.run({ key: this.key(accessKeyId), kind: 'OP_KIND_DELETE', body: encodeJson({ condition: ifPresent() }) });
    } catch (error) {
      if (error instanceof DynamoDbError && error.name === 'ConditionalCheckFailedException') {
        throw new ResourceNotFoundException(`Access key not found: ${accessKeyId}`);
      }
      throw error;
    }
    this.remember(undefined, accessKeyId);
  }

  /**
   * Makes the catalog hold the operator's keys: a missing one is created (enabled), one whose
   * secret or admin flag differs is updated (a rotated Kubernetes Secret); whether it is enabled
   * is left as `triad keys disable` set it. Routers seeding at once race harmlessly: the loser's
   * write fails its condition and the next attempt finds the key as wanted.
   */
  async seed(credentials: SeedCredential[]): Promise<{ created: number; updated: number }> {
    let created = 0;
    let updated = 0;
    for (const c of credentials) {
      checkAccessKeyId(c.accessKeyId);
      checkSecret(c.secret);
      let existing = await this.read(c.accessKeyId);
      if (!existing) {
        try {
          await this.create({ accessKeyId: c.accessKeyId, secret: c.secret, name: `seed:${c.accessKeyId}`, admin: c.admin, source: 'seed' });
          created++;
          continue;
        } catch (error) {
          if (!(error instanceof ResourceInUseException)) throw error;
        }
        // Another router seeded it at the same moment (routers start together): take its record as
        // below, so that this router knows the key when it reports ready, not a refresh later.
        existing = await this.read(c.accessKeyId);
        if (!existing) continue;
      }
      const opened = this.opened(existing).secret;
      if (opened === c.secret && existing.admin === c.admin) {
        this.remember(existing, c.accessKeyId);
        continue;
      }
      await this.modify(c.accessKeyId, (record) => ({ ...record, admin: c.admin, sealedSecret: this.sealed(c.accessKeyId, c.secret) }));
      updated++;
    }
    return { created, updated };
  }
}

function decodeRecord(itemJson: Buffer): AccessKeyRecord {
  const item = JSON.parse(itemJson.toString('utf8')) as { record: { S: string } };
  return JSON.parse(item.record.S) as AccessKeyRecord;
}

function samePolicies(a: AccessKeyRecord, b: AccessKeyRecord): boolean {
  return JSON.stringify(a.policies ?? []) === JSON.stringify(b.policies ?? []);
}
