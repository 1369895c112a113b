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
import { newMasterKeyText, parseMasterKey } from '@triad/encryption';
import { MasterKeySealer } from '../../src/auth/master-key-sealer';
import type { RangeOptions, StorageClient } from '../../src/cluster/storage-client';

const log = createLogger({ nodeId: 'test', zone: 'a', role: 'router' }, 'error');

/** The system partition's items by key, with conditional writes as the leader applies them. */
class MemoryPartition implements StorageClient {
  readonly partitionCount = 16;
  readonly systemPartition = 16;
  readonly items = new Map<string, Item>();

  partitionOf(): number {
    return 0;
  }

  async execute(op: ItemOp): Promise<OpResult> {
    const id = op.key.toString('hex');
    const body = JSON.parse(op.body.toString('utf8')) as { item?: Item; condition?: Condition };
    const current = this.items.get(id);
    const ok = (result: unknown = {}) => ({ errorName: '', errorMessage: '', body: Buffer.from(JSON.stringify(result)) });
    if (op.kind === 'OP_KIND_GET') return ok(current ? { item: current } : {});
    if (body.condition && !evaluateCondition(body.condition, current)) {
      return { errorName: 'ConditionalCheckFailedException', errorMessage: 'The conditional request failed', body: Buffer.alloc(0) };
    }
    if (op.kind === 'OP_KIND_PUT') this.items.set(id, body.item!);
    else if (op.kind === 'OP_KIND_DELETE') this.items.delete(id);
    return ok();
  }

  async readEventual(): Promise<Buffer | undefined> {
    return undefined;
  }

  async readRange(ranges: PartitionRange[], _options: RangeOptions): Promise<RangeReply> {
    const [range] = ranges;
    const start = range.start.toString('hex');
    const end = range.end.toString('hex');
    const items = [...this.items.entries()]
      .filter(([key]) => (range.startExclusive ? key > start : key >= start) && key < end)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, item]) => ({ partition: 16, key: Buffer.from(key, 'hex'), item: Buffer.from(JSON.stringify(item)), sizeBytes: 1 }));
    return { items, exhausted: true };
  }

  async dropTable(): Promise<void> {}

  async prefixStats(): Promise<never> {
    throw new Error('not used');
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
