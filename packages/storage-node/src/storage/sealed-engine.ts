import type { ValueSealer } from '@triad/encryption';
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
    return this.inner.close();
  }

  numericProperty(property: string): number | undefined {
    return this.inner.numericProperty(property);
  }

  private sealOp(op: WriteOp): WriteOp {
    return op.type === 'put' && op.value ? { type: 'put', key: op.key, value: this.sealer!.seal(op.value, op.key) } : op;
  }

  write(op: WriteOp): Promise<void> {
    return this.inner.write(this.sealOp(op));
  }

  writeUnsynced(op: WriteOp): Promise<void> {
    return this.inner.writeUnsynced(this.sealOp(op));
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    const value = await this.inner.get(key);
    return value && this.sealer!.open(value, key);
  }

  async getMany(keys: Buffer[]): Promise<(Buffer | undefined)[]> {
    const values = await this.inner.getMany(keys);
    return values.map((value, i) => value && this.sealer!.open(value, keys[i]));
  }

  forEach(options: RangeOptions, visit: (key: Buffer, value: Buffer) => boolean): Promise<void> {
    return this.inner.forEach(options, (key, value) => visit(key, this.sealer!.open(value, key)));
  }

  clearRange(gte: Buffer, lt: Buffer): Promise<void> {
    return this.inner.clearRange(gte, lt);
  }

  approximateSize(start: Buffer, end: Buffer): Promise<number> {
    return this.inner.approximateSize(start, end);
  }
}

/** An engine factory whose engines seal every value (see SealedEngine). */
export function sealedEngineFactory(inner: StorageEngineFactory, openSealer: (dataDir: string) => Promise<ValueSealer>): StorageEngineFactory {
  return (init) => new SealedEngine(inner(init), () => openSealer(init.dataDir));
}
