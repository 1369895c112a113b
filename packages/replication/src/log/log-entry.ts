import type { NodeId, PartitionId } from '../types';
import type { Configuration } from './configuration';

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
  /**
   * A configuration entry: the partition's replica set from this entry on (see configuration.ts).
   * It takes effect on each replica as soon as it is in its log, committed or not, and is undone
   * if the entry is truncated. Its payload is undefined.
   */
  config?: Configuration;
}

/**
 * What a node kept of a partition's log when it stopped: the position its state reflects
 * (`applied`: every entry up to it is applied, and entries before it may be gone from the log) and
 * the entries after it that are on disk, in order.
 */
export interface PersistedLog<P> {
  applied: { index: number; term: number };
  entries: readonly LogEntry<P>[];
  /**
   * The configuration as of the applied position: the last configuration entry applied, or the one
   * a snapshot brought (`LogWrite.reset.config`). The driver keeps it durable with its applied
   * state. Missing: no configuration entry ever reached this node's state, and the replica set the
   * node was started with (the layout's, all voters) is in force until one does.
   */
  config?: Configuration;
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
  /** `config`: the configuration as of the snapshot's position, to keep with the applied state. */
  reset?: { index: number; term: number; config: Configuration };
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
