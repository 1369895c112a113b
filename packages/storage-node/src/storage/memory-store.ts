import { GroupCommit } from './group-commit';
import { RecordCache } from './record-cache';
import { MemoryDisk, applyWriteOp, emptyImage, type DiskHolder, type DiskImage, type LogRecord } from './memory-disk';
import type { RangeOptions, StorageEngine, WriteOp } from './storage-engine';

/**
 * The storage engine of the deterministic simulator: RocksDB as `RocksStore` drives it, in memory,
 * on a `MemoryDisk` that outlives the engine (crash, restart, wipe). It does what RocksDB does for
 * every call the storage node makes (test/storage-engine-compliance.test.ts runs the same cases on
 * both), including the parts that matter when things go wrong:
 *
 *  - writes go through the same group commit as RocksStore (one `GroupCommit` stream, synced and unsynced writes in order),
 *    then one at a time through RocksDB's write queue: a batch is appended to the log, then synced
 *    if it is a synced batch, then applied to the live view. A slow sync holds up every batch
 *    behind it, synced or not, and a sync makes every earlier batch durable;
 *  - an I/O error on a write or a sync fails its batch and, as in RocksDB (a background error),
 *    every write after it until the engine is reopened; a batch whose sync failed is not visible
 *    but is in the log, so it may come back when the log is replayed;
 *  - an iterator sees the data as of the call, and visits it in chunks, between which anything
 *    else may run; a range clear deletes what the range held at the call, in unsynced chunks;
 *  - key and value validation with abstract-leveldown's messages (a bad write fails its whole batch).
 *
 * It has no timers, clock or randomness: every step that RocksDB would complete later (a batch
 * leaving a batcher, a write, a sync, a read, an iterator chunk) goes through `schedule`, so the
 * simulator orders and delays them, and `fault` decides the I/O errors and slow syncs.
 */

/** A step of work that RocksDB would complete asynchronously. */
export type MemoryStoreStep =
  | { kind: 'open' | 'close' | 'read' | 'scan' | 'clear' | 'size' }
  /** A group-commit batcher forms its next batch (RocksStore's batchers wait one turn of the event loop). */
  | { kind: 'gather' }
  /** A batch is appended to the log (and, unsynced, applied). */
  | { kind: 'write'; synced: boolean; ops: number; bytes: number }
  /** The log is synced through a synced batch, which is then applied. */
  | { kind: 'sync'; ops: number; bytes: number };

/** Where an injected fault may strike: writing a batch to the log, or syncing the log after a synced batch. */
export interface StorageFaultPoint {
  kind: 'write' | 'sync';
  synced: boolean;
  ops: number;
  bytes: number;
}

export type StorageFault =
  /** The step fails with RocksDB's "IO error", and so does every write after it until the engine is reopened. */
  | { kind: 'ioError' }
  /** The step completes `delayMs` late (a stalled fsync); the simulator's scheduler applies the delay. */
  | { kind: 'slow'; delayMs: number };

export interface MemoryStoreHooks {
  /**
   * Runs `run` when the simulator decides the step completes, `delayMs` (from a slow fault) later
   * than it would have. Default: a microtask (the delay is then ignored).
   */
  schedule?: (run: () => void, step: MemoryStoreStep, delayMs: number) => void;
  /** The fault, if any, at a fault point; it must draw from the simulator's seeded source. Default: none. */
  fault?: (point: StorageFaultPoint) => StorageFault | undefined;
}

/** rocksdb's iterators fetch entries from RocksDB in chunks of this many bytes of keys and values (its highWaterMark). */
const ITERATOR_CHUNK_BYTES = 16 * 1024;
/** rocksdb's range clear deletes keys in batches of a little over this many bytes of keys. */
const CLEAR_CHUNK_BYTES = 16 * 1024;

type State = 'closed' | 'opening' | 'open' | 'closing' | 'dead';

interface QueuedBatch {
  ops: WriteOp[];
  synced: boolean;
  settle: (error?: Error) => void;
}

/** A range bound is absent when missing or empty, as in rocksdb's binding. */
const bound = (key: Buffer | undefined) => (key !== undefined && key.length > 0 ? key : undefined);

/** The abstract-leveldown check of a key; its message when invalid. */
function keyError(key: Buffer | undefined): Error | undefined {
  if (key === null || key === undefined) return new Error('key cannot be `null` or `undefined`');
  if (key.length === 0) return new Error('key cannot be an empty Buffer');
  return undefined;
}

function batchError(ops: readonly WriteOp[]): Error | undefined {
  for (const op of ops) {
    const error = keyError(op.key);
    if (error) return error;
    if (op.type === 'put' && (op.value === null || op.value === undefined)) return new Error('value cannot be `null` or `undefined`');
  }
  return undefined;
}

const opBytes = (ops: readonly WriteOp[]) => ops.reduce((sum, op) => sum + op.key.length + (op.value?.length ?? 0), 0);

/** A cursor over a snapshot, positioned and bounded as rocksdb's iterator is (see RangeOptions). */
class RangeCursor {
  private readonly at: ReturnType<DiskImage['ge']>;
  private readonly reverse: boolean;
  private readonly gt: Buffer | undefined;
  private readonly gte: Buffer | undefined;
  private readonly lt: Buffer | undefined;
  private readonly lte: Buffer | undefined;

  constructor(snapshot: DiskImage, range: RangeOptions) {
    this.reverse = range.reverse === true;
    this.gt = bound(range.gt);
    this.gte = bound(range.gte);
    this.lt = bound(range.lt);
    this.lte = bound(range.lte);
    if (!this.reverse) this.at = this.gte ? snapshot.ge(this.gte) : this.gt ? snapshot.gt(this.gt) : snapshot.begin;
    else this.at = this.lte ? snapshot.le(this.lte) : this.lt ? snapshot.lt(this.lt) : snapshot.end;
  }

  /** The entry at the cursor, or undefined at the first key out of range (iteration stops there). */
  get current(): [Buffer, Buffer] | undefined {
    if (!this.at.valid) return undefined;
    const key = this.at.key;
    const outside =
      (this.lt && Buffer.compare(key, this.lt) >= 0) ||
      (this.lte && Buffer.compare(key, this.lte) > 0) ||
      (this.gt && Buffer.compare(key, this.gt) <= 0) ||
      (this.gte && Buffer.compare(key, this.gte) < 0);
    return outside ? undefined : [key, this.at.value];
  }

  advance(): void {
    if (this.reverse) this.at.prev();
    else this.at.next();
  }
}

export class MemoryStore implements StorageEngine, DiskHolder {
  private state: State = 'closed';
  /** The live view (memtables and table files): what reads see. */
  private live: DiskImage = emptyImage();
  private liveBytes = 0;
  /** Bumped when the process dies: steps scheduled before do nothing. */
  private incarnation = 0;
  private readonly groupCommit: GroupCommit;
  /** RocksDB's write queue: batches are written (and synced) one at a time, in this order. */
  private readonly writeQueue: QueuedBatch[] = [];
  private writing = false;
  /** Set by an I/O error: RocksDB then refuses every write until it is reopened. */
  private writeError: Error | undefined;
  private ioErrors = 0;
  /** Operations accepted and not yet settled: `close` waits for them. */
  private inFlight = 0;
  private onIdle: (() => void) | undefined;
  /** As in RocksStore, so that the simulator runs the cache's code too. */
  private readonly recordCache = new RecordCache();

  constructor(
    readonly disk: MemoryDisk = new MemoryDisk(),
    private readonly hooks: MemoryStoreHooks = {},
  ) {
    this.groupCommit = new GroupCommit(
      (ops, synced) => this.writeBatch(ops, synced),
      (flush) => this.step({ kind: 'gather' }, flush),
    );
  }

  open(): Promise<void> {
    if (this.state !== 'closed') return Promise.reject(new Error(`cannot open a store that is ${this.state}`));
    // Locked at once, so that a crash while the engine opens kills it too.
    try {
      this.disk.lock(this);
    } catch (error) {
      return Promise.reject(error);
    }
    this.state = 'opening';
    return new Promise((resolve) =>
      this.step({ kind: 'open' }, () => {
        this.live = this.disk.recover();
        this.liveBytes = 0;
        for (let at = this.live.begin; at.valid; at.next()) this.liveBytes += at.key.length + at.value.length;
        this.writeError = undefined;
        this.ioErrors = 0;
        this.state = 'open';
        resolve();
      }),
    );
  }

  /** Waits for the operations in flight, then lets go of the disk; later calls fail until `open`. */
  close(): Promise<void> {
    if (this.state !== 'open') return Promise.resolve();
    this.state = 'closing';
    this.recordCache.clear();
    return new Promise((resolve) => {
      const release = () =>
        this.step({ kind: 'close' }, () => {
          this.disk.unlock(this);
          this.state = 'closed';
          resolve();
        });
      if (this.inFlight === 0) release();
      else this.onIdle = release;
    });
  }

  /** The process died (MemoryDisk.crash or wipe): nothing in flight settles, nothing scheduled runs. */
  die(): void {
    this.state = 'dead';
    this.incarnation++;
    this.writeQueue.length = 0;
    this.onIdle = undefined;
  }

  /**
   * A memtable flush, which RocksDB runs in the background when it likes: everything written so far
   * becomes durable, synced or not. The simulator calls it at seeded moments.
   */
  flush(): void {
    if (this.state === 'open' || this.state === 'closing') this.disk.flush(this.live);
  }

  numericProperty(property: string): number | undefined {
    if (this.state !== 'open') return undefined;
    switch (property) {
      case 'rocksdb.estimate-num-keys':
        return this.live.length;
      case 'rocksdb.estimate-live-data-size':
      case 'rocksdb.total-sst-files-size':
      case 'rocksdb.live-sst-files-size':
        return this.liveBytes;
      case 'rocksdb.background-errors':
        return this.ioErrors;
      case 'rocksdb.cur-size-all-mem-tables':
      case 'rocksdb.estimate-pending-compaction-bytes':
      case 'rocksdb.num-running-compactions':
      case 'rocksdb.num-running-flushes':
      case 'rocksdb.block-cache-usage':
      case 'rocksdb.estimate-table-readers-mem':
      case 'rocksdb.is-write-stopped':
      case 'rocksdb.actual-delayed-write-rate':
        return 0;
      default:
        return /^rocksdb\.num-files-at-level\d+$/.test(property) ? 0 : undefined;
    }
  }

  write(op: WriteOp): Promise<void> {
    return this.writeAll([op], true);
  }

  writeUnsynced(op: WriteOp): Promise<void> {
    return this.writeAll([op], false);
  }

  writeAll(ops: readonly WriteOp[], sync: boolean): Promise<void> {
    if (this.state !== 'open') return Promise.reject(notOpen());
    for (const op of ops) this.recordCache.invalidate(op.key);
    return this.track(this.groupCommit.write(ops, sync));
  }

  get(key: Buffer): Promise<Buffer | undefined> {
    return this.operation({ kind: 'read' }, () => {
      const error = keyError(key);
      if (error) throw error;
      return copy(this.live.get(key));
    });
  }

  peek(key: Buffer): Buffer | null | undefined {
    return this.state === 'open' ? this.recordCache.peek(key) : undefined;
  }

  getMany(keys: Buffer[]): Promise<(Buffer | undefined)[]> {
    if (this.state !== 'open') return Promise.reject(notOpen());
    return this.recordCache.readThrough(keys, (missing) =>
      this.operation({ kind: 'read' }, () => {
        const error = missing.map(keyError).find((e) => e !== undefined);
        if (error) throw error;
        return missing.map((key) => copy(this.live.get(key)));
      }),
    );
  }

  forEach(options: RangeOptions, visit: (key: Buffer, value: Buffer) => boolean): Promise<void> {
    if (this.state !== 'open') return Promise.reject(notOpen());
    // RocksDB's iterator takes its snapshot when it is created, which RocksStore does at the call.
    const cursor = new RangeCursor(this.live, options);
    let first = true;
    return this.track(
      new Promise<void>((resolve, reject) => {
        const nextChunk = () =>
          this.step({ kind: 'scan' }, () => {
            // rocksdb answers an iterator's first call with one entry, later ones with a chunk.
            const chunk: [Buffer, Buffer][] = [];
            let bytes = 0;
            for (let entry = cursor.current; entry; entry = cursor.current) {
              chunk.push([Buffer.from(entry[0]), Buffer.from(entry[1])]);
              bytes += entry[0].length + entry[1].length;
              cursor.advance();
              if (first || bytes > ITERATOR_CHUNK_BYTES) break;
            }
            first = false;
            try {
              for (const [key, value] of chunk) if (!visit(key, value)) return resolve();
            } catch (error) {
              return reject(error);
            }
            if (cursor.current) nextChunk();
            else resolve();
          });
        nextChunk();
      }),
    );
  }

  clearRange(gte: Buffer, lt: Buffer): Promise<void> {
    if (this.state !== 'open') return Promise.reject(notOpen());
    this.recordCache.clear();
    const cursor = new RangeCursor(this.live, { gte, lt });
    return this.track(
      new Promise<void>((resolve, reject) => {
        const done = (error?: unknown) => {
          this.recordCache.clear();
          if (error) reject(error);
          else resolve();
        };
        // Like rocksdb's clear: unsynced batches of deletes of the keys the range held at the call.
        const nextChunk = () => {
          const ops: WriteOp[] = [];
          let bytes = 0;
          for (let entry = cursor.current; entry && bytes <= CLEAR_CHUNK_BYTES; entry = cursor.current) {
            ops.push({ type: 'del', key: entry[0] });
            bytes += entry[0].length;
            cursor.advance();
          }
          if (ops.length === 0) done();
          else this.writeBatch(ops, false).then(nextChunk, done);
        };
        this.step({ kind: 'clear' }, nextChunk);
      }),
    );
  }

  /** The bytes of the keys and values in [start, end) (RocksDB's estimate counts table files only; this counts everything). */
  approximateSize(start: Buffer, end: Buffer): Promise<number> {
    return this.operation({ kind: 'size' }, () => {
      let size = 0;
      const cursor = new RangeCursor(this.live, { gte: start, lt: end });
      for (let entry = cursor.current; entry; cursor.advance(), entry = cursor.current) size += entry[0].length + entry[1].length;
      return size;
    });
  }

  /** A batch into RocksDB's write queue (from a batcher, or a chunk of a range clear). */
  private writeBatch(ops: WriteOp[], synced: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      this.writeQueue.push({ ops, synced, settle: (error) => (error ? reject(error) : resolve()) });
      this.writeNext();
    });
  }

  private writeNext(): void {
    if (this.writing) return;
    const batch = this.writeQueue.shift();
    if (!batch) return;
    this.writing = true;
    const { ops, synced } = batch;
    const bytes = opBytes(ops);
    const refused = this.writeError ?? batchError(ops);
    const fault = refused ? undefined : this.hooks.fault?.({ kind: 'write', synced, ops: ops.length, bytes });
    this.step({ kind: 'write', synced, ops: ops.length, bytes }, () => {
      if (refused) return this.written(batch, refused);
      if (fault?.kind === 'ioError') return this.written(batch, this.ioError('write'));
      const record: LogRecord = { ops: ops.map((op) => ({ type: op.type, key: copy(op.key)!, value: copy(op.value) })), applied: false };
      this.disk.append(record);
      if (!synced) {
        this.apply(record);
        return this.written(batch);
      }
      const syncFault = this.hooks.fault?.({ kind: 'sync', synced, ops: ops.length, bytes });
      this.step({ kind: 'sync', ops: ops.length, bytes }, () => {
        if (syncFault?.kind === 'ioError') return this.written(batch, this.ioError('sync'));
        this.disk.sync();
        this.apply(record);
        this.written(batch);
      }, syncFault?.kind === 'slow' ? syncFault.delayMs : 0);
    }, fault?.kind === 'slow' ? fault.delayMs : 0);
  }

  private written(batch: QueuedBatch, error?: Error): void {
    this.recordCache.batchDone(batch.ops, error !== undefined);
    this.writing = false;
    batch.settle(error);
    this.writeNext();
  }

  private ioError(point: 'write' | 'sync'): Error {
    this.ioErrors++;
    this.writeError = new Error(`IO error: injected fault: the ${point === 'write' ? 'write-ahead log write' : 'write-ahead log sync'} failed`);
    return this.writeError;
  }

  private apply(record: LogRecord): void {
    for (const op of record.ops) {
      const old = this.live.get(op.key);
      if (old) this.liveBytes -= op.key.length + old.length;
      if (op.type === 'put') this.liveBytes += op.key.length + op.value!.length;
      this.live = applyWriteOp(this.live, op);
    }
    record.applied = true;
  }

  /** A read-only call: refused unless open, answered at its step. */
  private operation<T>(step: MemoryStoreStep, answer: () => T): Promise<T> {
    if (this.state !== 'open') return Promise.reject(notOpen());
    return this.track(
      new Promise<T>((resolve, reject) =>
        this.step(step, () => {
          try {
            resolve(answer());
          } catch (error) {
            reject(error);
          }
        }),
      ),
    );
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight++;
    const settled = () => {
      if (--this.inFlight > 0 || !this.onIdle) return;
      const release = this.onIdle;
      this.onIdle = undefined;
      release();
    };
    promise.then(settled, settled);
    return promise;
  }

  private step(step: MemoryStoreStep, run: () => void, delayMs = 0): void {
    const incarnation = this.incarnation;
    const guarded = () => {
      if (this.incarnation === incarnation) run();
    };
    if (this.hooks.schedule) this.hooks.schedule(guarded, step, delayMs);
    else queueMicrotask(guarded);
  }
}

function notOpen(): Error {
  return new Error('Database is not open');
}

/** RocksDB copies what it is given and what it returns; so does this, so that no caller shares a buffer with the store. */
function copy(buffer: Buffer | undefined): Buffer | undefined {
  return buffer === undefined ? undefined : Buffer.from(buffer);
}
