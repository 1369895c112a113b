import type { RangeOptions, StorageEngine } from '../src/storage/storage-engine';
import { STORAGE_ENGINES, type EngineFixture } from './storage-engines';

/**
 * The same cases against RocksDB (in a temporary directory) and the simulator's in-memory engine:
 * whatever the storage node relies on must behave the same in both. memory-store.test.ts has what
 * only the in-memory engine has (crashes, wipes, faults, scheduling).
 */

const b = (text: string) => Buffer.from(text, 'latin1');
const text = (buffer: Buffer | undefined) => buffer?.toString('latin1');

describe.each(STORAGE_ENGINES)('%s (storage engine compliance)', (_name, fixture) => {
  let engine: EngineFixture;
  let store: StorageEngine;
  beforeEach(async () => (store = await (engine = fixture()).open()));
  afterEach(() => engine.dispose());

  const put = (key: string, value: string) => store.write({ type: 'put', key: b(key), value: b(value) });
  const keys = async (options: RangeOptions, engineToRead = store) => {
    const seen: string[] = [];
    await engineToRead.forEach(options, (key) => {
      seen.push(text(key)!);
      return true;
    });
    return seen;
  };

  describe('point writes and reads', () => {
    test('a write is read back; a missing key reads as undefined', async () => {
      await put('a', 'one');
      expect(text(await store.get(b('a')))).toBe('one');
      expect(await store.get(b('b'))).toBeUndefined();
    });

    test('a later write replaces, a delete removes, deleting a missing key succeeds', async () => {
      await put('a', 'one');
      await put('a', 'two');
      expect(text(await store.get(b('a')))).toBe('two');
      await store.write({ type: 'del', key: b('a') });
      expect(await store.get(b('a'))).toBeUndefined();
      await expect(store.write({ type: 'del', key: b('never') })).resolves.toBeUndefined();
    });

    test('an empty value is a value, not an absence', async () => {
      await store.write({ type: 'put', key: b('learner'), value: Buffer.alloc(0) });
      const value = await store.get(b('learner'));
      expect(value).toBeInstanceOf(Buffer);
      expect(value!.length).toBe(0);
      expect((await store.getMany([b('learner')]))[0]?.length).toBe(0);
      expect(await keys({})).toEqual(['learner']);
    });

    test('an unsynced write is visible to every read once resolved', async () => {
      await store.writeUnsynced({ type: 'put', key: b('applied'), value: b('7') });
      expect(text(await store.get(b('applied')))).toBe('7');
      expect((await store.getMany([b('applied')])).map(text)).toEqual(['7']);
      expect(await keys({})).toEqual(['applied']);
    });

    test('getMany answers in the order asked, with undefined where absent and repeats answered each time', async () => {
      await Promise.all([put('a', '1'), put('c', '3')]);
      expect((await store.getMany([b('c'), b('b'), b('a'), b('c')])).map(text)).toEqual(['3', undefined, '1', '3']);
      expect(await store.getMany([])).toEqual([]);
    });

    test('many reads at once (which an engine may answer in shared calls) each get their own keys, and see a write acknowledged before them', async () => {
      await Promise.all(Array.from({ length: 300 }, (_, i) => put(`m${i}`, String(i))));
      const asked = Array.from({ length: 300 }, (_, i) => [b(`m${i}`), b(`absent${i}`), b(`m${(i * 7) % 300}`)]);
      const answers = await Promise.all(asked.map((keys) => store.getMany(keys)));
      answers.forEach((values, i) => expect(values.map(text)).toEqual([String(i), undefined, String((i * 7) % 300)]));
      await put('m0', 'new');
      expect((await Promise.all([store.getMany([b('m0')]), store.getMany([b('m1'), b('m0')])])).map((v) => v.map(text))).toEqual([['new'], ['1', 'new']]);
    });

    test('the store keeps its own copy of what it is given', async () => {
      const key = b('k');
      const value = b('before');
      await store.write({ type: 'put', key, value });
      value.write('AFTER!', 'latin1');
      key.write('x', 'latin1');
      expect(text(await store.get(b('k')))).toBe('before');
      expect(await store.get(b('x'))).toBeUndefined();
    });

    test('writes submitted together all land, and of several to one key the last submitted wins', async () => {
      const writes = Array.from({ length: 300 }, (_, i) => put(`key${String(i).padStart(3, '0')}`, `v${i}`));
      writes.push(put('same', 'first'), store.writeUnsynced({ type: 'put', key: b('other'), value: b('u') }), put('same', 'second'));
      await Promise.all(writes);
      expect(await keys({ gte: b('key'), lt: b('kez') })).toHaveLength(300);
      expect(text(await store.get(b('same')))).toBe('second');
      expect(text(await store.get(b('other')))).toBe('u');
    });

    test('an invalid write is refused with abstract-leveldown\'s message, failing the batch it was gathered in', async () => {
      await expect(store.write({ type: 'put', key: Buffer.alloc(0), value: b('x') })).rejects.toThrow('key cannot be an empty Buffer');
      await expect(store.write({ type: 'put', key: b('k') })).rejects.toThrow('value cannot be `null` or `undefined`');
      await expect(store.get(Buffer.alloc(0))).rejects.toThrow('key cannot be an empty Buffer');
      // Group commit writes concurrent writes as one batch: one bad write fails its neighbours too.
      const neighbour = put('n', 'v');
      await expect(store.write({ type: 'put', key: Buffer.alloc(0), value: b('x') })).rejects.toThrow('key cannot be an empty Buffer');
      await expect(neighbour).rejects.toThrow('key cannot be an empty Buffer');
      expect(await store.get(b('n'))).toBeUndefined();
      await put('n', 'v');
      expect(text(await store.get(b('n')))).toBe('v');
    });
  });

  describe('order and ranges', () => {
    test('keys are ordered byte by byte (unsigned, a prefix before its extensions)', async () => {
      const raw = [[0xff], [0x00], [0x61, 0x00], [0x61], [0x80], [0x61, 0xff], [0x62], [0x7f], [0xff, 0x00], [0x01]].map((bytes) => Buffer.from(bytes));
      await Promise.all(raw.map((key) => store.write({ type: 'put', key, value: key })));
      const seen: string[] = [];
      await store.forEach({}, (key) => {
        seen.push(key.toString('hex'));
        return true;
      });
      expect(seen).toEqual([...raw].sort(Buffer.compare).map((key) => key.toString('hex')));
      expect(seen).toEqual(['00', '01', '61', '6100', '61ff', '62', '7f', '80', 'ff', 'ff00']);
    });

    describe('bounds, as rocksdb applies them', () => {
      beforeEach(async () => {
        await Promise.all(['a', 'b', 'c', 'd', 'e'].map((key) => put(key, key.toUpperCase())));
      });

      const empty = Buffer.alloc(0);
      const cases: [string, RangeOptions, string][] = [
        ['no bounds', {}, 'abcde'],
        ['gte', { gte: b('b') }, 'bcde'],
        ['gt', { gt: b('b') }, 'cde'],
        ['lt', { lt: b('d') }, 'abc'],
        ['lte', { lte: b('d') }, 'abcd'],
        ['gte and lt', { gte: b('b'), lt: b('d') }, 'bc'],
        ['gt and lte', { gt: b('b'), lte: b('d') }, 'cd'],
        ['gte between keys', { gte: b('bb') }, 'cde'],
        ['gt between keys', { gt: b('bb') }, 'cde'],
        ['lt between keys', { lt: b('bb') }, 'ab'],
        ['lte between keys', { lte: b('bb') }, 'ab'],
        ['reverse', { reverse: true }, 'edcba'],
        ['reverse lt', { reverse: true, lt: b('d') }, 'cba'],
        ['reverse lte', { reverse: true, lte: b('d') }, 'dcba'],
        ['reverse gte', { reverse: true, gte: b('b') }, 'edcb'],
        ['reverse gt', { reverse: true, gt: b('b') }, 'edc'],
        ['reverse gte and lt', { reverse: true, gte: b('b'), lt: b('d') }, 'cb'],
        ['reverse lte between keys', { reverse: true, lte: b('bb') }, 'ba'],
        ['reverse lt past the end', { reverse: true, lt: b('z') }, 'edcba'],
        ['an empty range', { gte: b('c'), lt: b('c') }, ''],
        ['bounds crossed', { gte: b('d'), lt: b('b') }, ''],
        ['reverse, bounds crossed', { reverse: true, gte: b('d'), lt: b('b') }, ''],
        ['above every key', { gt: b('e') }, ''],
        ['below every key', { lt: b('a') }, ''],
        ['reverse, above every key', { reverse: true, gt: b('e') }, ''],
        ['empty buffers do not bound', { gte: empty, lt: empty }, 'abcde'],
        ['reverse, empty buffers do not bound', { reverse: true, gt: empty, lte: empty }, 'edcba'],
        // rocksdb seeks to gte (not gt) and stops at the first key out of any bound: not an intersection.
        ['gte below gt: stops at once', { gte: b('a'), gt: b('c') }, ''],
        ['gt below gte', { gt: b('a'), gte: b('c') }, 'cde'],
        ['reverse, lte above lt: stops at once', { reverse: true, lte: b('e'), lt: b('c') }, ''],
        ['reverse, lt above lte', { reverse: true, lt: b('e'), lte: b('c') }, 'cba'],
      ];
      test.each(cases)('%s', async (_case, options, expected) => {
        expect((await keys(options)).join('')).toBe(expected);
      });

      test('entries come with their values', async () => {
        const entries: string[] = [];
        await store.forEach({ gte: b('c'), reverse: true }, (key, value) => {
          entries.push(`${text(key)}=${text(value)}`);
          return true;
        });
        expect(entries).toEqual(['e=E', 'd=D', 'c=C']);
      });

      test('a visit that returns false ends the walk', async () => {
        let visits = 0;
        await store.forEach({}, () => ++visits < 2);
        expect(visits).toBe(2);
      });

      test('a visit that throws fails the walk', async () => {
        await expect(
          store.forEach({}, () => {
            throw new Error('visitor failed');
          }),
        ).rejects.toThrow('visitor failed');
      });
    });

    test('a prefix range holds exactly the keys with that prefix', async () => {
      const raw = [[0x41], [0x41, 0x00], [0x41, 0xff, 0xff], [0x40, 0xff], [0x42], [0x42, 0x00]].map((bytes) => Buffer.from(bytes));
      await Promise.all(raw.map((key) => store.write({ type: 'put', key, value: key })));
      const seen: string[] = [];
      await store.forEach({ gte: Buffer.from([0x41]), lt: Buffer.from([0x42]) }, (key) => {
        seen.push(key.toString('hex'));
        return true;
      });
      expect(seen).toEqual(['41', '4100', '41ffff']);
    });

    test('a walk sees the data as of its call, whatever is written while it runs', async () => {
      const value = b('v'.repeat(100));
      // The changes must land while the walk runs for the check to mean anything; a synced write
      // can outlast a short walk on a busy machine, so each round walks twice as many rows.
      for (let round = 0, count = 3000; ; round++, count *= 2) {
        const name = (i: number) => `r${round}-${String(i).padStart(6, '0')}`;
        const prefix = { gte: b(`r${round}-`), lt: b(`r${round}.`) };
        await Promise.all(Array.from({ length: count }, (_, i) => store.write({ type: 'put', key: b(name(i)), value })));
        const seen: string[] = [];
        let landed = false;
        const walking = store.forEach(prefix, (key) => {
          seen.push(text(key)!);
          return true;
        });
        // Deletes of keys ahead of the walk and a new key at its end, all landing while it walks.
        const changes = Promise.all([
          store.write({ type: 'del', key: b(name(count - 1)) }),
          store.writeUnsynced({ type: 'del', key: b(name(count / 2)) }),
          store.write({ type: 'put', key: b(name(count)), value }),
        ]).then(() => (landed = true));
        const landedWhileWalking = await walking.then(() => landed);
        await changes;
        // Whenever the changes landed, the walk did not see them.
        expect(seen).toHaveLength(count);
        expect(seen[seen.length - 1]).toBe(name(count - 1));
        expect(await keys(prefix)).toHaveLength(count - 2 + 1);
        if (landedWhileWalking) break;
        expect(round).toBeLessThan(5);
      }
    });
  });

  describe('clearRange', () => {
    test('deletes exactly [gte, lt)', async () => {
      await Promise.all(['a', 'b', 'bz', 'c', 'd'].map((key) => put(key, key)));
      await store.clearRange(b('b'), b('c'));
      expect(await keys({})).toEqual(['a', 'c', 'd']);
      expect(await store.get(b('b'))).toBeUndefined();
      expect((await store.getMany([b('bz'), b('c')])).map(text)).toEqual([undefined, 'c']);
    });

    test('a range with nothing in it is cleared at once; a range past many batches is cleared whole', async () => {
      await store.clearRange(b('x'), b('y'));
      const COUNT = 5000;
      await Promise.all(Array.from({ length: COUNT }, (_, i) => put(`t/${String(i).padStart(5, '0')}`, 'v')));
      await put('u', 'kept');
      await store.clearRange(b('t/'), b('t0'));
      expect(await keys({})).toEqual(['u']);
    });

    test('an empty lower bound clears from the first key', async () => {
      await Promise.all(['a', 'b', 'c'].map((key) => put(key, key)));
      await store.clearRange(Buffer.alloc(0), b('c'));
      expect(await keys({})).toEqual(['c']);
    });

    test('a key written after the clear was called is kept; writes after it land as usual', async () => {
      await Promise.all(['a', 'b'].map((key) => put(key, key)));
      const clearing = store.clearRange(b('a'), b('z'));
      const late = put('m', 'late');
      await Promise.all([clearing, late]);
      expect(await keys({})).toEqual(['m']);
      await put('a', 'again');
      expect(text(await store.get(b('a')))).toBe('again');
    });

    test('point reads through the record cache see the clear', async () => {
      await put('c1', 'x');
      expect((await store.getMany([b('c1')])).map(text)).toEqual(['x']);
      expect((await store.getMany([b('c1')])).map(text)).toEqual(['x']);
      await store.clearRange(b('c'), b('d'));
      expect(await store.getMany([b('c1')])).toEqual([undefined]);
    });
  });

  describe('sizes and properties', () => {
    test('approximateSize is a byte count', async () => {
      await Promise.all(Array.from({ length: 100 }, (_, i) => put(`s${i}`, 'x'.repeat(100))));
      const size = await store.approximateSize(b('s'), b('t'));
      expect(Number.isInteger(size)).toBe(true);
      expect(size).toBeGreaterThanOrEqual(0);
      expect(await store.approximateSize(b('x'), b('y'))).toBe(0);
    });

    test('numeric properties: known ones are numbers while open, unknown ones undefined', async () => {
      await put('a', '1');
      expect(typeof store.numericProperty('rocksdb.estimate-num-keys')).toBe('number');
      for (const property of ['rocksdb.estimate-live-data-size', 'rocksdb.num-files-at-level0', 'rocksdb.background-errors', 'rocksdb.is-write-stopped']) {
        expect(typeof store.numericProperty(property)).toBe('number');
      }
      expect(store.numericProperty('rocksdb.no-such-property')).toBeUndefined();
    });
  });

  describe('close and open', () => {
    test('what was written, synced or not, and cleared is there after a clean close and open', async () => {
      await Promise.all([put('a', 'synced'), put('b', 'to clear'), store.writeUnsynced({ type: 'put', key: b('c'), value: b('unsynced') })]);
      await store.clearRange(b('b'), b('c'));
      store = await engine.reopen();
      expect(await keys({})).toEqual(['a', 'c']);
      expect((await store.getMany([b('a'), b('c')])).map(text)).toEqual(['synced', 'unsynced']);
    });

    test('the same engine opens again after closing', async () => {
      await put('a', '1');
      await store.close();
      expect(store.numericProperty('rocksdb.estimate-num-keys')).toBeUndefined();
      await store.open();
      expect(text(await store.get(b('a')))).toBe('1');
    });
  });
});
