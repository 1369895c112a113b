import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryDisk } from '../src/storage/memory-disk';
import { MemoryStore } from '../src/storage/memory-store';
import { RocksStore } from '../src/storage/rocks-store';
import type { StorageEngine } from '../src/storage/storage-engine';

/** An engine under test: a fresh one on empty data, another on the same data, and clean-up. */
export interface EngineFixture {
  /** An engine on empty data, not yet open. */
  store: StorageEngine;
  /** Another engine on the same data, not yet open (close the first before opening it). */
  sameData(): StorageEngine;
  /** Removes what the engines left (they must be closed). */
  dispose(): void;
}

/** Every storage engine, for suites that run the same cases against each (`describe.each(STORAGE_ENGINES)`). */
export const STORAGE_ENGINES: [string, () => EngineFixture][] = [
  [
    'RocksStore',
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-engine-'));
      return {
        store: new RocksStore(dir),
        sameData: () => new RocksStore(dir),
        dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
  [
    'MemoryStore',
    () => {
      const disk = new MemoryDisk();
      return { store: new MemoryStore(disk), sameData: () => new MemoryStore(disk), dispose: () => undefined };
    },
  ],
];
