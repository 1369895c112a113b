/**
 * What encryption at rest costs a storage node: CPU per value sealed and opened (AES-256-GCM), and
 * CPU per put and per read through RocksDB (synced group commit, 64 writers) with and without the
 * sealing layer. CPU time (process.cpuUsage), not wall time: the machine is shared.
 *
 *   npx tsx scripts/bench-encryption-at-rest.ts [puts=20000]
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileKeyProvider, ValueSealer } from '@triad/encryption';
import { engineWithEncryption } from '../packages/storage-node/src/storage/encryption-at-rest';
import { createRocksStore } from '../packages/storage-node/src/storage/rocks-store';
import type { StorageEngine } from '../packages/storage-node/src/storage/storage-engine';

const PUTS = Number(process.argv[2] ?? 20_000);
const WRITERS = 64;

function cpuMicros(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

async function cpuMicrosAsync(run: () => Promise<void>): Promise<{ cpu: number; wallMs: number }> {
  const start = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await run();
  const used = process.cpuUsage(start);
  return { cpu: used.user + used.system, wallMs: Number(process.hrtime.bigint() - t0) / 1e6 };
}

function sealing(): void {
  const sealer = new ValueSealer(new Map([[1, randomBytes(32)]]), 1, 1);
  const aad = Buffer.from('d\x00\x07table-id-and-key');
  for (const size of [100, 1024, 4096, 65_536]) {
    const value = randomBytes(size);
    const n = size > 10_000 ? 5_000 : 50_000;
    const sealed = sealer.seal(value, aad);
    cpuMicros(() => { for (let i = 0; i < 1000; i++) sealer.open(sealer.seal(value, aad), aad); }); // warm up
    const seal = cpuMicros(() => { for (let i = 0; i < n; i++) sealer.seal(value, aad); }) / n;
    const open = cpuMicros(() => { for (let i = 0; i < n; i++) sealer.open(sealed, aad); }) / n;
    console.log(`value ${String(size).padStart(6)} B: seal ${seal.toFixed(2)} µs, open ${open.toFixed(2)} µs CPU`);
  }
}

async function engine(encrypted: boolean): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-bench-sealed-'));
  const store: StorageEngine = engineWithEncryption(createRocksStore, encrypted ? new FileKeyProvider(randomBytes(32)) : undefined)({ dataDir: dir });
  await store.open();
  // ~1 KB records, each different and incompressible: sealed values do not compress, so plain ones
  // must not either, or the comparison measures RocksDB's compression rather than the sealing.
  const values = Array.from({ length: PUTS }, () => Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), randomBytes(1019)]));
  const key = (i: number) => Buffer.from(`d\x00\x07tableid0${String(i).padStart(10, '0')}`);
  const writes = await cpuMicrosAsync(async () => {
    let next = 0;
    await Promise.all(Array.from({ length: WRITERS }, async () => {
      while (next < PUTS) {
        const i = next++;
        await store.write({ type: 'put', key: key(i), value: values[i] });
      }
    }));
  });
  const readAll = () => cpuMicrosAsync(async () => {
    for (let i = 0; i < PUTS; i += 100) await store.getMany(Array.from({ length: 100 }, (_, j) => key((i + j * 7919) % PUTS)));
  });
  // Hot: a working set of 2,000 records read over and over (the record cache holds them).
  const HOT = 2000;
  const readHot = () => cpuMicrosAsync(async () => {
    for (let i = 0; i < PUTS; i += 100) await store.getMany(Array.from({ length: 100 }, (_, j) => key((i + j * 7919) % HOT)));
  });
  await readHot();
  const reads = await readHot();
  await store.close();
  await store.open(); // cold: an empty record cache, every value read from RocksDB and opened
  const coldReads = await readAll();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(
    `${encrypted ? 'sealed' : 'plain '}: put ${(writes.cpu / PUTS).toFixed(1)} µs CPU (${Math.round(PUTS / (writes.wallMs / 1000))} puts/s synced, ${WRITERS} writers), ` +
      `read ${(reads.cpu / PUTS).toFixed(1)} µs CPU per key hot, ${(coldReads.cpu / PUTS).toFixed(1)} µs cold (getMany of 100)`,
  );
}

async function main(): Promise<void> {
  sealing();
  // Alternating, so that neither runs always first on a warmed (or busier) disk.
  for (const encrypted of [false, true, true, false, false, true]) await engine(encrypted);
}

void main();
