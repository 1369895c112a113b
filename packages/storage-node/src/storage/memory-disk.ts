import createRBTree from 'functional-red-black-tree';
import type { WriteOp } from './storage-engine';

/**
 * A simulated node's disk under `MemoryStore`: what survives its process. It models RocksDB with
 * a write-ahead log on a file system: a batch is appended to the log when it is written (the OS
 * keeps it: a process crash loses nothing written), becomes durable when a sync covers it (a sync
 * covers every record before it, since the log is one ordered file), and a power loss keeps the
 * durable image plus some prefix of the records written after it. Opening replays the log onto
 * the image and (as RocksDB does at recovery) makes the result durable.
 *
 * Images are persistent sorted maps: a change returns a new map and leaves the old one whole, so
 * the durable image, the engine's live view and an iterator's snapshot share their structure.
 */
export type DiskImage = createRBTree.Tree<Buffer, Buffer>;

export function emptyImage(): DiskImage {
  return createRBTree<Buffer, Buffer>(Buffer.compare);
}

/** The image with one write applied. */
export function applyWriteOp(image: DiskImage, op: WriteOp): DiskImage {
  const at = image.find(op.key);
  if (op.type === 'del') return at.valid ? at.remove() : image;
  return at.valid ? at.update(op.value!) : image.insert(op.key, op.value!);
}

/** One record of the write-ahead log: a batch, written whole or not at all. */
export interface LogRecord {
  readonly ops: readonly WriteOp[];
  /**
   * In the engine's live view: an unsynced batch is applied as it is written, a synced one once
   * its sync succeeds (never, if the sync failed: RocksDB left it out of the memtable, yet the
   * record is in the log and comes back when the log is replayed).
   */
  applied: boolean;
}

/** The engine that has a disk open; it dies with its process. */
export interface DiskHolder {
  die(): void;
}

export class MemoryDisk {
  /** The image as of the last sync, memtable flush or recovery: what a power loss keeps. */
  private durable = emptyImage();
  /** Log records written since, oldest first. */
  private log: LogRecord[] = [];
  /** The engine that has the disk open: one at a time, as RocksDB's LOCK file allows. */
  private holder: DiskHolder | undefined;

  // --- for the simulator ---

  /**
   * The node's process dies (its engine serves nothing more and settles nothing it had in flight)
   * and, unless `unsyncedRecordsKept` is Infinity (a process crash: the OS still has every log
   * record written), power is lost too: of the log records not yet durable, only the first
   * `unsyncedRecordsKept` survive (a seeded choice of the caller's; 0 by default).
   */
  crash(unsyncedRecordsKept = 0): void {
    this.kill();
    this.log = this.log.slice(0, unsyncedRecordsKept);
  }

  /** The disk is replaced by an empty one; the process on it dies. */
  wipe(): void {
    this.kill();
    this.durable = emptyImage();
    this.log = [];
  }

  /** Log records written but not yet durable (a power loss now may lose them). */
  get unsyncedRecords(): number {
    return this.log.length;
  }

  // --- for MemoryStore ---

  /** Takes the disk for `holder`; fails as RocksDB fails to take its LOCK file while another process holds it. */
  lock(holder: DiskHolder): void {
    if (this.holder && this.holder !== holder) throw new Error('IO error: While lock file: LOCK: Resource temporarily unavailable');
    this.holder = holder;
  }

  unlock(holder: DiskHolder): void {
    if (this.holder === holder) this.holder = undefined;
  }

  /** Replays the log onto the durable image and keeps the result as durable (RocksDB flushes what it recovered). */
  recover(): DiskImage {
    this.durable = this.log.reduce((image, record) => record.ops.reduce(applyWriteOp, image), this.durable);
    this.log = [];
    return this.durable;
  }

  append(record: LogRecord): void {
    this.log.push(record);
  }

  /** Syncs the log: every record written so far is durable. */
  sync(): void {
    this.recover();
  }

  /**
   * A memtable flush: the live view is written to table files (synced), so everything applied is
   * durable; records not applied (a batch still in its sync, or one whose sync failed) stay in
   * the log, which is replayed after the flushed image.
   */
  flush(live: DiskImage): void {
    this.durable = live;
    this.log = this.log.filter((record) => !record.applied);
  }

  private kill(): void {
    const holder = this.holder;
    this.holder = undefined;
    holder?.die();
  }
}
