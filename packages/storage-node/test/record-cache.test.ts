import { RecordCache } from '../src/storage/record-cache';
import type { StorageEngine } from '../src/storage/storage-engine';
import { DATA_PREFIX } from '../src/storage/storage-keys';
import { STORAGE_ENGINES, type EngineFixture } from './storage-engines';

/** An item record's key: only those are cached. */
const key = (text: string) => Buffer.concat([Buffer.from([DATA_PREFIX]), Buffer.from(text)]);
const name = (text: string) => RecordCache.keyOf(key(text));

describe('RecordCache', () => {
  it('keeps what a read found and answers with it', () => {
    const cache = new RecordCache();
    const ticket = cache.readStarted();
    cache.fill(name('a'), Buffer.from('one'), ticket);
    cache.readDone();
    expect(cache.get(name('a'))?.toString()).toBe('one');
    expect(cache.get(name('b'))).toBeUndefined();
  });

  it('does not keep a value read while a write of the same key started or landed', () => {
    const cache = new RecordCache();
    const ticket = cache.readStarted();
    cache.invalidate(key('a'));
    cache.fill(name('a'), Buffer.from('old'), ticket);
    cache.fill(name('b'), Buffer.from('other key'), ticket);
    cache.readDone();
    expect(cache.get(name('a'))).toBeUndefined();
    expect(cache.get(name('b'))?.toString()).toBe('other key');
  });

  it('drops a value read before a write that lands later', () => {
    const cache = new RecordCache();
    cache.invalidate(key('a')); // the write starts
    const ticket = cache.readStarted();
    cache.fill(name('a'), Buffer.from('old'), ticket);
    cache.readDone();
    cache.invalidate(key('a')); // the write lands
    expect(cache.get(name('a'))).toBeUndefined();
  });

  it('lets a read that started after a write keep what it found', () => {
    const cache = new RecordCache();
    const before = cache.readStarted();
    cache.invalidate(key('a'));
    const after = cache.readStarted();
    cache.fill(name('a'), Buffer.from('stale'), before);
    cache.fill(name('a'), Buffer.from('new'), after);
    cache.readDone();
    cache.readDone();
    expect(cache.get(name('a'))?.toString()).toBe('new');
  });

  it('keeps nothing read across a range clear', () => {
    const cache = new RecordCache();
    const done = cache.readStarted();
    cache.fill(name('a'), Buffer.from('one'), done);
    cache.readDone();
    const ticket = cache.readStarted();
    cache.clear();
    cache.fill(name('b'), Buffer.from('two'), ticket);
    cache.readDone();
    expect(cache.size).toBe(0);
  });

  it('keeps nothing read by reads in flight when too many written keys were tracked', () => {
    const cache = new RecordCache();
    const ticket = cache.readStarted();
    for (let i = 0; i < 5000; i++) cache.invalidate(key(`w${i}`));
    cache.fill(name('a'), Buffer.from('one'), ticket);
    cache.readDone();
    expect(cache.get(name('a'))).toBeUndefined();
    const later = cache.readStarted();
    cache.fill(name('a'), Buffer.from('one'), later);
    cache.readDone();
    expect(cache.get(name('a'))?.toString()).toBe('one');
  });

  it('answers from a landed write of an item record, and from a read that found nothing, without reading again', async () => {
    const cache = new RecordCache();
    const record = Buffer.concat([Buffer.from([0x64, 0, 1]), Buffer.from('item')]);
    const reads: number[] = [];
    const read = (missing: Buffer[]) => {
      reads.push(missing.length);
      return Promise.resolve(missing.map(() => undefined));
    };
    expect(await cache.readThrough([record], read)).toEqual([undefined]);
    expect(await cache.readThrough([record], read)).toEqual([undefined]);
    expect(reads).toEqual([1]); // the second answered "absent" from the cache
    cache.invalidate(record); // a write is submitted...
    cache.batchDone([{ type: 'put', key: record, value: Buffer.from('v1') }], false); // ...and lands
    expect((await cache.readThrough([record], read))[0]?.toString()).toBe('v1');
    expect(reads).toEqual([1]);
    cache.batchDone([{ type: 'put', key: record, value: Buffer.from('v2') }], true); // a failed batch
    expect(await cache.readThrough([record], read)).toEqual([undefined]);
    expect(reads).toEqual([1, 1]);
  });

  it('keeps only item records from landed writes (log entries and markers are not read back)', () => {
    const cache = new RecordCache();
    const logKey = Buffer.from('L-log-entry');
    cache.batchDone([{ type: 'put', key: logKey, value: Buffer.from('entry') }], false);
    expect(cache.get(RecordCache.keyOf(logKey))).toBeUndefined();
  });

  it('reads other keys than item records through, every time', async () => {
    const cache = new RecordCache();
    const marker = Buffer.from('A-applied');
    let reads = 0;
    const read = async (keys: Buffer[]) => keys.map(() => (reads++, Buffer.from('position')));
    expect((await cache.readThrough([marker], read))[0]?.toString()).toBe('position');
    expect((await cache.readThrough([marker], read))[0]?.toString()).toBe('position');
    expect(reads).toBe(2);
  });

  it('evicts the oldest records beyond its size, and skips large ones', () => {
    const cache = new RecordCache(3 * (2 + 100), 200);
    const ticket = cache.readStarted();
    for (const k of ['a', 'b', 'c']) cache.fill(name(k), Buffer.alloc(100), ticket);
    cache.fill(name('d'), Buffer.alloc(100), ticket);
    cache.fill(name('e'), Buffer.alloc(201), ticket);
    cache.readDone();
    expect(['a', 'b', 'c', 'd', 'e'].map((k) => cache.get(name(k)) !== undefined)).toEqual([false, true, true, true, false]);
  });
});

describe.each(STORAGE_ENGINES)('%s.getMany with its record cache', (_name, fixture) => {
  let engine: EngineFixture;
  let store: StorageEngine;
  beforeEach(async () => (store = await (engine = fixture()).open()));
  afterEach(() => engine.dispose());

  const read = async (k: string) => (await store.getMany([key(k)]))[0]?.toString();

  it('answers every read with the latest acknowledged write', async () => {
    await store.write({ type: 'put', key: key('a'), value: Buffer.from('v1') });
    expect(await read('a')).toBe('v1');
    expect(await read('a')).toBe('v1');
    await store.write({ type: 'put', key: key('a'), value: Buffer.from('v2') });
    expect(await read('a')).toBe('v2');
    await store.write({ type: 'del', key: key('a') });
    expect(await read('a')).toBeUndefined();
  });

  it('never keeps a value that a write overtook while it was being read', async () => {
    for (let round = 0; round < 50; round++) {
      const value = `v${round}`;
      const reading = store.getMany([key('k'), key('other')]);
      const writing = store.write({ type: 'put', key: key('k'), value: Buffer.from(value) });
      await Promise.all([reading, writing]);
      expect(await read('k')).toBe(value);
    }
  });

  it('reads nothing of a cleared range', async () => {
    await store.write({ type: 'put', key: key('t1-a'), value: Buffer.from('x') });
    expect(await read('t1-a')).toBe('x');
    await store.clearRange(key('t1-'), key('t1.'));
    expect(await read('t1-a')).toBeUndefined();
  });
});
