import { MerkleTree, type RecordState } from '@triad/merkle';
import { KeyLock } from '../write-path/key-lock';
import { compareVersions, decodeRecord, recordStateOf, type StoredRecord } from '../storage/record-codec';
import type { StorageEngine } from '../storage/storage-engine';
import { dataKey, partitionPrefix, prefixEnd } from '../storage/storage-keys';

/** Leaves per partition tree: 2^10 buckets keeps a repair round's exchange small. */
export const MERKLE_DEPTH = 10;

/** A record a leader writes: its key inside the partition, its data key, its value, and what it replaces. */
export interface StagedRecord {
  itemKey: Buffer;
  key: Buffer;
  value: Buffer;
  previous: StoredRecord | undefined;
}

const recordState = (record: StoredRecord): RecordState => ({ version: record.version, tombstone: record.tombstone });

/**
 * The replica's view of its records, shared by every path that changes them (leader writes,
 * replication, hint replay, repair): per-key serialisation, writes not yet synced (which reads
 * must see), and a Merkle tree per partition kept up to date with every change.
 */
export class ReplicaState {
  private readonly locks = new KeyLock();
  private readonly pending = new Map<string, { value: Buffer; durable: Promise<void> }>();
  /** The same writes by partition: a range read (a RocksDB iterator) sees a write only once it is written. */
  private readonly pendingByPartition = new Map<number, Set<Promise<void>>>();
  private readonly trees = new Map<number, MerkleTree>();
  /** Per partition, set while its records are cleared or its tree rebuilt: writes wait for it. */
  private readonly gates = new Map<number, Promise<void>>();
  /** Per partition, work running under a key lock (`withKey`), and who waits for it to end. */
  private readonly active = new Map<number, number>();
  private readonly idle = new Map<number, () => void>();

  constructor(
    readonly store: StorageEngine,
    private readonly partitionCount: number,
    /** Ends the process (logged, then `Environment.exit`): a write that failed leaves memory ahead of disk. */
    private readonly fatal: (message: string, error: unknown) => void,
  ) {}

  /** Rebuilds every partition's tree from the records on disk. */
  async load(): Promise<number> {
    let records = 0;
    for (let p = 0; p <= this.partitionCount; p++) {
      const tree = new MerkleTree(MERKLE_DEPTH);
      const prefix = partitionPrefix(p);
      await this.store.forEach({ gte: prefix, lt: prefixEnd(prefix) }, (key, value) => {
        const record = decodeRecord(value);
        tree.update(key.subarray(prefix.length), undefined, recordState(record));
        records++;
        return true;
      });
      this.trees.set(p, tree);
    }
    return records;
  }

  tree(partition: number): MerkleTree {
    const tree = this.trees.get(partition);
    if (!tree) throw new Error(`no Merkle tree for partition ${partition}`);
    return tree;
  }

  /**
   * Runs `work` while holding the key's lock, so read-modify-write of one key is serial. Waits
   * while the partition's records are being cleared or its tree rebuilt (see `exclusively`).
   */
  async withKey<T>(partition: number, itemKey: Buffer, work: (key: Buffer) => Promise<T>): Promise<T> {
    const key = dataKey(partition, itemKey);
    for (let gate = this.gates.get(partition); gate; gate = this.gates.get(partition)) await gate;
    this.active.set(partition, (this.active.get(partition) ?? 0) + 1);
    try {
      return await this.locks.run(key.toString('latin1'), () => work(key));
    } finally {
      const left = this.active.get(partition)! - 1;
      if (left > 0) this.active.set(partition, left);
      else {
        this.active.delete(partition);
        this.idle.get(partition)?.();
      }
    }
  }

  /**
   * Runs `work` on the partition's records with no write of them in progress: new writes wait, and
   * those under way finish and land first. A tree rebuilt from disk while a write was staged could
   * miss it (or count one a clear removed), and stay unlike its peers' for ever: the record is the
   * same on both sides, so no repair ever touches it.
   */
  private async exclusively<T>(partition: number, work: () => Promise<T>): Promise<T> {
    for (let gate = this.gates.get(partition); gate; gate = this.gates.get(partition)) await gate.catch(() => undefined);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    this.gates.set(partition, gate);
    try {
      if (this.active.has(partition)) await new Promise<void>((resolve) => this.idle.set(partition, resolve));
      this.idle.delete(partition);
      await this.settledPartition(partition);
      return await work();
    } finally {
      this.gates.delete(partition);
      open();
    }
  }

  /** Operations queued or running under the key's lock. */
  queuedOn(partition: number, itemKey: Buffer): number {
    return this.locks.queuedOn(dataKey(partition, itemKey).toString('latin1'));
  }

  /** The key's latest record, synced or not. Call while holding the key's lock. */
  async current(key: Buffer): Promise<StoredRecord | undefined> {
    const pending = this.pending.get(key.toString('latin1'));
    // getMany, not get: the record cache answers a key read or written lately (see record-cache.ts).
    const value = pending?.value ?? (await this.store.getMany([key]))[0];
    return value ? decodeRecord(value) : undefined;
  }

  /**
   * Resolves once every write of the partition staged so far is in RocksDB: a strong range read
   * (an iterator, which does not see staged writes) then sees every write acknowledged before it.
   */
  async settledPartition(partition: number): Promise<void> {
    const pending = this.pendingByPartition.get(partition);
    if (pending && pending.size > 0) await Promise.all([...pending].map((p) => p.catch(() => undefined)));
  }

  /** Resolves once no write of the key is waiting for its sync (strong reads wait for it). */
  async settled(key: Buffer): Promise<void> {
    const pending = this.pending.get(key.toString('latin1'));
    if (pending) await pending.durable.catch(() => undefined);
  }

  /**
   * Stages a new record for the key (call while holding its lock): reads see it at once, the tree
   * counts it, and the returned promise resolves once it is in a synced batch.
   */
  stage(partition: number, key: Buffer, value: Buffer, previous: StoredRecord | undefined, sync = true): Promise<void> {
    const lockKey = key.toString('latin1');
    this.tree(partition).update(key.subarray(3), previous ? recordState(previous) : undefined, recordStateOf(value));
    const op = { type: 'put' as const, key, value };
    const durable = sync ? this.store.write(op) : this.store.writeUnsynced(op);
    const entry = { value, durable };
    this.pending.set(lockKey, entry);
    let ofPartition = this.pendingByPartition.get(partition);
    if (!ofPartition) this.pendingByPartition.set(partition, (ofPartition = new Set()));
    ofPartition.add(durable);
    durable.then(
      () => {
        ofPartition!.delete(durable);
        if (this.pending.get(lockKey) === entry) this.pending.delete(lockKey);
      },
      (error: unknown) => {
        ofPartition!.delete(durable);
        // The tree and the pending map now disagree with the disk; only a restart rebuilds them.
        this.fatal('RocksDB write failed; exiting', error);
      },
    );
    return durable;
  }

  /** Stages several records of one partition (an item and its index entries) in one write batch. */
  stageAll(partition: number, records: readonly StagedRecord[]): Promise<void> {
    if (records.length === 1) return this.stage(partition, records[0].key, records[0].value, records[0].previous);
    return Promise.all(records.map((r) => this.stage(partition, r.key, r.value, r.previous))).then(() => undefined);
  }

  /** Stores a record received from another replica if it is newer than ours; resolves once durable. */
  applyIfNewer(partition: number, itemKey: Buffer, value: Buffer): Promise<boolean> {
    return this.withKey(partition, itemKey, async (key) => {
      const existing = await this.current(key);
      if (existing && compareVersions(existing.version, decodeRecord(value).version) >= 0) return { applied: false, durable: Promise.resolve() };
      return { applied: true, durable: this.stage(partition, key, value, existing) };
    }).then(async ({ applied, durable }) => {
      await durable;
      return applied;
    });
  }

  /**
   * Applies a committed entry's records: each key takes the record unless it already holds a newer
   * version (a repair or snapshot may have brought one). Resolves once every record is visible to
   * reads (staged); written unsynced, as the log entry is durable already.
   */
  async applyCommitted(partition: number, records: readonly { itemKey: Buffer; value: Buffer }[]): Promise<void> {
    // Later entries hold newer versions: per key only the last record matters, and keys go in parallel.
    const latest = new Map<string, { itemKey: Buffer; value: Buffer }>();
    for (const record of records) latest.set(record.itemKey.toString('latin1'), record);
    const waiting: Promise<void>[] = [];
    const gated = this.gates.has(partition);
    for (const record of latest.values()) {
      if (!gated && this.applyAtOnce(partition, record.itemKey, record.value)) continue;
      waiting.push(this.withKey(partition, record.itemKey, async (key) => this.applyRecord(partition, key, record.value, await this.current(key))));
    }
    if (waiting.length > 0) await Promise.all(waiting);
  }

  /**
   * `applyCommitted` in this turn, all or nothing: true once every record is applied (staged),
   * false, having applied none, when some key is held or its current record needs a read, or the
   * partition's records are being cleared.
   */
  applyCommittedAtOnce(partition: number, records: readonly { itemKey: Buffer; value: Buffer }[]): boolean {
    if (this.gates.has(partition)) return false;
    // As in applyCommitted: per key only the last record matters.
    const latest = new Map<string, { key: Buffer; value: Buffer; current: Buffer | null }>();
    for (const record of records) {
      const key = dataKey(partition, record.itemKey);
      latest.set(key.toString('latin1'), { key, value: record.value, current: null });
    }
    for (const record of latest.values()) {
      const current = this.knownNow(record.key);
      if (current === undefined) return false;
      record.current = current;
    }
    for (const { key, value, current } of latest.values()) this.applyRecord(partition, key, value, current ? decodeRecord(current) : undefined);
    return true;
  }

  /** The key's current value when nothing holds its lock and it is known without a read; null: no record; undefined: unknown or held. */
  private knownNow(key: Buffer): Buffer | null | undefined {
    const name = key.toString('latin1');
    if (this.locks.queuedOn(name) > 0) return undefined;
    return this.pending.get(name)?.value ?? this.store.peek(key);
  }

  /**
   * Applies a record in this turn when nothing holds its key and its current record is known
   * without a read (staged, or in the engine's record cache): no other work on the key can run in
   * between, as the lock would ensure. False when it must go the way of the lock and a read.
   */
  private applyAtOnce(partition: number, itemKey: Buffer, value: Buffer): boolean {
    const key = dataKey(partition, itemKey);
    const current = this.knownNow(key);
    if (current === undefined) return false;
    this.applyRecord(partition, key, value, current ? decodeRecord(current) : undefined);
    return true;
  }

  /** Takes a committed record unless the key holds a newer version already (a repair or snapshot may have brought one). */
  private applyRecord(partition: number, key: Buffer, value: Buffer, existing: StoredRecord | undefined): void {
    if (existing && compareVersions(existing.version, recordStateOf(value).version) >= 0) return;
    // The log entry is durable already: the state is rebuilt from it after a crash.
    void this.stage(partition, key, value, existing, false);
  }

  /**
   * Deletes every record of a partition this node no longer keeps (it moved to other nodes), then
   * rebuilds the partition's tree from what is left on disk: nothing, unless a late write raced
   * the delete (a later sweep deletes that too). Resolves with the records left.
   */
  dropPartition(partition: number): Promise<number> {
    return this.exclusively(partition, async () => {
      const prefix = partitionPrefix(partition);
      await this.store.clearRange(prefix, prefixEnd(prefix));
      return this.rebuildTree(partition);
    });
  }

  /**
   * Deletes key ranges of a partition (a dropped table's or index's records) and rebuilds the
   * partition's tree from what is left, so that the tree still describes the disk: otherwise its
   * root differs from every peer's for ever and anti-entropy never sees the replicas agree.
   */
  clearRanges(partition: number, ranges: readonly { start: Buffer; end: Buffer }[]): Promise<number> {
    return this.exclusively(partition, async () => {
      for (const { start, end } of ranges) await this.store.clearRange(start, end);
      return this.rebuildTree(partition);
    });
  }

  /** Rebuilds the partition's tree from the records on disk; resolves with how many there are. */
  private async rebuildTree(partition: number): Promise<number> {
    const prefix = partitionPrefix(partition);
    const tree = new MerkleTree(MERKLE_DEPTH);
    let left = 0;
    await this.store.forEach({ gte: prefix, lt: prefixEnd(prefix) }, (key, value) => {
      tree.update(key.subarray(prefix.length), undefined, recordState(decodeRecord(value)));
      left++;
      return true;
    });
    this.trees.set(partition, tree);
    return left;
  }

  /** Whether the partition has any record on disk (tombstones included). */
  async holdsAny(partition: number): Promise<boolean> {
    const prefix = partitionPrefix(partition);
    let found = false;
    await this.store.forEach({ gte: prefix, lt: prefixEnd(prefix) }, () => {
      found = true;
      return false;
    });
    return found;
  }

  /** Every record of a partition whose key falls in one of the buckets (for repair). */
  async bucketRecords(partition: number, buckets: number[]): Promise<{ itemKey: Buffer; value: Buffer }[]> {
    const wanted = new Set(buckets);
    const tree = this.tree(partition);
    const out: { itemKey: Buffer; value: Buffer }[] = [];
    const prefix = partitionPrefix(partition);
    await this.store.forEach({ gte: prefix, lt: prefixEnd(prefix) }, (key, value) => {
      const itemKey = key.subarray(prefix.length);
      if (wanted.has(tree.bucketOf(itemKey))) out.push({ itemKey: Buffer.from(itemKey), value: Buffer.from(value) });
      return true;
    });
    return out;
  }
}

