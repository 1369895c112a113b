import type { WriteOp } from './storage-engine';
import { DATA_PREFIX } from './storage-keys';

/**
 * Recently read records, in memory, for the eventually consistent point reads (`getMany` of both
 * storage engines, so that the simulator runs this code too): a hot item is answered without a trip
 * through RocksDB's thread pool, which costs a read batch ~50 µs of CPU on these 2-core machines
 * however few keys it has (RocksDB's own block cache already holds the data; the hand-off to a
 * worker thread and back is the cost).
 *
 * Only item records (data keys) are kept: log entries, applied positions and other bookkeeping are
 * neither cached nor tracked, which spares their writes the cache's work.
 *
 * The cache never answers with a value older than what RocksDB holds once a write is acknowledged:
 * a write drops its key when it is submitted and again when it has landed, and a read keeps what it
 * read only if no write of that key started or landed while the read was in RocksDB, so a value
 * read just before a write lands is never kept after it.
 */

/** Memory for cached records: a working set of some tens of thousands of typical items. */
export const RECORD_CACHE_BYTES_MAX = 32 * 1024 * 1024;
/** Larger records are not cached: one 400 KB item would push out hundreds of small ones. */
export const RECORD_CACHE_VALUE_BYTES_MAX = 16 * 1024;
/**
 * Keys written while reads were in flight, remembered so that those reads do not keep older
 * values. Past this many, they are forgotten at once and every read then in flight keeps nothing.
 */
const WRITTEN_KEYS_TRACKED_MAX = 4096;

/** Cached for a key that has no record: a write of a new item reads it twice at the leader. */
const ABSENT = Buffer.alloc(0);

export class RecordCache {
  /**
   * By RocksDB key (as latin1 text), oldest first: eviction is first in, first out. (Moving an
   * entry to the end on every hit, for LRU, costs a hit several times a lookup; a hot record
   * evicted is simply read and kept again.)
   */
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;
  /** Counts write events (a write started or landed, a range cleared). */
  private generation = 0;
  /** The generation of each key's latest write event, while reads are in flight. */
  private readonly written = new Map<string, number>();
  /** Reads that started before this generation keep nothing (`written` was forgotten since). */
  private floor = 0;
  private readsInFlight = 0;

  constructor(
    private readonly bytesMax = RECORD_CACHE_BYTES_MAX,
    private readonly valueBytesMax = RECORD_CACHE_VALUE_BYTES_MAX,
  ) {}

  static keyOf(key: Buffer): string {
    return key.toString('latin1');
  }

  get(name: string): Buffer | undefined {
    const value = this.entries.get(name);
    return value === ABSENT ? undefined : value;
  }

  /** A key's value if cached: the value, null for a key cached as having no record, undefined when not cached. */
  peek(key: Buffer): Buffer | null | undefined {
    if (key[0] !== DATA_PREFIX) return undefined;
    const value = this.entries.get(RecordCache.keyOf(key));
    return value === ABSENT ? null : value;
  }

  /** A read goes to RocksDB; the returned ticket is for `fill` and `readDone`. */
  readStarted(): number {
    this.readsInFlight++;
    return this.generation;
  }

  /**
   * Keeps what a read found (`ABSENT` for no record), unless a write of its key started or landed
   * since the read started.
   */
  fill(name: string, value: Buffer, ticket: number): void {
    if (ticket < this.floor || (this.written.get(name) ?? -1) > ticket) return;
    if (this.entries.has(name)) return;
    this.keep(name, value);
  }

  /**
   * A synced or unsynced batch has landed with this write of an item record: the next read of the
   * key (the leader's next write of it, a follower applying the next entry) is answered from here.
   * Other keys (log entries, markers) are only dropped.
   */
  private landed(key: Buffer, value: Buffer | undefined): void {
    if (key[0] !== DATA_PREFIX) return;
    const name = RecordCache.keyOf(key);
    this.invalidateName(name);
    if (value !== undefined) this.keep(name, value);
  }

  /** A batch of writes landed (in order) or failed: a read that overlapped it must not keep what it read. */
  batchDone(ops: readonly WriteOp[], failed: boolean): void {
    for (const op of ops) {
      if (failed) this.invalidate(op.key);
      else this.landed(op.key, op.type === 'put' ? op.value : undefined);
    }
  }

  private keep(name: string, value: Buffer): void {
    if (value.length > this.valueBytesMax) return;
    this.entries.set(name, value);
    this.bytes += name.length + value.length;
    if (this.bytes <= this.bytesMax) return;
    for (const [oldest, oldValue] of this.entries) {
      if (this.bytes <= this.bytesMax) break;
      this.entries.delete(oldest);
      this.bytes -= oldest.length + oldValue.length;
    }
  }

  readDone(): void {
    this.readsInFlight--;
    // No read can be affected by writes seen so far: forget them.
    if (this.readsInFlight === 0) this.written.clear();
  }

  /** A write of `key` starts, or has landed (or failed). */
  invalidate(key: Buffer): void {
    if (key[0] === DATA_PREFIX) this.invalidateName(RecordCache.keyOf(key));
  }

  private invalidateName(name: string): void {
    this.generation++;
    if (this.readsInFlight > 0) {
      if (this.written.size >= WRITTEN_KEYS_TRACKED_MAX) {
        this.written.clear();
        this.floor = this.generation;
      } else {
        this.written.set(name, this.generation);
      }
    }
    const value = this.entries.get(name);
    if (value === undefined) return;
    this.entries.delete(name);
    this.bytes -= name.length + value.length;
  }

  /** Keys are being (or were) deleted by range, or the store closes: nothing cached or in flight is kept. */
  clear(): void {
    this.generation++;
    this.floor = this.generation;
    this.written.clear();
    this.entries.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The values of `keys` (undefined where absent): those cached at once, the rest from one call of
   * `read`, which fills the cache with what it found unless a write overtook it. The engine must
   * call `invalidate` when a write of a key is submitted and when it lands, and `clear` around a
   * range clear.
   */
  readThrough(keys: Buffer[], read: (missing: Buffer[]) => Promise<(Buffer | undefined)[]>): Promise<(Buffer | undefined)[]> {
    if (keys.length === 0) return Promise.resolve([]);
    const values: (Buffer | undefined)[] = new Array(keys.length);
    const names = keys.map(RecordCache.keyOf);
    const missing: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const cached = keys[i][0] === DATA_PREFIX ? this.entries.get(names[i]) : undefined;
      if (cached === undefined) missing.push(i);
      else values[i] = cached === ABSENT ? undefined : cached;
    }
    if (missing.length === 0) return Promise.resolve(values);
    const ticket = this.readStarted();
    return read(missing.map((i) => keys[i])).then(
      (found) => {
        missing.forEach((i, j) => {
          const value = found[j];
          values[i] = value;
          if (keys[i][0] === DATA_PREFIX) this.fill(names[i], value ?? ABSENT, ticket);
        });
        this.readDone();
        return values;
      },
      (error: unknown) => {
        this.readDone();
        throw error;
      },
    );
  }
}
