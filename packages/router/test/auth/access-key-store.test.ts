/**
 * The access key store over an in-memory system partition: secrets are stored sealed (never in
 * clear), keys are created, disabled, deleted and seeded (a rotated secret is replaced, a disabled
 * key stays disabled), and a router with another master key cannot use them.
 */
import { createLogger } from '@triad/observability';
import { evaluateCondition, type Item } from '@triad/model';
import { realEnvironment } from '@triad/runtime';
import type { ItemOp, OpResult, PartitionRange, RangeReply } from '@triad/rpc';
import type { Condition } from '@triad/model';
import { AccessKeyStore } from '../../src/auth/access-key-store';
import type { AccessKeyRecord } from '../../src/auth/access-key';
import { newMasterKeyText, parseMasterKey } from '@triad/encryption';
import { MasterKeySealer } from '../../src/auth/master-key-sealer';
import { MemoryPartition } from './memory-partition';

const log = createLogger({ nodeId: 'test', zone: 'a', role: 'router' }, 'error');

/**
 * A partition whose conditional puts can be interrupted: a hook runs first (another router's write
 * lands in between), or they are held until released (two routers' writes in flight at once).
 */
class RacingPartition extends MemoryPartition {
  beforeConditionalPut?: () => Promise<void>;
  holdConditionalPuts = false;
  conditionFailures = 0;
  private held: Array<() => void> = [];
  private heldChanged?: () => void;

  override async execute(op: ItemOp): Promise<OpResult> {
    const conditional = op.kind === 'OP_KIND_PUT' && (JSON.parse(op.body.toString('utf8')) as { condition?: unknown }).condition !== undefined;
    if (conditional && this.beforeConditionalPut) await this.beforeConditionalPut();
    if (conditional && this.holdConditionalPuts) {
      await new Promise<void>((resolve) => {
        this.held.push(resolve);
        this.heldChanged?.();
      });
    }
    const result = await super.execute(op);
    if (result.errorName === 'ConditionalCheckFailedException') this.conditionFailures++;
    return result;
  }

  async untilHeld(count: number): Promise<void> {
    while (this.held.length < count) await new Promise<void>((resolve) => (this.heldChanged = resolve));
  }

  releaseHeld(): void {
    this.holdConditionalPuts = false;
    for (const resolve of this.held.splice(0)) resolve();
  }

  record(accessKeyId: string): AccessKeyRecord {
    for (const item of this.items.values()) {
      const record = JSON.parse((item.record as { S: string }).S) as AccessKeyRecord;
      if (record.accessKeyId === accessKeyId) return record;
    }
    throw new Error(`no ${accessKeyId}`);
  }
}

const sealer = () => new MasterKeySealer(parseMasterKey(newMasterKeyText()));

describe('access keys in the system partition', () => {
  test('created with the secret sealed: the stored item never holds it in clear', async () => {
    const storage = new MemoryPartition();
    const store = new AccessKeyStore(storage, sealer(), log, realEnvironment);
    await store.create({ accessKeyId: 'KEYONE', secret: 'clear-text-secret-0001', name: 'one', admin: false, source: 'api' });
    const stored = JSON.stringify([...storage.items.values()]);
    expect(stored).toContain('KEYONE');
    expect(stored).not.toContain('clear-text-secret-0001');
    expect(store.find('KEYONE')).toEqual({ accessKeyId: 'KEYONE', secret: 'clear-text-secret-0001', name: 'one', enabled: true, admin: false });
    await expect(store.create({ accessKeyId: 'KEYONE', secret: 'another-secret-00001', name: 'dup', admin: false, source: 'api' })).rejects.toThrow('Access key already exists');
  });

  test("another router reads them; with another master key it cannot open them", async () => {
    const storage = new MemoryPartition();
    const master = sealer();
    await new AccessKeyStore(storage, master, log, realEnvironment).create({ accessKeyId: 'KEYONE', secret: 'clear-text-secret-0001', name: 'one', admin: true, source: 'api' });
    const same = new AccessKeyStore(storage, master, log, realEnvironment);
    await same.refresh();
    expect(same.find('KEYONE')?.secret).toBe('clear-text-secret-0001');
    const other = new AccessKeyStore(storage, sealer(), log, realEnvironment);
    await other.refresh();
    expect(other.find('KEYONE')).toBeUndefined();
    expect(other.list().map((k) => k.accessKeyId)).toEqual(['KEYONE']);
  });

  test('disable, enable and delete; unknown keys are ResourceNotFound', async () => {
    const store = new AccessKeyStore(new MemoryPartition(), sealer(), log, realEnvironment);
    const changed: string[] = [];
    store.onChange = (id) => changed.push(id);
    await store.create({ accessKeyId: 'KEYONE', secret: 'clear-text-secret-0001', name: 'one', admin: false, source: 'api' });
    await store.setEnabled('KEYONE', false);
    expect(store.find('KEYONE')?.enabled).toBe(false);
    await store.setEnabled('KEYONE', true);
    expect(store.find('KEYONE')?.enabled).toBe(true);
    await store.delete('KEYONE');
    expect(store.find('KEYONE')).toBeUndefined();
    expect(changed.length).toBeGreaterThanOrEqual(4);
    await expect(store.delete('KEYONE')).rejects.toThrow('Access key not found: KEYONE');
    await expect(store.setEnabled('NOPE', true)).rejects.toThrow('Access key not found: NOPE');
  });

  test('seeding creates missing keys, replaces a rotated secret, and leaves a disabled key disabled', async () => {
    const storage = new MemoryPartition();
    const master = sealer();
    const store = new AccessKeyStore(storage, master, log, realEnvironment);
    expect(await store.seed([{ accessKeyId: 'SEEDED', secret: 'first-secret-000001', admin: true }])).toEqual({ created: 1, updated: 0 });
    expect(await store.seed([{ accessKeyId: 'SEEDED', secret: 'first-secret-000001', admin: true }])).toEqual({ created: 0, updated: 0 });
    await store.setEnabled('SEEDED', false);
    expect(await store.seed([{ accessKeyId: 'SEEDED', secret: 'rotated-secret-00002', admin: true }])).toEqual({ created: 0, updated: 1 });
    expect(store.find('SEEDED')).toMatchObject({ secret: 'rotated-secret-00002', enabled: false, admin: true });
    // A router with a new master key re-seals what it is given (master key rotation by re-seeding).
    const rotated = new AccessKeyStore(storage, sealer(), log, realEnvironment);
    await rotated.refresh();
    expect(await rotated.seed([{ accessKeyId: 'SEEDED', secret: 'rotated-secret-00002', admin: true }])).toEqual({ created: 0, updated: 1 });
    expect(rotated.find('SEEDED')?.secret).toBe('rotated-secret-00002');
  });

  test('two routers seeding the same key at once both know it when seeding ends (the one whose create lost takes the winner\'s record)', async () => {
    const storage = new MemoryPartition();
    const master = sealer();
    const routers = [new AccessKeyStore(storage, master, log, realEnvironment), new AccessKeyStore(storage, master, log, realEnvironment)];
    const seeded = await Promise.all(routers.map((store) => store.seed([{ accessKeyId: 'TOGETHER', secret: 'seeded-secret-000001', admin: true }])));
    expect(seeded.map((r) => r.created).sort()).toEqual([0, 1]);
    for (const store of routers) expect(store.find('TOGETHER')).toMatchObject({ secret: 'seeded-secret-000001', admin: true, enabled: true });
  });

  test('master key rotation: a router with the new key and the old as previous re-seals every secret; then the new key alone opens them', async () => {
    const storage = new MemoryPartition();
    const oldKey = parseMasterKey(newMasterKeyText());
    const newKey = parseMasterKey(newMasterKeyText());
    const before = new AccessKeyStore(storage, new MasterKeySealer(oldKey), log, realEnvironment);
    await before.create({ accessKeyId: 'KEYONE', secret: 'clear-text-secret-0001', name: 'one', admin: true, source: 'api' });
    await before.create({ accessKeyId: 'KEYTWO', secret: 'clear-text-secret-0002', name: 'two', admin: false, source: 'api' });
    await before.setEnabled('KEYTWO', false);
    const logged: string[] = [];
    const watching = { ...log, info: (message: string) => logged.push(message), debug: () => undefined, warn: () => undefined, error: () => undefined } as unknown as typeof log;
    const rotating = new AccessKeyStore(storage, new MasterKeySealer(newKey, [oldKey]), log, realEnvironment);
    expect(rotating.sealStateCounts()).toEqual({ current: 0, previous: 0, unknown: 0 });
    const rotatingLogged = new AccessKeyStore(storage, new MasterKeySealer(newKey, [oldKey]), watching, realEnvironment);
    await rotatingLogged.refresh();
    // Every stored secret now names the new key; nothing else in the records changed.
    const sealedIds = () => [...storage.items.values()].map((item) => (JSON.parse((item.record as { S: string }).S) as { sealedSecret: string }).sealedSecret.split(':')[1]);
    const newId = new MasterKeySealer(newKey).keyId;
    expect(sealedIds()).toEqual([newId, newId]);
    expect(rotatingLogged.sealStateCounts()).toEqual({ current: 2, previous: 0, unknown: 0 });
    expect(rotatingLogged.find('KEYTWO')).toMatchObject({ secret: 'clear-text-secret-0002', enabled: false });
    expect(logged.filter((m) => m.includes('re-sealed under the current master key'))).toHaveLength(2);
    expect(logged.filter((m) => m.includes('no access key secret is left under a previous master key'))).toHaveLength(1);
    // A second refresh finds nothing to do and logs nothing more; the secrets did not change, so the signing key cache keeps them.
    const changed: string[] = [];
    rotatingLogged.onChange = (id) => changed.push(id);
    await rotatingLogged.refresh();
    expect(logged.filter((m) => m.includes('re-sealed'))).toHaveLength(2);
    expect(changed).toEqual([]);
    // The router that was already rotating reads the re-sealed values: same secrets, seen as current.
    await rotating.refresh();
    expect(rotating.find('KEYONE')?.secret).toBe('clear-text-secret-0001');
    expect(rotating.sealStateOf(rotating.list()[0])).toBe('current');
    // A router not yet restarted (old key only) keeps the secrets it had opened; one started now with the old key cannot open them.
    await before.refresh();
    expect(before.find('KEYONE')?.secret).toBe('clear-text-secret-0001');
    expect(before.sealStateCounts()).toEqual({ current: 0, previous: 0, unknown: 2 });
    const lateOld = new AccessKeyStore(storage, new MasterKeySealer(oldKey), log, realEnvironment);
    await lateOld.refresh();
    expect(lateOld.find('KEYONE')).toBeUndefined();
    // The rotation done, the new key alone opens every secret.
    const after = new AccessKeyStore(storage, new MasterKeySealer(newKey), log, realEnvironment);
    await after.refresh();
    expect(after.find('KEYONE')?.secret).toBe('clear-text-secret-0001');
    expect(after.find('KEYTWO')?.secret).toBe('clear-text-secret-0002');
  });

  test('re-sealing is a compare-and-set: a concurrent change wins, nothing is lost, and the next refresh re-seals what it wrote', async () => {
    const storage = new RacingPartition();
    const oldKey = parseMasterKey(newMasterKeyText());
    const newKey = parseMasterKey(newMasterKeyText());
    const oldRouter = new AccessKeyStore(storage, new MasterKeySealer(oldKey), log, realEnvironment);
    await oldRouter.create({ accessKeyId: 'KEYONE', secret: 'clear-text-secret-0001', name: 'one', admin: false, source: 'api' });
    const rotating = new AccessKeyStore(storage, new MasterKeySealer(newKey, [oldKey]), log, realEnvironment);
    // Just before the re-sealing write lands, another router (still on the old key) disables the key.
    let raced = 0;
    storage.beforeConditionalPut = async () => {
      storage.beforeConditionalPut = undefined;
      raced++;
      await oldRouter.setEnabled('KEYONE', false);
    };
    await rotating.refresh();
    expect(raced).toBe(1);
    expect(storage.conditionFailures).toBe(1);
    // The disable survived; the secret is still under the old key, and still opens.
    expect(storage.record('KEYONE')).toMatchObject({ enabled: false });
    expect(rotating.sealStateCounts()).toEqual({ current: 0, previous: 1, unknown: 0 });
    expect(rotating.find('KEYONE')?.secret).toBe('clear-text-secret-0001');
    // The next refresh reads the winner and re-seals it, keeping the disable.
    await rotating.refresh();
    expect(storage.record('KEYONE')).toMatchObject({ enabled: false });
    expect(rotating.sealStateOf(storage.record('KEYONE'))).toBe('current');
    expect(rotating.find('KEYONE')).toMatchObject({ secret: 'clear-text-secret-0001', enabled: false });
  });

  test('two rotating routers racing: one write wins, the other loses quietly, both end with the secret under the new key', async () => {
    const storage = new RacingPartition();
    const oldKey = parseMasterKey(newMasterKeyText());
    const newKey = parseMasterKey(newMasterKeyText());
    await new AccessKeyStore(storage, new MasterKeySealer(oldKey), log, realEnvironment).create({ accessKeyId: 'KEYONE', secret: 'clear-text-secret-0001', name: 'one', admin: false, source: 'api' });
    const a = new AccessKeyStore(storage, new MasterKeySealer(newKey, [oldKey]), log, realEnvironment);
    const b = new AccessKeyStore(storage, new MasterKeySealer(newKey, [oldKey]), log, realEnvironment);
    // Both read the old value before either writes.
    storage.holdConditionalPuts = true;
    const both = Promise.all([a.refresh(), b.refresh()]);
    await storage.untilHeld(2);
    storage.releaseHeld();
    await both;
    expect(storage.conditionFailures).toBe(1);
    const stored = storage.record('KEYONE');
    expect(a.sealStateOf(stored)).toBe('current');
    await Promise.all([a.refresh(), b.refresh()]);
    for (const router of [a, b]) {
      expect(router.find('KEYONE')?.secret).toBe('clear-text-secret-0001');
      expect(router.sealStateCounts()).toEqual({ current: 1, previous: 0, unknown: 0 });
    }
    expect(storage.record('KEYONE').sealedSecret).toBe(stored.sealedSecret);
  });

  test('without a master key keys can be listed and deleted, not created', async () => {
    const store = new AccessKeyStore(new MemoryPartition(), undefined, log, realEnvironment);
    await expect(store.create({ accessKeyId: 'KEYONE', secret: 'clear-text-secret-0001', name: 'one', admin: false, source: 'api' })).rejects.toThrow(/--master-key-file/);
  });

  test('ids, secrets and names are checked', async () => {
    const store = new AccessKeyStore(new MemoryPartition(), sealer(), log, realEnvironment);
    await expect(store.create({ accessKeyId: 'bad id', secret: 'clear-text-secret-0001', name: 'x', admin: false, source: 'api' })).rejects.toThrow(/access key id/);
    await expect(store.create({ accessKeyId: 'KEY', secret: 'short', name: 'x', admin: false, source: 'api' })).rejects.toThrow(/secret access key/);
    await expect(store.create({ accessKeyId: 'KEY', secret: 'clear-text-secret-0001', name: '', admin: false, source: 'api' })).rejects.toThrow(/key name/);
  });
});
