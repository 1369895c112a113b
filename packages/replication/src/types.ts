import type { Message } from './messages';

/** A storage node's id, as membership and the ring know it. */
export type NodeId = string;

/** A partition number: 0 .. partition count (the system partition is the last). */
export type PartitionId = number;

/**
 * A replica's role in one partition. `pre-candidate` asks for pre-votes without touching its term,
 * so that a replica cut off from the others cannot inflate terms and depose a healthy leader.
 */
export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** What a node keeps on disk per partition, and is given back when it restarts. */
export interface PersistedElectionState {
  term: number;
  /** The candidate this node voted for in `term`, if any. */
  votedFor?: NodeId | null;
}

/** One partition's state to write durably, before any message of the same `Ready` is sent. */
export interface PersistRecord {
  partition: PartitionId;
  term: number;
  votedFor: NodeId | null;
}

export interface OutboundMessage {
  to: NodeId;
  message: Message;
}

/** Why a replica changed role; for logs and metrics. */
export type RoleChangeReason =
  | 'election-timeout'
  | 'pre-vote-won'
  | 'pre-vote-lost'
  | 'vote-won'
  | 'vote-lost'
  | 'higher-term'
  | 'leader-found'
  | 'quorum-lost'
  | 'transfer-out'
  | 'timeout-now'
  /** The partition's replica set changed members (a join or decommission) and this leader did not switch it. */
  | 'reconfigured'
  /** A committed configuration entry removed this leader from the partition's voters. */
  | 'removed';

export type TransferReason = 'balance' | 'drain' | 'admin';

/**
 * Things a driver logs or counts. `RoleChanged` to `leader` is also its cue to start data catch-up
 * and report it with `catchUpComplete`. `ServingChanged` is observed at tick granularity, so it is
 * for metrics only: the authority is `isServingLeader(partition, nowMs)` at the moment of serving.
 */
export type ElectionEvent =
  | { type: 'RoleChanged'; partition: PartitionId; term: number; from: Role; to: Role; reason: RoleChangeReason }
  | { type: 'LeaderChanged'; partition: PartitionId; term: number; leader: NodeId | null }
  | { type: 'ServingChanged'; partition: PartitionId; term: number; serving: boolean }
  | { type: 'TransferStarted'; partition: PartitionId; term: number; to: NodeId; reason: TransferReason };

/**
 * Everything the state machine produced since the last `ready()`. The driver must make `persist`
 * durable (one synced batch) before sending any of `messages`: the state machine already acts on
 * that state, and a vote sent but forgotten in a crash could elect two leaders in one term.
 */
export interface Ready {
  persist: PersistRecord[];
  messages: OutboundMessage[];
  events: ElectionEvent[];
}

/** When a leader may serve, in its own clock: from `fromMs` (inclusive) until `untilMs` (exclusive). */
export interface ServingWindow {
  term: number;
  fromMs: number;
  untilMs: number;
}

export type TransferResult =
  | { ok: true; target: NodeId }
  | { ok: false; reason: 'not-leader' | 'invalid-target' | 'no-eligible-target' };

/** A snapshot of one partition, for status pages and debugging. */
export interface PartitionStatus {
  partition: PartitionId;
  /** Every member the log goes to: voters (preferred first), then learners. */
  replicas: readonly NodeId[];
  /** The members that elect leaders and count towards commits and leases. */
  voters: readonly NodeId[];
  role: Role;
  term: number;
  votedFor: NodeId | null;
  leader: NodeId | null;
  caughtUp: boolean;
  servingFromMs: number | null;
  leaseUntilMs: number | null;
}
