import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileKeyProvider, SEALED_MAGIC, keyringPath } from '@triad/encryption';
import { encodeRecord } from '../src/storage/record-codec';
import { createRocksStore } from '../src/storage/rocks-store';
import { engineWithEncryption } from '../src/storage/encryption-at-rest';
import { dataKey } from '../src/storage/storage-keys';

const MARKER = 'marker-4111-1111-1111-1111';

/** Every byte of every file under `dir` (RocksDB's SSTs, write-ahead log, manifest, …). */
function filesContaining(dir: string, needle: Buffer): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (fs.readFileSync(full).includes(needle)) hits.push(path.relative(dir, full));
    }
  };
  walk(dir);
  return hits;
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-sealed-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const record = () => encodeRecord({ term: 1, seq: 1 }, { pk: { S: 'k' }, card: { S: MARKER } }, 40);
const key = dataKey(3, Buffer.from('table-1:k'));

describe('encryption at rest (engine layer)', () => {
  test("with a key provider, no file of RocksDB's holds a written value (write-ahead log and SSTs); without one, the WAL does", async () => {
    for (const provider of [new FileKeyProvider(randomBytes(32)), undefined]) {
      const dataDir = path.join(dir, provider ? 'sealed' : 'plain');
      const store = engineWithEncryption(createRocksStore, provider)({ dataDir });
      await store.open();
      await store.write({ type: 'put', key, value: record() });
      expect((await store.get(key))?.includes(MARKER)).toBe(true);
      await store.close(); // closing flushes the memtable to an SST
      expect(filesContaining(dataDir, Buffer.from(MARKER)).length > 0).toBe(!provider);
      // The key stays readable: RocksDB orders by it.
      expect(filesContaining(dataDir, Buffer.from('table-1:k')).length).toBeGreaterThan(0);
    }
  });

  test('data written before encryption was turned on stays readable, beside sealed values', async () => {
    const plain = createRocksStore({ dataDir: dir });
    await plain.open();
    await plain.write({ type: 'put', key, value: record() });
    await plain.close();
    const sealed = engineWithEncryption(createRocksStore, new FileKeyProvider(randomBytes(32)))({ dataDir: dir });
    await sealed.open();
    const other = dataKey(3, Buffer.from('table-1:m'));
    await sealed.write({ type: 'put', key: other, value: record() });
    expect(await sealed.getMany([key, other])).toEqual([record(), record()]);
    const seen: Buffer[] = [];
    await sealed.forEach({ gte: dataKey(3, Buffer.alloc(0)) }, (_k, v) => seen.push(v) > 0);
    expect(seen).toEqual([record(), record()]);
    await sealed.close();
    const raw = createRocksStore({ dataDir: dir });
    await raw.open();
    expect((await raw.get(key))![0]).not.toBe(SEALED_MAGIC);
    expect((await raw.get(other))![0]).toBe(SEALED_MAGIC);
    await raw.close();
  });

  test('a node without its master key refuses an encrypted data directory; a wrong key is refused at open', async () => {
    const provider = new FileKeyProvider(randomBytes(32));
    const sealed = engineWithEncryption(createRocksStore, provider)({ dataDir: dir });
    await sealed.open();
    await sealed.close();
    expect(fs.existsSync(keyringPath(dir))).toBe(true);
    expect(() => engineWithEncryption(createRocksStore, undefined)({ dataDir: dir })).toThrow(/--master-key-file/);
    const wrong = engineWithEncryption(createRocksStore, new FileKeyProvider(randomBytes(32)))({ dataDir: dir });
    await expect(wrong.open()).rejects.toThrow(/master key/);
    // The failed open let go of RocksDB's lock: the right key opens it.
    const right = engineWithEncryption(createRocksStore, provider)({ dataDir: dir });
    await right.open();
    await right.close();
  });

  test('no plain value the node writes starts with the sealed magic byte', () => {
    const float = Buffer.alloc(8);
    for (const n of [0, 1, 2 ** 53 - 1, 1.8e12]) {
      float.writeDoubleBE(n, 0);
      expect(float[0]).toBeLessThan(SEALED_MAGIC);
    }
    expect(encodeRecord({ term: 1, seq: 1 }, undefined, 0)[0]).toBeLessThan(SEALED_MAGIC);
    expect(encodeRecord({ term: 1, seq: 1 }, { a: { S: 'x' } }, 5)[0]).toBeLessThan(SEALED_MAGIC);
    expect(Buffer.from(JSON.stringify({}))[0]).toBeLessThan(SEALED_MAGIC);
  });
});
