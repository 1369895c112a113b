import type { ValueSealer } from '@triad/encryption';
import { RECORD_CACHE_BYTES_MAX, RECORD_CACHE_VALUE_BYTES_MAX } from './record-cache';
import type { RangeOptions, StorageEngine, StorageEngineFactory, WriteOp } from './storage-engine';

/**
 * Encryption at rest as one layer around the node's engine: every value any part of the node
 * writes (item records, local and global index entries, log entries — which carry item values —,
 * hints, Merkle and election state, snapshots a learner receives) is sealed before it reaches
 * RocksDB, so its write-ahead log, memtables flushed to SST files and compactions only ever see
 * ciphertext; every read opens it again. Keys stay plain: RocksDB orders them (partition, table id,
 * partition and sort key), so they are not encrypted (docs/security.md).
 *
 * Each value is bound to its key (the key is GCM's additional data), so a sealed value moved under
 * another key fails to open rather than being read as that key's. Values written before encryption
 * was turned on (plain, no sealed header) read as they are.
 *
 * The sealer comes from the keyring, opened once the inner engine holds the data directory's lock.
 */
export class SealedEngine implements StorageEngine {
  private sealer?: ValueSealer;
  /** Plaintexts of the sealed buffers reads returned lately (see OpenedValues). */
  private readonly opened = new OpenedValues();

  constructor(
    private readonly inner: StorageEngine,
    private readonly openSealer: () => Promise<ValueSealer>,
  ) {}

  async open(): Promise<void> {
    await this.inner.open();
    try {
      this.sealer ??= await this.openSealer();
    } catch (error) {
      await this.inner.close();
      throw error;
    }
  }

  close(): Promise<void> {
    this.opened.clear();
    return this.inner.close();
  }

  numericProperty(property: string): number | undefined {
    return this.inner.numericProperty(property);
  }

  private sealOp(op: WriteOp): WriteOp {
    if (op.type !== 'put' || !op.value) return op;
    return { type: 'put', key: op.key, value: this.sealer!.seal(op.value, op.key) };
  }

  private openValue(value: Buffer, key: Buffer): Buffer {
    let plain = this.opened.get(value);
    if (!plain) {
      plain = this.sealer!.open(value, key);
      this.opened.add(value, plain);
    }
    return plain;
  }

  write(op: WriteOp): Promise<void> {
    return this.inner.write(this.sealOp(op));
  }

  writeUnsynced(op: WriteOp): Promise<void> {
    return this.inner.writeUnsynced(this.sealOp(op));
  }

  writeAll(ops: readonly WriteOp[], sync: boolean): Promise<void> {
    return this.inner.writeAll(ops.map((op) => this.sealOp(op)), sync);
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    const value = await this.inner.get(key);
    return value && this.openValue(value, key);
  }

  peek(key: Buffer): Buffer | null | undefined {
    const value = this.inner.peek(key);
    return value && this.openValue(value, key);
  }

  async getMany(keys: Buffer[]): Promise<(Buffer | undefined)[]> {
    const values = await this.inner.getMany(keys);
    return values.map((value, i) => value && this.openValue(value, keys[i]));
  }

  forEach(options: RangeOptions, visit: (key: Buffer, value: Buffer) => boolean): Promise<void> {
    // Iterated values are fresh buffers, never seen again: opened without the identity cache.
    return this.inner.forEach(options, (key, value) => visit(key, this.sealer!.open(value, key)));
  }

  clearRange(gte: Buffer, lt: Buffer): Promise<void> {
    return this.inner.clearRange(gte, lt);
  }

  approximateSize(start: Buffer, end: Buffer): Promise<number> {
    return this.inner.approximateSize(start, end);
  }
}

/**
 * Plaintexts OpenedValues keeps at most: as much as the record cache it shadows
 * (RECORD_CACHE_BYTES_MAX, RECORD_CACHE_VALUE_BYTES_MAX), so that what that cache holds hot stays
 * open; sealing thus costs hot records this much memory again.
 */
export const OPENED_VALUES_BYTES_MAX = RECORD_CACHE_BYTES_MAX;
export const OPENED_VALUE_BYTES_MAX = RECORD_CACHE_VALUE_BYTES_MAX;

/**
 * Plaintexts of sealed buffers by the buffer's identity. The engine's record cache hands out the
 * same buffer for a hot record on every read, so a hot read opens it once rather than each time
 * (opening costs ~6 µs, a lookup well under one). Bounded in bytes, oldest out first (a
 * hot record evicted is simply opened again). A Map, not a WeakMap: measured, a WeakMap entry per
 * read cost ~5 µs of garbage collection (ephemerons), more than it saved on cold reads.
 */
class OpenedValues {
  private readonly entries = new Map<Buffer, Buffer>();
  private bytes = 0;

  get(sealed: Buffer): Buffer | undefined {
    return this.entries.get(sealed);
  }

  add(sealed: Buffer, plain: Buffer): void {
    if (plain.length > OPENED_VALUE_BYTES_MAX || this.entries.has(sealed)) return;
    this.entries.set(sealed, plain);
    this.bytes += plain.length;
    while (this.bytes > OPENED_VALUES_BYTES_MAX) {
      const [oldest, value] = this.entries.entries().next().value as [Buffer, Buffer];
      this.entries.delete(oldest);
      this.bytes -= value.length;
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}

/** An engine factory whose engines seal every value (see SealedEngine). */
export function sealedEngineFactory(inner: StorageEngineFactory, openSealer: (dataDir: string) => Promise<ValueSealer>): StorageEngineFactory {
  return (init) => new SealedEngine(inner(init), () => openSealer(init.dataDir));
}
