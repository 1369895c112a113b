import type { NodeId, PartitionId } from '../types';

/**
 * One entry of a partition's replicated log. `payload` is the driver's (the records a write
 * produced); `undefined` is a no-op, which a new leader appends so that it can commit the entries
 * of earlier terms (Raft commits an earlier term's entries only through one of its own).
 */
export interface LogEntry<P> {
  term: number;
  index: number;
  payload: P | undefined;
  /**
   * A promotion entry: the learner `node` votes once this entry is committed and applied there —
   * only in the `generation` it was written for (the node's data directory then). An earlier
   * generation's promotion, committed before the node lost its disk again, promotes nobody: a stale
   * leader would otherwise hand it to the new learner with nothing committed in the current term.
   */
  promote?: { node: NodeId; generation: number };
}

/**
 * What a node kept of a partition's log when it stopped: the position its state reflects
 * (`applied`: every entry up to it is applied, and entries before it may be gone from the log) and
 * the entries after it that are on disk, in order.
 */
export interface PersistedLog<P> {
  applied: { index: number; term: number };
  entries: readonly LogEntry<P>[];
}

/**
 * A change to make durable to a partition's log, in order: first drop every entry from
 * `truncateFrom` on (a deposed leader's uncommitted suffix), or, with `reset`, the whole log (a
 * snapshot replaced it: the state now reflects `reset`, which becomes the applied position), then
 * append `entries`.
 */
export interface LogWrite<P> {
  partition: PartitionId;
  truncateFrom?: number;
  reset?: { index: number; term: number };
  entries: LogEntry<P>[];
}

/** Apply every entry up to `index` (all durable here) to the partition's state, in log order. */
export interface CommitAdvance {
  partition: PartitionId;
  index: number;
}

/**
 * The leader needs `to` brought up to date by a snapshot (entries it lacks are no longer retained):
 * stream the partition's state to it, then call `snapshotSent` with the applied position the
 * stream started from.
 */
export interface SnapshotRequest {
  partition: PartitionId;
  to: NodeId;
  term: number;
}
