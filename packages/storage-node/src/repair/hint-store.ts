import type { Environment } from '@triad/runtime';
import type { StorageEngine, WriteOp } from '../storage/storage-engine';
import { prefixEnd } from '../storage/storage-keys';

/** Hints older than this are dropped unreplayed; anti-entropy repairs what they carried (Dynamo's lesson: bound them). */
export const HINT_WINDOW_MS_DEFAULT = 3 * 60 * 60 * 1000;
/** A node holds at most this many bytes of hints for all targets together; past it, new hints are dropped. */
export const HINT_BYTES_MAX_DEFAULT = 1024 * 1024 * 1024;

const HINT_PREFIX = 0x68; // 'h'

export interface Hint {
  key: Buffer;
  createdAtMs: number;
  partition: number;
  itemKey: Buffer;
  value: Buffer;
}

function targetPrefix(target: string): Buffer {
  const id = Buffer.from(target);
  return Buffer.concat([Buffer.from([HINT_PREFIX, id.length]), id]);
}

/**
 * Durable hints: records a leader could not deliver to an unreachable replica, kept in order per
 * target under [h][target][seq] until the target is seen alive again and takes them.
 */
export class HintStore {
  private seq = 0;
  private bytes = 0;
  private readonly countByTarget = new Map<string, number>();

  constructor(
    private readonly store: StorageEngine,
    /** Its wall clock starts the sequence of hint keys after a restart (above any the node wrote before). */
    private readonly clock: Pick<Environment, 'nowMs'>,
    readonly windowMs = HINT_WINDOW_MS_DEFAULT,
    readonly bytesMax = HINT_BYTES_MAX_DEFAULT,
  ) {}

  /** Counts the hints on disk (after a restart) and continues their sequence. */
  async load(targets: string[]): Promise<void> {
    for (const target of targets) {
      const prefix = targetPrefix(target);
      let count = 0;
      await this.store.forEach({ gte: prefix, lt: prefixEnd(prefix) }, (key, value) => {
        count++;
        this.bytes += key.length + value.length;
        this.seq = Math.max(this.seq, Number(key.readBigUInt64BE(key.length - 8)) + 1);
        return true;
      });
      if (count > 0) this.countByTarget.set(target, count);
    }
    this.seq = Math.max(this.seq, this.clock.nowMs() * 1000);
  }

  pending(target: string): number {
    return this.countByTarget.get(target) ?? 0;
  }

  get totalPending(): number {
    let total = 0;
    for (const count of this.countByTarget.values()) total += count;
    return total;
  }

  targets(): string[] {
    return [...this.countByTarget.keys()];
  }

  /** Stores a hint durably; false when the size cap is reached (the hint is dropped). */
  async append(target: string, partition: number, itemKey: Buffer, value: Buffer, nowMs: number): Promise<boolean> {
    const seq = Buffer.alloc(8);
    seq.writeBigUInt64BE(BigInt(this.seq++));
    const fullKey = Buffer.concat([targetPrefix(target), seq]);
    const header = Buffer.alloc(8 + 2 + 4);
    header.writeDoubleBE(nowMs, 0);
    header.writeUInt16BE(partition, 8);
    header.writeUInt32BE(itemKey.length, 10);
    const encoded = Buffer.concat([header, itemKey, value]);
    const size = fullKey.length + encoded.length;
    if (this.bytes + size > this.bytesMax) return false;
    this.bytes += size;
    this.countByTarget.set(target, this.pending(target) + 1);
    await this.store.write({ type: 'put', key: fullKey, value: encoded });
    return true;
  }

  /** The oldest hints for a target, at most `limit`; with `after` (a hint's key), only those after it. */
  async oldest(target: string, limit: number, after?: Buffer): Promise<Hint[]> {
    const prefix = targetPrefix(target);
    const hints: Hint[] = [];
    const range = after ? { gt: after, lt: prefixEnd(prefix) } : { gte: prefix, lt: prefixEnd(prefix) };
    await this.store.forEach(range, (key, value) => {
      const itemKeyLength = value.readUInt32BE(10);
      hints.push({
        key: Buffer.from(key),
        createdAtMs: value.readDoubleBE(0),
        partition: value.readUInt16BE(8),
        itemKey: Buffer.from(value.subarray(14, 14 + itemKeyLength)),
        value: Buffer.from(value.subarray(14 + itemKeyLength)),
      });
      return hints.length < limit;
    });
    return hints;
  }

  /** Removes delivered (or expired, or obsolete) hints. */
  async remove(target: string, hints: Hint[]): Promise<void> {
    if (hints.length === 0) return;
    const ops: WriteOp[] = hints.map((h) => ({ type: 'del', key: h.key }));
    await this.store.writeAll(ops, true);
    for (const h of hints) this.bytes -= h.key.length + h.value.length + h.itemKey.length + 14;
    const left = this.pending(target) - hints.length;
    if (left > 0) this.countByTarget.set(target, left);
    else this.countByTarget.delete(target);
  }
}
