import type { ItemOp, ItemOpBody, OpKind } from '@triad/rpc';
import { createLogger, promClient } from '@triad/observability';
import { FENCE_PREFIX, StaleIndexListError, fenceItemOf, fenceKeyOf, fenceRaisedBy, fenceRefusal, fenceVersionOf, isFenceKey, tableIdOf } from '../src/indexes/index-fence';
import { IndexFences } from '../src/indexes/index-fences';
import { KeyLock } from '../src/write-path/key-lock';
import { decodeRecord, encodeRecord, recordItem, type StoredRecord } from '../src/storage/record-codec';
import { dataKey } from '../src/storage/storage-keys';

const TABLE = Buffer.from('0102030405060708', 'hex');
const itemKey = (id: string) => Buffer.concat([TABLE, Buffer.from(id)]);

describe('index fence records and decisions', () => {
  it('keys a fence by its table id, apart from item keys', () => {
    const key = fenceKeyOf(TABLE);
    expect(key.subarray(0, 8)).toEqual(FENCE_PREFIX);
    expect(isFenceKey(key)).toBe(true);
    expect(tableIdOf(key, true)).toEqual(TABLE);
    expect(isFenceKey(itemKey('a'))).toBe(false);
    expect(tableIdOf(itemKey('a'), false)).toEqual(TABLE);
    // A key with the prefix but not a table id's length after it is an item's (of a table whose id happens to start so).
    expect(isFenceKey(Buffer.concat([FENCE_PREFIX, TABLE, Buffer.from('x')]))).toBe(false);
    expect(() => fenceKeyOf(Buffer.alloc(4))).toThrow('assertion');
  });

  it('reads the version a fence record holds', () => {
    expect(fenceVersionOf({ schemaVersion: { N: '3' } })).toBe(3);
    expect(fenceVersionOf(undefined)).toBe(0);
    expect(fenceVersionOf({ other: { S: 'x' } })).toBe(0);
  });

  it('refuses writes and re-indexing below the fence only, and never reads', () => {
    expect(fenceRefusal('OP_KIND_PUT', 2, 3)).toMatch(/schema version 2.*version 3/);
    expect(fenceRefusal('OP_KIND_UPDATE', undefined, 1)).toMatch(/schema version 0/);
    expect(fenceRefusal('OP_KIND_DELETE', 3, 3)).toBeUndefined();
    expect(fenceRefusal('OP_KIND_PUT', 4, 3)).toBeUndefined();
    expect(fenceRefusal('OP_KIND_PUT', undefined, 0)).toBeUndefined();
    expect(fenceRefusal('OP_KIND_GET', 0, 3)).toBeUndefined();
    expect(fenceRefusal('OP_KIND_REINDEX', 0, 3)).toMatch(/schema version 0/);
    expect(fenceRefusal('OP_KIND_REINDEX', 3, 3)).toBeUndefined();
  });

  it('raises the fence to the version of a write made with a newer index list', () => {
    expect(fenceRaisedBy('OP_KIND_PUT', 2, 1)).toBe(2);
    expect(fenceRaisedBy('OP_KIND_UPDATE', 1, 0)).toBe(1);
    expect(fenceRaisedBy('OP_KIND_DELETE', 1, 1)).toBeUndefined();
    expect(fenceRaisedBy('OP_KIND_PUT', undefined, 0)).toBeUndefined();
    expect(fenceRaisedBy('OP_KIND_GET', 5, 1)).toBeUndefined();
    expect(fenceVersionOf(fenceItemOf(7))).toBe(7);
  });
});

/** A replica's records and key locks, in memory: writes are staged by the test, as the leader does. */
class FakeReplicas {
  readonly records = new Map<string, Buffer>();
  readonly reads: string[] = [];
  private readonly locks = new KeyLock();
  private readonly syncs = new Map<string, { done: Promise<void>; finish: () => void }>();

  withKey<T>(partition: number, key: Buffer, work: (key: Buffer) => Promise<T>): Promise<T> {
    const full = dataKey(partition, key);
    return this.locks.run(full.toString('latin1'), () => work(full));
  }

  async current(key: Buffer): Promise<StoredRecord | undefined> {
    this.reads.push(key.toString('hex'));
    const value = this.records.get(key.toString('latin1'));
    return value ? decodeRecord(value) : undefined;
  }

  async settled(key: Buffer): Promise<void> {
    await this.syncs.get(key.toString('latin1'))?.done;
  }

  /** Stages a record whose sync ends when the returned function is called. */
  stage(key: Buffer, value: Buffer): () => void {
    const name = key.toString('latin1');
    this.records.set(name, value);
    let finish = () => undefined as void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    this.syncs.set(name, { done, finish });
    return () => {
      this.syncs.delete(name);
      finish();
    };
  }
}

describe('IndexFences', () => {
  const op = (kind: OpKind, key: Buffer, partition = 1): ItemOp => ({ partition, key, kind, body: Buffer.alloc(0) });
  let replicas: FakeReplicas;
  let term: number;
  let fences: IndexFences;
  let refusals: promClient.Counter;
  const fenceRecord = (version: number) => encodeRecord({ term: 1, seq: 1 }, { schemaVersion: { N: String(version) } }, 0);
  const admit = (o: ItemOp, body: ItemOpBody) => Promise.resolve().then(() => fences.admit(o, body));

  beforeEach(() => {
    replicas = new FakeReplicas();
    term = 5;
    refusals = new promClient.Counter({ name: 'refusals', help: 'test', registers: [] });
    fences = new IndexFences({ replicas, termOf: () => term, refusals, log: createLogger({ nodeId: 't', zone: 'a', role: 'storage' }, 'error') });
  });

  it('reads a partition fence once per term and refuses writes below it', async () => {
    replicas.records.set(dataKey(1, fenceKeyOf(TABLE)).toString('latin1'), fenceRecord(2));
    await expect(admit(op('OP_KIND_PUT', itemKey('a')), { schemaVersion: 1 })).rejects.toBeInstanceOf(StaleIndexListError);
    await expect(admit(op('OP_KIND_PUT', itemKey('b')), { schemaVersion: 2 })).resolves.toBeUndefined();
    await expect(admit(op('OP_KIND_DELETE', itemKey('c')), {})).rejects.toThrow('schema version 0');
    expect(replicas.reads).toHaveLength(1);
    expect((await refusals.get()).values[0].value).toBe(2);
    // Another partition has its own fence (none here).
    await expect(admit(op('OP_KIND_PUT', itemKey('a'), 2), {})).resolves.toBeUndefined();
    // A new term: the record is read again (another leader may have raised it meanwhile).
    replicas.records.set(dataKey(1, fenceKeyOf(TABLE)).toString('latin1'), fenceRecord(4));
    term = 6;
    await expect(admit(op('OP_KIND_PUT', itemKey('a')), { schemaVersion: 3 })).rejects.toBeInstanceOf(StaleIndexListError);
    expect(replicas.reads).toHaveLength(3);
  });

  it('raises the fence when its record is written, before it is staged, and never lowers it', async () => {
    await admit(op('OP_KIND_PUT', fenceKeyOf(TABLE)), { schemaVersion: 3 });
    await expect(admit(op('OP_KIND_PUT', itemKey('a')), { schemaVersion: 2 })).rejects.toBeInstanceOf(StaleIndexListError);
    await admit(op('OP_KIND_PUT', fenceKeyOf(TABLE)), { schemaVersion: 1 });
    await expect(admit(op('OP_KIND_PUT', itemKey('a')), { schemaVersion: 2 })).rejects.toBeInstanceOf(StaleIndexListError);
    await expect(admit(op('OP_KIND_PUT', itemKey('a')), { schemaVersion: 3 })).resolves.toBeUndefined();
  });

  it('acknowledges a fence only once the writes admitted before it are staged and synced', async () => {
    // A write admitted (under its key's lock) and not yet staged when the fence rises.
    let stageIt!: () => void;
    const staged = new Promise<void>((resolve) => (stageIt = resolve));
    let sync!: () => void;
    const write = replicas.withKey(1, itemKey('a'), async (key) => {
      await fences.admit(op('OP_KIND_PUT', itemKey('a')), { schemaVersion: 0 });
      await staged;
      sync = replicas.stage(key, encodeRecord({ term: 5, seq: 2 }, { id: { S: 'a' } }, 1));
    });
    await new Promise((resolve) => setImmediate(resolve));
    let fenced = false;
    const fence = admit(op('OP_KIND_PUT', fenceKeyOf(TABLE)), { schemaVersion: 1 }).then(() => (fenced = true));
    // Later writes with the old list are refused at once.
    await expect(admit(op('OP_KIND_PUT', itemKey('b')), { schemaVersion: 0 })).rejects.toBeInstanceOf(StaleIndexListError);
    await new Promise((resolve) => setImmediate(resolve));
    expect(fenced).toBe(false);
    stageIt();
    await write;
    await new Promise((resolve) => setImmediate(resolve));
    expect(fenced).toBe(false);
    sync();
    await fence;
    expect(fenced).toBe(true);
  });

  it('leaves operations that carry no index list alone', async () => {
    await admit(op('OP_KIND_PUT', fenceKeyOf(TABLE)), { schemaVersion: 9 });
    await expect(admit(op('OP_KIND_GET', itemKey('a')), {})).resolves.toBeUndefined();
    await expect(admit(op('OP_KIND_REINDEX', itemKey('a')), { schemaVersion: 9 })).resolves.toBeUndefined();
  });

  // The race between UpdateTable and the fence (issue 11, item 5): a write with the new list gives
  // item k an entry in the new index; a write with the old list after it would change k without
  // removing that entry, and the backfill (which indexes items as they are) would never remove it.
  describe('a write with a newer index list than the fence', () => {
    const fenceKey = () => dataKey(1, fenceKeyOf(TABLE)).toString('latin1');
    /** Admits, plans and "appends" a write as the leader's write path does; returns the fence record staged with it. */
    const write = async (o: ItemOp, body: ItemOpBody): Promise<Buffer | undefined> => {
      await admit(o, body);
      const fence = fences.recordToStage(o, body);
      const value = fence?.value({ term, seq: 10 });
      if (fence) replicas.records.set(fence.key.toString('latin1'), value!);
      fences.staged(o, body);
      return value;
    };

    it('refuses an old-list write of the item after it, and admits one before it', async () => {
      // old list, then new list: the new-list write removes what the old state had (nothing stays behind).
      await expect(write(op('OP_KIND_PUT', itemKey('k')), { schemaVersion: 0 })).resolves.toBeUndefined();
      await write(op('OP_KIND_PUT', itemKey('k')), { schemaVersion: 1 });
      // new list, then old list: refused, the router catches its catalog up and writes with the new list.
      await expect(admit(op('OP_KIND_UPDATE', itemKey('k')), { schemaVersion: 0 })).rejects.toBeInstanceOf(StaleIndexListError);
      await expect(admit(op('OP_KIND_DELETE', itemKey('k')), {})).rejects.toBeInstanceOf(StaleIndexListError);
      await expect(admit(op('OP_KIND_UPDATE', itemKey('k')), { schemaVersion: 1 })).resolves.toBeUndefined();
      // Other tables and partitions keep their own fences.
      await expect(admit(op('OP_KIND_PUT', itemKey('k'), 2), { schemaVersion: 0 })).resolves.toBeUndefined();
      expect((await refusals.get()).values[0].value).toBe(2);
    });

    it('puts the raised fence in the write\'s own log entry, once per term, so that the next leader refuses old lists too', async () => {
      const first = await write(op('OP_KIND_PUT', itemKey('k')), { schemaVersion: 1 });
      expect(fenceVersionOf(recordItem(decodeRecord(first!)))).toBe(1);
      // Later entries of the term come after it in the log: they need no record of their own.
      expect(await write(op('OP_KIND_PUT', itemKey('j')), { schemaVersion: 1 })).toBeUndefined();
      // A new leader (a new term) reads the record the write committed with it.
      term = 6;
      await expect(admit(op('OP_KIND_PUT', itemKey('k')), { schemaVersion: 0 })).rejects.toBeInstanceOf(StaleIndexListError);
      expect(await write(op('OP_KIND_PUT', itemKey('k')), { schemaVersion: 1 })).toBeUndefined();
    });

    it('has every write carry the record until one carrying it is appended', async () => {
      // Two writes admitted before either is appended (different items, no lock between them):
      // each carries the record, for either may be the one that commits.
      await admit(op('OP_KIND_PUT', itemKey('a')), { schemaVersion: 1 });
      await admit(op('OP_KIND_PUT', itemKey('b')), { schemaVersion: 1 });
      const a = fences.recordToStage(op('OP_KIND_PUT', itemKey('a')), { schemaVersion: 1 });
      const b = fences.recordToStage(op('OP_KIND_PUT', itemKey('b')), { schemaVersion: 1 });
      expect(a?.key.toString('latin1')).toBe(fenceKey());
      expect(b).toBeDefined();
      fences.staged(op('OP_KIND_PUT', itemKey('a')), { schemaVersion: 1 });
      expect(fences.recordToStage(op('OP_KIND_PUT', itemKey('c')), { schemaVersion: 1 })).toBeUndefined();
      // A write that was admitted but never appended (its condition failed) leaves the fence raised
      // here, and carries nothing: the next write that is appended carries the record.
      term = 7;
      await admit(op('OP_KIND_PUT', itemKey('d')), { schemaVersion: 1 });
      await expect(admit(op('OP_KIND_PUT', itemKey('d')), { schemaVersion: 0 })).rejects.toBeInstanceOf(StaleIndexListError);
      expect(fences.recordToStage(op('OP_KIND_PUT', itemKey('e')), { schemaVersion: 1 })).toBeDefined();
    });

    it('stages the highest fence known when the entry is appended, never a lower one', async () => {
      await admit(op('OP_KIND_PUT', itemKey('a')), { schemaVersion: 1 });
      const planned = fences.recordToStage(op('OP_KIND_PUT', itemKey('a')), { schemaVersion: 1 })!;
      // Before it is appended, the builder raises the fence further (a later index change).
      await admit(op('OP_KIND_PUT', fenceKeyOf(TABLE)), { schemaVersion: 2 });
      expect(fenceVersionOf(recordItem(decodeRecord(planned.value({ term, seq: 3 }))))).toBe(2);
    });

    it('is counted as the record once the builder\'s own fence write is appended', async () => {
      await write(op('OP_KIND_PUT', fenceKeyOf(TABLE)), { schemaVersion: 3, item: fenceItemOf(3) });
      expect(fences.recordToStage(op('OP_KIND_PUT', itemKey('a')), { schemaVersion: 3 })).toBeUndefined();
      expect(fences.recordToStage(op('OP_KIND_PUT', itemKey('a')), { schemaVersion: 4 })).toBeDefined();
    });

    it('never carries a record for a table whose index list never changed', async () => {
      expect(await write(op('OP_KIND_PUT', itemKey('a')), { schemaVersion: 0 })).toBeUndefined();
      expect(await write(op('OP_KIND_UPDATE', itemKey('a')), {})).toBeUndefined();
      expect(fences.recordToStage(op('OP_KIND_GET', itemKey('a')), { schemaVersion: 0 })).toBeUndefined();
    });
  });
});
