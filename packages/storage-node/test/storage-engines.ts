import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryDisk } from '../src/storage/memory-disk';
import { MemoryStore } from '../src/storage/memory-store';
import { RocksStore } from '../src/storage/rocks-store';
import type { StorageEngine } from '../src/storage/storage-engine';
import { SealedEngine } from '../src/storage/sealed-engine';
import { FileKeyProvider, keyringPath, openKeyring } from '@triad/encryption';
import { randomBytes } from 'node:crypto';

/** An engine under test, on data of its own. */
export interface EngineFixture {
  /** Opens an engine on the fixture's data (empty at first). */
  open(): Promise<StorageEngine>;
  /** Closes the open engine and opens another on the same data: a clean restart. */
  reopen(): Promise<StorageEngine>;
  /** Closes the open engine and removes its data. */
  dispose(): Promise<void>;
}

function fixture(create: () => StorageEngine, removeData: () => void): EngineFixture {
  let current: StorageEngine | undefined;
  const open = async () => {
    current = create();
    await current.open();
    return current;
  };
  return {
    open,
    reopen: async () => {
      await current?.close();
      return open();
    },
    dispose: async () => {
      await current?.close();
      removeData();
    },
  };
}

/** Every storage engine, for suites that run the same cases against each (`describe.each(STORAGE_ENGINES)`). */
export const STORAGE_ENGINES: [string, () => EngineFixture][] = [
  [
    'RocksStore',
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-engine-'));
      return fixture(() => new RocksStore(dir), () => fs.rmSync(dir, { recursive: true, force: true }));
    },
  ],
  [
    // RocksDB with encryption at rest: the same behaviour, whatever the values look like on disk.
    'SealedEngine(RocksStore)',
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-engine-'));
      const provider = new FileKeyProvider(randomBytes(32));
      return fixture(
        () => new SealedEngine(new RocksStore(path.join(dir, 'rocksdb')), () => openKeyring(keyringPath(dir), provider)),
        () => fs.rmSync(dir, { recursive: true, force: true }),
      );
    },
  ],
  [
    'MemoryStore',
    () => {
      const disk = new MemoryDisk();
      return fixture(() => new MemoryStore(disk), () => undefined);
    },
  ],
];
