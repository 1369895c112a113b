/**
 * What the storage node needs of its ordered key-value engine: RocksDB in production
 * (`RocksStore`), an in-memory model of it in the simulator (`MemoryStore`). Keys are ordered
 * byte-wise. The compliance suite (test/storage-engine-compliance.test.ts) runs the same cases
 * against both, so that the simulator's engine behaves as RocksDB does for every call made here.
 */

export interface WriteOp {
  type: 'put' | 'del';
  key: Buffer;
  value?: Buffer;
}

/**
 * A key range, as RocksDB's iterator takes it: bounds that are absent or empty buffers do not
 * bound. The iterator seeks to `gte` (else `gt`; with `reverse`, to `lte`, else `lt`) and stops at
 * the first key outside any bound, so a range with both `gte` and `gt` (or `lte` and `lt`) is not
 * simply their intersection: callers give one lower and one upper bound.
 */
export interface RangeOptions {
  gt?: Buffer;
  gte?: Buffer;
  lt?: Buffer;
  lte?: Buffer;
  reverse?: boolean;
}

/**
 * Writes (each one or a few operations) from concurrent requests that share one batch of the
 * engine's group commit (one synced RocksDB write): enough to carry a busy node's writes in a few
 * batches, small enough that one batch's write stays short.
 */
export const GROUP_COMMIT_WRITES_MAX = 4096;

export interface StorageEngine {
  /** Opens (recovering what the disk holds); the engine serves nothing before. */
  open(): Promise<void>;
  /** Closes; nothing may be called after, except `open` again. */
  close(): Promise<void>;
  /** A numeric engine property named as RocksDB names it (`rocksdb.estimate-num-keys`, …); undefined when closed or unknown. */
  numericProperty(property: string): number | undefined;
  /** Durable once resolved: the write is in a synced batch (group commit). */
  write(op: WriteOp): Promise<void>;
  /**
   * Written (visible to reads) once resolved, but not synced: for state that a synced log entry
   * already makes durable. The engine keeps one ordered write-ahead log, so a synced write that
   * lands after this one makes it durable too, and a crash loses only a suffix of such writes.
   */
  writeUnsynced(op: WriteOp): Promise<void>;
  /** Several operations that land together, in one submission to the group commit: `write` or `writeUnsynced` of them all. */
  writeAll(ops: readonly WriteOp[], sync: boolean): Promise<void>;
  get(key: Buffer): Promise<Buffer | undefined>;
  /**
   * The key's value if the engine can tell without a read (an item record in its record cache): the
   * value, null when it knows the key has none, undefined when only a read can tell. Never older
   * than an acknowledged write, as `getMany`.
   */
  peek(key: Buffer): Buffer | null | undefined;
  /** The values of many keys (undefined where absent). The buffers may be shared: callers must not modify them. */
  getMany(keys: Buffer[]): Promise<(Buffer | undefined)[]>;
  /** Calls `visit` for each entry of the range in order until it returns false; sees the data as of the call. */
  forEach(options: RangeOptions, visit: (key: Buffer, value: Buffer) => boolean): Promise<void>;
  /** Deletes the keys in [gte, lt) as of the call, without a sync (used to drop a table or a partition). */
  clearRange(gte: Buffer, lt: Buffer): Promise<void>;
  /** Roughly how many bytes the range takes on disk. */
  approximateSize(start: Buffer, end: Buffer): Promise<number>;
}

export interface StorageEngineInit {
  /** The node's data directory (RocksDB keeps its files in its `rocksdb` folder). */
  dataDir: string;
  /** Called after each synced group-commit batch with its size and how long its write and sync took. */
  onGroupCommit?: (ops: number, seconds: number) => void;
}

/** Builds the engine a storage node opens; the simulator passes one that returns its node's `MemoryStore`. */
export type StorageEngineFactory = (init: StorageEngineInit) => StorageEngine;
