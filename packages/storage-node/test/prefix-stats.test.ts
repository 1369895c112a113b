import { createLogger } from '@triad/observability';
import { PREFIX_STATS_PREFIXES_MAX } from '@triad/rpc';
import { PrefixStats, PrefixTally, STATS_REQUESTS_QUEUED_MAX } from '../src/admin/prefix-stats';
import { encodeRecord } from '../src/storage/record-codec';
import type { StorageEngine } from '../src/storage/storage-engine';
import { dataKey } from '../src/storage/storage-keys';
import { STORAGE_ENGINES, type EngineFixture } from './storage-engines';

const TABLE = Buffer.from('00000000000000aa', 'hex');
const INDEX = Buffer.from('00000000000000bb', 'hex');
const OTHER = Buffer.from('00000000000000cc', 'hex');
const itemKey = (prefix: Buffer, rest: string) => Buffer.concat([prefix, Buffer.from(rest)]);
const live = (sizeBytes: number) => encodeRecord({ term: 1, seq: 1 }, { pk: { S: 'x' } }, sizeBytes);
const tombstone = () => encodeRecord({ term: 1, seq: 2 }, undefined, 0);

describe('PrefixTally', () => {
  test('counts live records and their sizes by prefix, in request order', () => {
    const tally = PrefixTally.of([INDEX, TABLE]);
    tally.add(itemKey(TABLE, 'a'), live(10));
    tally.add(itemKey(TABLE, 'b'), live(32));
    tally.add(itemKey(INDEX, 'a'), live(7));
    expect(tally.stats()).toEqual([
      { items: 1, sizeBytes: 7 },
      { items: 2, sizeBytes: 42 },
    ]);
  });

  test('skips tombstones, prefixes not asked for, and keys shorter than a prefix', () => {
    const tally = PrefixTally.of([TABLE]);
    tally.add(itemKey(TABLE, 'gone'), tombstone());
    tally.add(itemKey(OTHER, 'a'), live(10));
    tally.add(TABLE.subarray(0, 4), live(10));
    expect(tally.stats()).toEqual([{ items: 0, sizeBytes: 0 }]);
  });

  test('a repeated prefix counts once, in its first position', () => {
    const tally = PrefixTally.of([TABLE, TABLE]);
    tally.add(itemKey(TABLE, 'a'), live(5));
    expect(tally.stats()).toEqual([
      { items: 1, sizeBytes: 5 },
      { items: 0, sizeBytes: 0 },
    ]);
  });

  test('merge adds a partition\'s tally into the total', () => {
    const total = PrefixTally.of([TABLE, INDEX]);
    const partition = total.empty();
    partition.add(itemKey(INDEX, 'a'), live(3));
    total.add(itemKey(TABLE, 'a'), live(4));
    total.merge(partition);
    expect(total.stats()).toEqual([
      { items: 1, sizeBytes: 4 },
      { items: 1, sizeBytes: 3 },
    ]);
    expect(partition.stats()).toEqual([
      { items: 0, sizeBytes: 0 },
      { items: 1, sizeBytes: 3 },
    ]);
  });
});

describe.each(STORAGE_ENGINES)('PrefixStats on a %s', (_name, fixture) => {
  const PARTITIONS = 4;
  let engine: EngineFixture;
  let store: StorageEngine;
  let held: Set<number>;
  let stats: PrefixStats;

  beforeAll(async () => {
    store = await (engine = fixture()).open();
    const put = (partition: number, key: Buffer, value: Buffer) => store.write({ type: 'put', key: dataKey(partition, key), value });
    await Promise.all([
      put(0, itemKey(TABLE, 'a'), live(100)),
      put(0, itemKey(TABLE, 'b'), tombstone()),
      put(0, itemKey(INDEX, 'a'), live(20)),
      put(1, itemKey(TABLE, 'c'), live(50)),
      // A global index entry may live in another partition than its item.
      put(2, itemKey(INDEX, 'c'), live(5)),
      put(3, itemKey(TABLE, 'd'), live(1000)),
      put(3, itemKey(OTHER, 'x'), live(9)),
      // The system partition (the catalog) is never asked for by routers, but may be.
      put(PARTITIONS, itemKey(TABLE, 'z'), live(1)),
    ]);
  });

  afterAll(() => engine.dispose());

  beforeEach(() => {
    held = new Set([0, 1, 2]);
    stats = new PrefixStats({ store, partitionCount: PARTITIONS, holds: (p) => held.has(p), log: createLogger({ nodeId: 't', zone: 'a', role: 'storage' }, 'error') });
  });

  test('sums the partitions asked for that the node holds; reports the others', async () => {
    const reply = await stats.stats({ prefixes: [TABLE, INDEX], partitions: [0, 1, 2, 3] });
    expect(reply).toEqual({
      stats: [
        { items: 2, sizeBytes: 150 },
        { items: 2, sizeBytes: 25 },
      ],
      partitionsNotHeld: [3],
    });
  });

  test('only the partitions asked for, each once', async () => {
    const reply = await stats.stats({ prefixes: [TABLE], partitions: [1, 1] });
    expect(reply).toEqual({ stats: [{ items: 1, sizeBytes: 50 }], partitionsNotHeld: [] });
  });

  test('walks run one at a time, however many requests arrive together', async () => {
    let walking = 0;
    let most = 0;
    const queued = new PrefixStats({
      store: { forEach: async (range, visit) => {
        most = Math.max(most, ++walking);
        await new Promise((resolve) => setTimeout(resolve, 5));
        await store.forEach(range, visit);
        walking--;
      } },
      partitionCount: PARTITIONS,
      holds: () => true,
      log: createLogger({ nodeId: 't', zone: 'a', role: 'storage' }, 'error'),
    });
    await Promise.all([0, 1, 2].map((p) => queued.stats({ prefixes: [TABLE], partitions: [p] })));
    expect(most).toBe(1);
  });

  test('past the queue limit, requests are refused (the router asks another replica)', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const stuck = new PrefixStats({
      store: { forEach: () => blocked },
      partitionCount: PARTITIONS,
      holds: () => true,
      log: createLogger({ nodeId: 't', zone: 'a', role: 'storage' }, 'error'),
    });
    const waiting = Array.from({ length: STATS_REQUESTS_QUEUED_MAX }, () => stuck.stats({ prefixes: [TABLE], partitions: [0] }));
    await expect(stuck.stats({ prefixes: [TABLE], partitions: [0] })).rejects.toThrow(/too many/);
    release();
    await Promise.all(waiting);
    await expect(stuck.stats({ prefixes: [TABLE], partitions: [0] })).resolves.toBeDefined();
  });

  test('requests queue: concurrent ones each get their own answer', async () => {
    held.add(3);
    const [a, b] = await Promise.all([
      stats.stats({ prefixes: [TABLE], partitions: [0, 1, 2, 3] }),
      stats.stats({ prefixes: [OTHER], partitions: [3] }),
    ]);
    expect(a.stats).toEqual([{ items: 3, sizeBytes: 1150 }]);
    expect(b.stats).toEqual([{ items: 1, sizeBytes: 9 }]);
  });

  test('a partition that moves away during its walk is reported, not counted', async () => {
    const walking = new PrefixStats({
      store: { forEach: async (range, visit) => {
        await store.forEach(range, visit);
        held.delete(1);
      } },
      partitionCount: PARTITIONS,
      holds: (p) => held.has(p),
      log: createLogger({ nodeId: 't', zone: 'a', role: 'storage' }, 'error'),
    });
    expect(await walking.stats({ prefixes: [TABLE], partitions: [1] })).toEqual({ stats: [{ items: 0, sizeBytes: 0 }], partitionsNotHeld: [1] });
  });

  test('refuses malformed requests', async () => {
    await expect(stats.stats({ prefixes: [Buffer.alloc(4)], partitions: [0] })).rejects.toThrow(/8 bytes/);
    await expect(stats.stats({ prefixes: [TABLE], partitions: [PARTITIONS + 1] })).rejects.toThrow(/no such partition/);
    const tooMany = Array.from({ length: PREFIX_STATS_PREFIXES_MAX + 1 }, () => TABLE);
    await expect(stats.stats({ prefixes: tooMany, partitions: [0] })).rejects.toThrow(/at most/);
  });
});
