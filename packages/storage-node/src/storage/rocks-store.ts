import fs from 'node:fs';
import path from 'node:path';
import rocksdb from 'rocksdb';
import { Batcher } from '@triad/rpc';
import { GroupCommit } from './group-commit';
import { RecordCache } from './record-cache';
import { type RangeOptions, type StorageEngine, type StorageEngineFactory, type WriteOp } from './storage-engine';

/**
 * Point reads in one RocksDB call at most. Each call is a hand-off to a worker thread and back,
 * which costs far more than the lookups themselves; reads that arrive in the same turn of the
 * event loop (a follower applying an Append's entries, a leader's writes to different keys) share
 * one.
 */
const POINT_READ_BATCH_KEYS_MAX = 256;
/** Read calls outstanding at once; more reads wait and go together in the next. */
const POINT_READ_CALLS_IN_FLIGHT_MAX = 2;

/**
 * The node's one RocksDB database. Every write goes through group commit: while one synced batch
 * is being written, new writes gather and go down together in the next, so an acknowledged write
 * is in the synced write-ahead log without a sync per request.
 */
export class RocksStore implements StorageEngine {
  private readonly db: rocksdb.RocksDatabase;
  private readonly groupCommit: GroupCommit;
  /** Properties may be read only between open() and close() (the binding does not check). */
  private isOpen = false;
  /** Hot records for getMany (see record-cache.ts); every write and range clear goes past it. */
  private readonly recordCache = new RecordCache();
  private readonly pointReads = new Batcher<Buffer, Buffer | undefined>((keys) => this.readMany(keys), {
    batchSizeMax: POINT_READ_BATCH_KEYS_MAX,
    inFlightMax: POINT_READ_CALLS_IN_FLIGHT_MAX,
  });
  constructor(
    readonly location: string,
    /** Called after each synced batch with its size and how long the write and sync took. */
    private readonly onGroupCommit?: (ops: number, seconds: number) => void,
  ) {
    fs.mkdirSync(location, { recursive: true });
    this.db = rocksdb(location);
    this.groupCommit = new GroupCommit((ops, sync) => this.writeBatch(ops, sync));
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) =>
      this.db.open({ createIfMissing: true }, (error) => {
        if (error) return reject(error);
        this.isOpen = true;
        resolve();
      }),
    );
  }

  close(): Promise<void> {
    this.isOpen = false;
    this.recordCache.clear();
    return new Promise((resolve, reject) => this.db.close((error) => (error ? reject(error) : resolve())));
  }

  /** A numeric RocksDB property (`rocksdb.estimate-num-keys`, …); undefined when closed or unknown to RocksDB. */
  numericProperty(property: string): number | undefined {
    if (!this.isOpen) return undefined;
    const text = this.db.getProperty(property);
    if (text === '') return undefined;
    const value = Number(text);
    return Number.isFinite(value) ? value : undefined;
  }

  /** Durable once resolved: the write is in a synced batch. */
  write(op: WriteOp): Promise<void> {
    return this.writeAll([op], true);
  }

  /**
   * Written (visible to iterators) once resolved, but not synced: for state that a synced log entry
   * already makes durable (applying committed entries). RocksDB keeps one ordered write-ahead log,
   * so any later synced write makes this durable too, and a crash loses only a suffix of such writes.
   */
  writeUnsynced(op: WriteOp): Promise<void> {
    return this.writeAll([op], false);
  }

  writeAll(ops: readonly WriteOp[], sync: boolean): Promise<void> {
    for (const op of ops) this.recordCache.invalidate(op.key);
    return this.groupCommit.write(ops, sync);
  }

  private writeBatch(ops: WriteOp[], sync: boolean): Promise<void> {
    const started = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      this.db.batch(ops, { sync }, (error) => {
        this.recordCache.batchDone(ops, error !== undefined && error !== null);
        if (sync) this.onGroupCommit?.(ops.length, Number(process.hrtime.bigint() - started) / 1e9);
        if (error) reject(error);
        else resolve();
      });
    });
  }

  get(key: Buffer): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      this.db.get(key, { asBuffer: true }, (error, value) => {
        if (error) {
          if (/NotFound/i.test(error.message)) resolve(undefined);
          else reject(error);
        } else resolve(value as Buffer);
      });
    });
  }

  /**
   * The values of many keys (undefined where absent), from the record cache where it has them. The
   * buffers may be shared with other readers: callers must not modify them.
   */
  peek(key: Buffer): Buffer | null | undefined {
    return this.recordCache.peek(key);
  }

  getMany(keys: Buffer[]): Promise<(Buffer | undefined)[]> {
    return this.recordCache.readThrough(keys, (missing) => Promise.all(missing.map((key) => this.pointReads.submit(key))));
  }

  private readMany(keys: Buffer[]): Promise<(Buffer | undefined)[]> {
    return new Promise((resolve, reject) => this.db.getMany(keys, { asBuffer: true }, (error, found) => (error ? reject(error) : resolve(found))));
  }

  /** Calls `visit` for each entry in order until it returns false. */
  async forEach(options: RangeOptions, visit: (key: Buffer, value: Buffer) => boolean): Promise<void> {
    const iterator = this.db.iterator({ ...options, keyAsBuffer: true, valueAsBuffer: true });
    try {
      for (;;) {
        const entry = await new Promise<[Buffer, Buffer] | undefined>((resolve, reject) =>
          iterator.next((error, key, value) => (error ? reject(error) : resolve(key === undefined ? undefined : [key as Buffer, value as Buffer]))),
        );
        if (!entry || !visit(entry[0], entry[1])) return;
      }
    } finally {
      await new Promise<void>((resolve) => iterator.end(() => resolve()));
    }
  }

  /** Deletes a key range (used to drop a table). */
  clearRange(gte: Buffer, lt: Buffer): Promise<void> {
    this.recordCache.clear();
    return new Promise((resolve, reject) =>
      this.db.clear({ gte, lt }, (error) => {
        this.recordCache.clear();
        if (error) reject(error);
        else resolve();
      }),
    );
  }

  approximateSize(start: Buffer, end: Buffer): Promise<number> {
    return new Promise((resolve, reject) =>
      this.db.approximateSize(start, end, (error, size) => (error ? reject(error) : resolve(size ?? 0))),
    );
  }
}

/** The production engine: RocksDB in `<dataDir>/rocksdb`. */
export const createRocksStore: StorageEngineFactory = ({ dataDir, onGroupCommit }) => new RocksStore(path.join(dataDir, 'rocksdb'), onGroupCommit);
