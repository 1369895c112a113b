import { Batcher } from '@triad/rpc';
import { GROUP_COMMIT_WRITES_MAX, type WriteOp } from './storage-engine';

interface QueuedWrite {
  ops: readonly WriteOp[];
  sync: boolean;
}

/**
 * Group commit, one stream for both kinds of write: while a batch is being written, new writes
 * gather and go down together in the next, which is synced if any write in it must be. Writes
 * that need no sync of their own (applying a committed log entry, which is durable already) thus
 * ride the next synced batch rather than costing RocksDB a batch of their own, and every write
 * lands in the order it was submitted. A write may hold several operations (a Ready's log entries
 * and votes): they land together, and cost one submission.
 */
export class GroupCommit {
  private readonly batcher: Batcher<QueuedWrite, void>;

  constructor(writeBatch: (ops: WriteOp[], sync: boolean) => Promise<void>, defer?: (flush: () => void) => void) {
    this.batcher = new Batcher<QueuedWrite, void>(
      (writes) => {
        const ops: WriteOp[] = [];
        let sync = false;
        for (const write of writes) {
          for (const op of write.ops) ops.push(op);
          sync ||= write.sync;
        }
        return writeBatch(ops, sync).then(() => new Array<void>(writes.length));
      },
      { batchSizeMax: GROUP_COMMIT_WRITES_MAX, inFlightMax: 1, defer },
    );
  }

  /** `sync`: durable once resolved; else written (visible to reads) once resolved, durable with the next synced batch. */
  write(ops: readonly WriteOp[], sync: boolean): Promise<void> {
    return this.batcher.submit({ ops, sync });
  }
}
