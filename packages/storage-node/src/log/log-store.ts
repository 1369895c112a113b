import type { Configuration, LogWrite, PersistedLog } from '@triad/replication';
import type { StorageEngine, WriteOp } from '../storage/storage-engine';
import { prefixEnd } from '../storage/storage-keys';
import { decodeConfiguration, decodeEntry, encodeConfiguration, encodeEntry, type EntryPayload, type ReplicatedEntry } from './log-codec';

/** Log entries: [LOG_PREFIX][partition u16][index u64], in index order. */
const LOG_PREFIX = 0x4c; // 'L'
/**
 * A partition's applied position: [APPLIED_PREFIX][partition u16] → [index f64][term u32], then the
 * configuration as of that position (JSON) once a configuration entry or a snapshot brought one.
 */
const APPLIED_PREFIX = 0x41; // 'A'

function logKey(partition: number, index: number): Buffer {
  const key = Buffer.allocUnsafe(11);
  key.writeUInt8(LOG_PREFIX, 0);
  key.writeUInt16BE(partition, 1);
  key.writeUInt32BE(Math.floor(index / 2 ** 32), 3);
  key.writeUInt32BE(index % 2 ** 32, 7);
  return key;
}

function appliedKey(partition: number): Buffer {
  const key = Buffer.allocUnsafe(3);
  key.writeUInt8(APPLIED_PREFIX, 0);
  key.writeUInt16BE(partition, 1);
  return key;
}

function encodePosition(index: number, term: number, config: Configuration | undefined): Buffer {
  const value = Buffer.allocUnsafe(12);
  value.writeDoubleBE(index, 0);
  value.writeUInt32BE(term, 8);
  return config ? Buffer.concat([value, encodeConfiguration(config)]) : value;
}

/**
 * Each partition's replicated log on disk, beside the state it produces: the entries not yet
 * applied (and a few applied ones until the next apply batch drops them), and the applied
 * position, written with the applied records in the same ordered stream of group commits.
 */
export class LogStore {
  /** Per partition, the index range of entries on disk (first..last; empty when first > last). */
  private readonly onDisk = new Map<number, { first: number; last: number }>();

  constructor(private readonly store: StorageEngine) {}

  /** The persisted log of each partition (empty for a partition never written here). */
  async load(partitions: Iterable<number>): Promise<Map<number, PersistedLog<EntryPayload>>> {
    const logs = new Map<number, PersistedLog<EntryPayload>>();
    for (const partition of partitions) logs.set(partition, await this.loadOne(partition));
    return logs;
  }

  async loadOne(partition: number): Promise<PersistedLog<EntryPayload>> {
    const raw = await this.store.get(appliedKey(partition));
    const applied = raw ? { index: raw.readDoubleBE(0), term: raw.readUInt32BE(8) } : { index: 0, term: 0 };
    const config = raw && raw.length > 12 ? decodeConfiguration(raw.subarray(12)) : undefined;
    const entries: ReplicatedEntry[] = [];
    const stale: Buffer[] = [];
    let first = Infinity;
    let last = 0;
    const prefix = logKey(partition, 0).subarray(0, 3);
    await this.store.forEach({ gte: prefix, lt: prefixEnd(prefix) }, (key, value) => {
      const entry = decodeEntry(value);
      first = Math.min(first, entry.index);
      last = Math.max(last, entry.index);
      // Entries up to the applied position are in the state already; a gap would mean a lost write.
      if (entry.index <= applied.index) stale.push(Buffer.from(key));
      else if (entry.index === applied.index + entries.length + 1) entries.push(entry);
      return true;
    });
    this.onDisk.set(partition, { first: Number.isFinite(first) ? first : applied.index + 1, last: Math.max(last, applied.index) });
    for (const key of stale) void this.store.write({ type: 'del', key });
    return { applied, entries, config };
  }

  /** The writes that make `writes` durable (in order), for one group-commit batch with the terms and votes. */
  opsFor(writes: readonly LogWrite<EntryPayload>[]): WriteOp[] {
    const ops: WriteOp[] = [];
    for (const write of writes) {
      const disk = this.onDisk.get(write.partition) ?? { first: 1, last: 0 };
      if (write.reset) {
        for (let i = disk.first; i <= disk.last; i++) ops.push({ type: 'del', key: logKey(write.partition, i) });
        ops.push({ type: 'put', key: appliedKey(write.partition), value: encodePosition(write.reset.index, write.reset.term, write.reset.config) });
        disk.first = write.reset.index + 1;
        disk.last = write.reset.index;
      }
      if (write.truncateFrom !== undefined) {
        for (let i = Math.max(write.truncateFrom, disk.first); i <= disk.last; i++) ops.push({ type: 'del', key: logKey(write.partition, i) });
        disk.last = Math.min(disk.last, write.truncateFrom - 1);
      }
      for (const entry of write.entries) {
        ops.push({ type: 'put', key: logKey(write.partition, entry.index), value: encodeEntry(entry) });
        disk.last = Math.max(disk.last, entry.index);
      }
      this.onDisk.set(write.partition, disk);
    }
    return ops;
  }

  /**
   * The partition's state now reflects every entry up to (index, term), and `config` is the
   * configuration as of there (if any configuration entry or snapshot brought one): record that, and drop the
   * entries it covers (the state holds them; a follower that needs them gets a snapshot).
   */
  appliedOps(partition: number, index: number, term: number, config?: Configuration): WriteOp[] {
    const ops: WriteOp[] = [{ type: 'put', key: appliedKey(partition), value: encodePosition(index, term, config) }];
    const disk = this.onDisk.get(partition);
    if (disk) {
      for (let i = disk.first; i <= Math.min(index, disk.last); i++) ops.push({ type: 'del', key: logKey(partition, i) });
      disk.first = Math.max(disk.first, index + 1);
    }
    return ops;
  }

  /** Forgets a partition this node no longer replicates (its data is dropped too). */
  forget(partition: number): WriteOp[] {
    const disk = this.onDisk.get(partition);
    this.onDisk.delete(partition);
    const ops: WriteOp[] = [{ type: 'del', key: appliedKey(partition) }];
    if (disk) for (let i = disk.first; i <= disk.last; i++) ops.push({ type: 'del', key: logKey(partition, i) });
    return ops;
  }
}
