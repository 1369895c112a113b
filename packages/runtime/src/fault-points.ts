/**
 * Fault points in production code (FoundationDB's BUGGIFY): named places where the simulator may
 * make something rare happen — a sync that fails, a message dropped at a chosen step, a delay
 * between two steps whose order matters. A real process answers "never" (`NO_FAULTS`); a simulated
 * one answers from its seed, rarely, and only for the points enabled in that run. Each point is
 * one call at one place in the code; the answer must not be cached, so that every pass may differ.
 */
export type FaultPoint =
  /**
   * A leader's item write, under its key lock, between its leadership and lease check and the
   * append that fixes the entry's term (the window of issue 11's failure 2): a slow disk read.
   */
  | 'write.afterLeaseCheck'
  /** A node between syncing replication state (a follower's entries, a vote) and sending what depends on it (its acknowledgement). */
  | 'replica.beforeAck'
  /** Applying committed entries to the replica's state is slow (a compaction stall). */
  | 'replica.slowApply'
  /** A replication packet's reply (acknowledgements, votes) is dropped after its effects were synced: the sender never hears. */
  | 'replica.dropReply'
  /** A sync of the storage engine fails: the node's memory is ahead of its disk, and its process exits. */
  | 'store.syncFails'
  /** A sync of the storage engine is slow (every batch behind it waits). */
  | 'store.slowSync';

export const FAULT_POINTS: readonly FaultPoint[] = ['write.afterLeaseCheck', 'replica.beforeAck', 'replica.slowApply', 'replica.dropReply', 'store.syncFails', 'store.slowSync'];

/** Where a process asks whether a fault strikes now. */
export interface FaultPoints {
  /** True when the fault at `point` strikes now (never in a real process). */
  fires(point: FaultPoint): boolean;
  /** A delay to insert at `point`, in the process's ms; 0 (none) in a real process. */
  delayMs(point: FaultPoint): number;
}

/** A real process: no fault point ever fires. */
export const NO_FAULTS: FaultPoints = {
  fires: () => false,
  delayMs: () => 0,
};
