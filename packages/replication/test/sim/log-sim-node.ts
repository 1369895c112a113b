import type {
  CommitAdvance,
  Configuration,
  LogEntry,
  LogWrite,
  NodeId,
  PartitionId,
  PersistRecord,
  PersistedElectionState,
  ReplicaNode,
  ReplicaOutbound,
  SnapshotRequest,
} from '../../src';
import type { Prng } from './prng';
import type { ShadowLog } from './shadow-log';

/**
 * One simulated storage node of the log simulator (log-simulation.ts) and what it holds: the
 * client writes it carries, its disk (what survives a crash; nothing survives a wipe), the batches
 * its driver has in flight and the proposals it accepted. Apart from the simulation, so that the
 * invariants (log-invariants.ts) can name these without importing the simulation that runs them.
 */

export interface WritePayload {
  id: number;
  key: string;
  value: number;
}

export type SimEntry = LogEntry<WritePayload>;

export interface StoredValue {
  id: number;
  value: number;
  index: number;
}

/** A partition's applied state as the driver keeps it: durable together with its position. */
export interface AppliedState {
  index: number;
  term: number;
  /** The prefix hash of the entries applied (see shadow-log.ts). */
  hash: number;
  kv: Map<string, StoredValue>;
  /** The configuration as of `index` (the last configuration entry applied, or a snapshot's); undefined: the layout's. */
  config?: Configuration;
}

export function emptyState(): AppliedState {
  return { index: 0, term: 0, hash: 0, kv: new Map() };
}

/** Everything that survives a crash (and nothing survives a wipe). */
export class Disk {
  readonly elections = new Map<PartitionId, PersistedElectionState>();
  /** Per partition: the log entries on disk by index (those up to the applied position are dropped as they are applied). */
  readonly logs = new Map<PartitionId, Map<number, SimEntry>>();
  readonly states = new Map<PartitionId, AppliedState>();
  /** Partitions this node replicates as a learner (its data was lost and it has not been promoted since). */
  readonly learners = new Set<PartitionId>();
  generation = 0;
  /** The node started since its last wipe (see the planted bug `learner-forgotten-on-restart`). */
  startedSinceWipe = true;

  state(partition: PartitionId): AppliedState {
    let state = this.states.get(partition);
    if (!state) this.states.set(partition, (state = emptyState()));
    return state;
  }

  log(partition: PartitionId): Map<number, SimEntry> {
    let log = this.logs.get(partition);
    if (!log) this.logs.set(partition, (log = new Map()));
    return log;
  }

  /** The node's log removed it from the partition: its data goes, its term and vote stay (it must never vote twice in a term). */
  forget(partition: PartitionId): void {
    this.logs.delete(partition);
    this.states.delete(partition);
    this.learners.delete(partition);
  }

  wipe(partitions: readonly PartitionId[]): void {
    this.elections.clear();
    this.logs.clear();
    this.states.clear();
    this.learners.clear();
    for (const p of partitions) this.learners.add(p);
    this.generation += 1;
    this.startedSinceWipe = false;
  }
}

/** One Ready's durable work and what waits for it. */
export interface Batch {
  persist: PersistRecord[];
  logWrites: LogWrite<WritePayload>[];
  promoted: PartitionId[];
  messages: ReplicaOutbound<WritePayload>[];
  commits: CommitAdvance[];
  snapshots: SnapshotRequest[];
  doneAtMs: number;
}

/** A client write in flight at the node that accepted it. */
export interface Proposal {
  id: number;
  partition: PartitionId;
  key: string;
  term: number;
  index: number;
  node: NodeId;
  startMs: number;
}

export class LogSimNode {
  up = true;
  incarnation = 0;
  engine: ReplicaNode<WritePayload> | undefined;
  readonly disk = new Disk();
  /** Batches written but not yet durable, in order. */
  pipeline: Batch[] = [];
  lastDoneAtMs = 0;
  /** Mirror of the engine's in-memory log per partition. */
  readonly shadows = new Map<PartitionId, ShadowLog>();
  /** Proposals of this incarnation not yet resolved, by `partition/index`. */
  readonly proposals = new Map<string, Proposal>();
  draining = false;
  restartedAtMs = -Infinity;
  /** Crash while the next batch is being written (see `crashDuringWrite`). */
  crashOnWrite: { restartAfterMs: number; votes: boolean; onCrash: (() => void) | undefined } | undefined = undefined;
  readonly partitions: PartitionId[] = [];

  constructor(
    readonly id: NodeId,
    readonly code: number,
    readonly clockOffsetMs: number,
    readonly clockRate: number,
    readonly random: Prng,
  ) {}

  shadow(partition: PartitionId): ShadowLog {
    return this.shadows.get(partition)!;
  }
}

/** A partition move the simulator's mover drives (log-moves.ts). */
export interface Move {
  partition: PartitionId;
  add: NodeId;
  remove: NodeId;
  /** Give the join up once `add` is a learner. */
  abort: boolean;
  aborted: boolean;
  /** The mover made `add` replicate the partition (it may have done so before the learner entry was accepted). */
  joined: boolean;
  startedMs: number;
}
