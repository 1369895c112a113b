import { Batcher } from '@triad/rpc';
import { GROUP_COMMIT_OPS_MAX, type WriteOp } from './storage-engine';

interface QueuedWrite {
  op: WriteOp;
  sync: boolean;
}

/**
 * Group commit, one stream for both kinds of write: while a batch is being written, new writes
 * gather and go down together in the next, which is synced if any write in it must be. Writes
 * that need no sync of their own (applying a committed log entry, which is durable already) thus
 * ride the next synced batch rather than costing RocksDB a batch of their own, and every write
 * lands in the order it was submitted.
 */
export class GroupCommit {
  private readonly batcher: Batcher<QueuedWrite, void>;

  constructor(writeBatch: (ops: WriteOp[], sync: boolean) => Promise<void[]>, defer?: (flush: () => void) => void) {
    this.batcher = new Batcher<QueuedWrite, void>(
      (writes) =>
        writeBatch(
          writes.map((w) => w.op),
          writes.some((w) => w.sync),
        ),
      { batchSizeMax: GROUP_COMMIT_OPS_MAX, inFlightMax: 1, defer },
    );
  }

  /** Durable once resolved. */
  write(op: WriteOp): Promise<void> {
    return this.batcher.submit({ op, sync: true });
  }

  /** Written (visible to reads) once resolved; durable with the next synced batch. */
  writeUnsynced(op: WriteOp): Promise<void> {
    return this.batcher.submit({ op, sync: false });
  }
}
