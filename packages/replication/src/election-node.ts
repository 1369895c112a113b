/**
 * Leadership for every partition a storage node replicates: Raft-style elections (terms, pre-vote,
 * one persisted vote per term, randomised timeouts), leader leases, leadership transfer and leader
 * balancing. A pure state machine in the manner of etcd-io/raft: no I/O, no clock, no randomness
 * of its own. The driver feeds it inputs (each with the time, in ms of its local monotonic clock)
 * and drains its output with `ready()`.
 *
 * Why leases are safe (the README has the long form):
 *  - A leader's lease starts at the send time of a heartbeat round and lasts `leaseDurationMs`
 *    once one follower (a majority with the leader) acked that round in the leader's term.
 *  - Any later leader needs a vote from the leader or that follower (majorities of 3 intersect).
 *    The leader votes only after stepping down, when it stops serving. The follower adopts the
 *    new term only after it acked (terms are persisted and only grow, and a follower with a higher
 *    term refuses the round), so the new leader is elected after the round was sent.
 *  - A new leader serves only `leaseDurationMs + clockDriftMarginMs` after its election, by which
 *    time every such lease has ended. (A transfer target skips the wait when the old leader says
 *    its own wait had passed and it has stopped serving: then no lease can remain.)
 *  - Leader stickiness (a follower that acked a live leader refuses votes for a minimum election
 *    timeout) keeps a rejoining replica from deposing a healthy leader, together with pre-vote.
 */
import { resolveElectionConfig, type ElectionConfig } from './config';
import { membersOf, quorumOf, type Configuration } from './log/configuration';
import { assert } from './errors';
import {
  BOOT_ID_MAX,
  HEARTBEAT_ROUNDS_TRACKED_MAX,
  OUTBOX_MESSAGES_MAX,
  PARTITIONS_PER_NODE_MAX,
  PARTITION_ID_MAX,
  PEERS_MAX,
  PEER_ACK_GAP_HEARTBEATS_MAX,
  REPLICATION_FACTOR,
  TERM_MAX,
  TRANSFER_RESENDS_MAX,
  TRANSFER_TARGET_ACK_AGE_HEARTBEATS_MAX,
} from './limits';
import type { Heartbeat, HeartbeatAck, HeartbeatAckEntry, HeartbeatEntry, Message, TimeoutNow, VoteRequest, VoteResponse } from './messages';
import type {
  ElectionEvent,
  NodeId,
  OutboundMessage,
  PartitionId,
  PartitionStatus,
  PersistRecord,
  PersistedElectionState,
  Ready,
  Role,
  RoleChangeReason,
  ServingWindow,
  TransferReason,
  TransferResult,
} from './types';

/** What an `ElectionNode` is built from (user options and injected dependencies together). */
export interface ElectionNodeInit {
  selfId: NodeId;
  /** Every partition this node replicates, with its replica set (preferred leader first). */
  partitions: ReadonlyMap<PartitionId, readonly NodeId[]>;
  /** What the node persisted before it stopped; partitions missing here start at term 0. */
  persisted?: ReadonlyMap<PartitionId, PersistedElectionState>;
  config?: Partial<ElectionConfig>;
  /** Uniform in [0, 1): the only source of randomness (election timeouts). Seeded in tests. */
  random: () => number;
  /** The local monotonic clock at start, in ms. */
  nowMs: number;
  /**
   * The last entry of the partition's replicated log here (see `ReplicaNode`): votes go only to
   * candidates whose log is at least as up to date, so that a leader holds every committed entry.
   * Without a log (elections alone) every position is (0, 0).
   */
  logPosition?: (partition: PartitionId) => LogPosition;
  /**
   * Whether a peer may take over a partition now (default: any): a learner ignores `TimeoutNow`, so
   * a transfer to one would only leave the partition leaderless (see `ReplicaNode`).
   */
  transferable?: (partition: PartitionId, peer: NodeId) => boolean;
  /**
   * Partitions this node replicates as a non-voting learner (its disk was lost): it neither votes
   * nor campaigns until `setVoting` promotes it, once it has caught up.
   */
  learners?: ReadonlySet<PartitionId>;
  /**
   * Each partition's configuration as its log says it (see `ReplicaNode`), where it differs from
   * `partitions` (whose sets are then all voters). Changed later by `setConfiguration`.
   */
  configurations?: ReadonlyMap<PartitionId, Configuration>;
}

/** `ids` in the order of `preference`, those it does not name after them (in their own order). */
function ordered(preference: readonly NodeId[], ids: readonly NodeId[]): NodeId[] {
  return [...preference.filter((id) => ids.includes(id)), ...ids.filter((id) => !preference.includes(id))];
}

/** A log entry's position: its term, then its index. */
export interface LogPosition {
  term: number;
  index: number;
}

/** Whether a log ending at `a` is at least as up to date as one ending at `b` (Raft's order). */
export function isAtLeastAsUpToDate(a: LogPosition, b: LogPosition): boolean {
  return a.term > b.term || (a.term === b.term && a.index >= b.index);
}

const EMPTY_LOG: LogPosition = { term: 0, index: 0 };

/** Per-partition state. Fields below `leader-only` are meaningful only while `role` is leader. */
class PartitionState {
  role: Role = 'follower';
  leader: NodeId | undefined = undefined;
  /** Randomised election timeout in use, and the time at which this replica will campaign. */
  electionTimeoutMs = 0;
  electionDeadlineMs = 0;
  /** Last time a heartbeat of the current leader was acked; stickiness runs from it. */
  leaderContactMs = -Infinity;
  /** Campaign bookkeeping (pre-vote or vote). */
  readonly granted = new Set<NodeId>();
  readonly rejected = new Set<NodeId>();
  /** A learner neither votes nor campaigns (see `ElectionNodeInit.learners`). */
  voting = true;
  /**
   * Whether this node may campaign as far as its configuration goes: a voter of it, or (see
   * `ReplicaNode`) a voter whose removal is not committed yet. Set with the configuration.
   */
  eligible = true;
  /**
   * Whether this node gives votes (see `ReplicaNode`): not while its log of the partition is one it
   * started empty on joining, until that log names it — it has forgotten what it held before, and
   * only its log's recency keeps it from electing a candidate of an outdated configuration.
   */
  grantsVotes = true;
  /**
   * The layout's preference order (set by the constructor and `reconfigure`): voters are kept in it
   * whatever order a configuration entry names them in, so that balancing and ranked timeouts follow
   * the layout (a node leaving or joining a partition comes last) and not the log's order.
   */
  preference: readonly NodeId[] = [];
  /** The term in which a transfer campaign may skip the lease wait (see `TimeoutNow.leasesClear`). */
  leasesClearTerm = -1;
  /** After handing leadership away: the `TimeoutNow` to resend while nobody has taken over. */
  transferOut: { message: TimeoutNow; to: NodeId; resendsLeft: number } | undefined = undefined;
  // leader-only
  electedAtMs = 0;
  servingNotBeforeMs = Infinity;
  caughtUp = false;
  leaseUntilMs = -Infinity;
  /** Send time of the newest round any follower acked in this term (or the election time). */
  quorumContactMs = -Infinity;
  /** Per follower, send time of the newest round it acked in this term. */
  readonly followerAckSentAtMs = new Map<NodeId, number>();
  // reporting
  servingReported = false;
  reportedLeader: NodeId | undefined = undefined;
  reportedTerm = -1;

  constructor(
    readonly partition: PartitionId,
    /**
     * Every member the partition's log goes to (voters first, in preference order, then learners),
     * and the voters alone: who elects, and whose acks make leases. Changed by `reconfigure` (a
     * layout step) and `setConfiguration` (the log's configuration). This node need not be a member
     * (a node that joins before its log arrives, or one its log has just removed).
     */
    public replicas: readonly NodeId[],
    public voters: readonly NodeId[],
    public peers: readonly NodeId[],
    public term: number,
    public votedFor: NodeId | undefined,
  ) {}
}

/** What this node knows of another storage node it shares partitions with. */
class PeerState {
  readonly partitions: PartitionState[] = [];
  /** Membership says the node is down (a hint: never used for safety). */
  down = false;
  /** The peer advertised, in its last heartbeat or ack, that it is draining. */
  draining = false;
  lastAckAtMs = -Infinity;
  ackStreakSinceMs = Infinity;
  /** The peer's boot id as last seen; a new one means it restarted (however quickly). */
  boot: number | undefined = undefined;

  constructor(readonly id: NodeId) {}
}

export class ElectionNode {
  readonly selfId: NodeId;
  readonly config: Readonly<ElectionConfig>;
  private readonly random: () => number;
  private readonly logPosition: (partition: PartitionId) => LogPosition;
  private readonly transferable: (partition: PartitionId, peer: NodeId) => boolean;
  private readonly partitions = new Map<PartitionId, PartitionState>();
  /** Partitions in ascending order, so that every loop is deterministic. */
  private readonly partitionList: PartitionState[] = [];
  private readonly peers = new Map<NodeId, PeerState>();
  private readonly peerList: PeerState[] = [];
  private nowMs: number;
  private draining = false;
  /** Random per start, sent in heartbeats and acks so that peers notice even a quick restart. */
  readonly bootId: number;

  private roundSeq = 0;
  private readonly roundSentAtMs = new Map<number, number>();
  private nextRoundAtMs: number;
  private roundUrgent = false;

  private outbox: OutboundMessage[] = [];
  private dirty = new Set<PartitionState>();
  private events: ElectionEvent[] = [];

  constructor(init: ElectionNodeInit) {
    this.config = resolveElectionConfig(init.config ?? {});
    assert(typeof init.selfId === 'string' && init.selfId.length > 0, 'selfId must be a non-empty string');
    assert(Number.isFinite(init.nowMs), 'nowMs must be finite');
    assert(init.partitions.size <= PARTITIONS_PER_NODE_MAX, () => `more than ${PARTITIONS_PER_NODE_MAX} partitions`);
    this.selfId = init.selfId;
    this.random = init.random;
    this.logPosition = init.logPosition ?? (() => EMPTY_LOG);
    this.transferable = init.transferable ?? (() => true);
    this.nowMs = init.nowMs;
    this.nextRoundAtMs = init.nowMs;
    this.bootId = Math.floor(this.nextRandom() * (BOOT_ID_MAX + 1));

    const ids = [...init.partitions.keys()].sort((a, b) => a - b);
    for (const partition of ids) {
      const ps = this.newPartitionState(partition, init.partitions.get(partition)!, init.persisted?.get(partition), init.configurations?.get(partition));
      if (init.learners?.has(partition)) ps.voting = false;
      this.partitions.set(partition, ps);
      this.partitionList.push(ps);
    }
    this.rebuildPeers();
  }

  /** A partition this node starts to replicate (at start, or when a layout change gives it one). */
  private newPartitionState(partition: PartitionId, replicas: readonly NodeId[], saved: PersistedElectionState | undefined, config?: Configuration): PartitionState {
    if (config === undefined) this.assertReplicaSet(partition, replicas);
    else this.assertConfiguration(partition, config);
    const voters = config ? config.voters : replicas;
    const members = config ? membersOf(config) : replicas;
    const term = saved?.term ?? 0;
    assert(Number.isInteger(term) && term >= 0 && term <= TERM_MAX, () => `partition ${partition}: bad persisted term ${term}`);
    // The vote may name a node that is no longer a replica (the set changed since): it is kept all
    // the same, so that this node still votes at most once in that term.
    const votedFor = saved?.votedFor ?? undefined;
    const ps = new PartitionState(partition, [...members], [...voters], members.filter((r) => r !== this.selfId), term, votedFor);
    ps.eligible = voters.includes(this.selfId);
    ps.preference = [...replicas];
    if (config) ps.voters = ordered(ps.preference, config.voters);
    this.resetElectionTimer(ps);
    return ps;
  }

  private assertReplicaSet(partition: PartitionId, replicas: readonly NodeId[]): void {
    assert(Number.isInteger(partition) && partition >= 0 && partition <= PARTITION_ID_MAX, () => `bad partition ${partition}`);
    assert(replicas.length === REPLICATION_FACTOR, () => `partition ${partition} has ${replicas.length} replicas`);
    assert(new Set(replicas).size === REPLICATION_FACTOR, () => `partition ${partition} repeats a replica`);
    assert(replicas.includes(this.selfId), () => `partition ${partition} is not replicated by ${this.selfId}`);
  }

  private assertConfiguration(partition: PartitionId, config: Configuration): void {
    assert(Number.isInteger(partition) && partition >= 0 && partition <= PARTITION_ID_MAX, () => `bad partition ${partition}`);
    const members = membersOf(config);
    assert(new Set(members).size === members.length, () => `partition ${partition}: a member appears twice in ${JSON.stringify(config)}`);
  }

  /** Recomputes which partitions each peer shares with this node, keeping what is known of the peers that remain. */
  private rebuildPeers(): void {
    for (const peer of this.peers.values()) peer.partitions.length = 0;
    for (const ps of this.partitionList) {
      for (const id of ps.peers) {
        let peer = this.peers.get(id);
        if (!peer) {
          peer = new PeerState(id);
          this.peers.set(id, peer);
        }
        peer.partitions.push(ps);
      }
    }
    for (const [id, peer] of this.peers) if (peer.partitions.length === 0) this.peers.delete(id);
    assert(this.peers.size <= PEERS_MAX, () => `more than ${PEERS_MAX} peers`);
    this.peerList.length = 0;
    this.peerList.push(...[...this.peers.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs

  /** Advances time: campaigns on election timeout, steps down without a quorum, sends heartbeats. */
  tick(nowMs: number): void {
    this.advance(nowMs);
    for (const ps of this.partitionList) {
      if (ps.role === 'leader') {
        // Check quorum: a leader no follower has acked for a minimum election timeout is cut off.
        // Its lease ended long ago (lease < that timeout); stepping down lets it vote and tells
        // the router to look elsewhere.
        if (nowMs - ps.quorumContactMs > this.config.electionTimeoutMinMs) this.becomeFollower(ps, ps.term, undefined, 'quorum-lost');
      } else if (nowMs >= ps.electionDeadlineMs && this.campaigns(ps)) {
        this.preCampaign(ps);
      }
    }
    if (this.roundUrgent || nowMs >= this.nextRoundAtMs) {
      this.sendHeartbeatRound();
      this.resendTransfers();
      this.balance();
    }
    for (const ps of this.partitionList) this.reportServing(ps);
  }

  /** A message from `from` (as authenticated by the transport; see `decodeMessage`). */
  receive(from: NodeId, message: Message, nowMs: number): void {
    this.advance(nowMs);
    if (from === this.selfId) return;
    // A vote request is answered whoever sends it (Raft §4.1): the candidate may be a voter of a
    // configuration our log does not hold yet, and only our vote can elect it. Everything else
    // comes only from replicas of partitions we share.
    if (!this.peers.has(from) && message.type !== 'VoteRequest') return;
    switch (message.type) {
      case 'VoteRequest':
        return this.onVoteRequest(from, message);
      case 'VoteResponse':
        return this.onVoteResponse(from, message);
      case 'Heartbeat':
        return this.onHeartbeat(from, message);
      case 'HeartbeatAck':
        return this.onHeartbeatAck(from, message);
      case 'TimeoutNow':
        return this.onTimeoutNow(from, message);
      default: {
        const never: never = message;
        assert(false, () => `unknown message ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * The driver, as leader-elect of `term`, has synced the partition's data from a majority of
   * replicas that had adopted `term` (so none of them still accepts the old leader's writes).
   * Ignored when it is no longer leader of that term.
   */
  catchUpComplete(partition: PartitionId, term: number, nowMs: number): void {
    this.advance(nowMs);
    const ps = this.partitions.get(partition);
    if (!ps || ps.role !== 'leader' || ps.term !== term) return;
    ps.caughtUp = true;
    this.reportServing(ps);
  }

  /**
   * Adopts new replica sets (a join or decommission step): partitions missing from `partitions`
   * are forgotten, new ones start as followers at their persisted term, and partitions whose set
   * changed keep their term, vote and role, with two exceptions that keep one leader per term:
   *  - a leader whose set gained or lost a member steps down, unless `keepLeadership` names the
   *    partition: the driver switched it itself, as serving leader, after making a majority of the
   *    new set hold its data. A kept leader's lease and quorum contact then count only the acks of
   *    members of the new set (a removed member's ack no longer keeps anyone from voting);
   *  - a candidate starts over as a follower (its votes came from the old set).
   * Messages from nodes that share no partition any more are ignored from now on.
   */
  reconfigure(
    partitions: ReadonlyMap<PartitionId, readonly NodeId[]>,
    nowMs: number,
    options: {
      persisted?: ReadonlyMap<PartitionId, PersistedElectionState>;
      keepLeadership?: ReadonlySet<PartitionId>;
      /** Partitions whose configuration the log decides (see `ReplicaNode`): `setConfiguration` semantics, not the layout's. */
      configurations?: ReadonlyMap<PartitionId, Configuration>;
    } = {},
  ): void {
    this.advance(nowMs);
    assert(partitions.size <= PARTITIONS_PER_NODE_MAX, () => `more than ${PARTITIONS_PER_NODE_MAX} partitions`);
    for (const ps of [...this.partitionList]) {
      if (partitions.has(ps.partition)) continue;
      // Leaving a partition: stop serving it first (reported in the term that was served).
      this.reportServing(ps, false);
      ps.transferOut = undefined;
      this.partitions.delete(ps.partition);
      this.partitionList.splice(this.partitionList.indexOf(ps), 1);
    }
    for (const [partition, replicas] of [...partitions].sort((a, b) => a[0] - b[0])) {
      const ps = this.partitions.get(partition);
      const config = options.configurations?.get(partition);
      if (!ps) {
        const created = this.newPartitionState(partition, replicas, options.persisted?.get(partition), config);
        this.partitions.set(partition, created);
        const at = this.partitionList.findIndex((other) => other.partition > partition);
        this.partitionList.splice(at < 0 ? this.partitionList.length : at, 0, created);
        continue;
      }
      if (config) {
        ps.preference = [...replicas];
        this.applyConfiguration(ps, config);
        continue;
      }
      this.assertReplicaSet(partition, replicas);
      const sameMembers = replicas.length === ps.replicas.length && replicas.every((id) => ps.replicas.includes(id));
      ps.preference = [...replicas];
      ps.replicas = [...replicas];
      ps.voters = [...replicas];
      ps.peers = replicas.filter((r) => r !== this.selfId);
      ps.eligible = ps.voters.includes(this.selfId);
      if (sameMembers) continue; // only the preference order changed
      if (ps.transferOut && !replicas.includes(ps.transferOut.to)) ps.transferOut = undefined;
      if (ps.role === 'leader' && !options.keepLeadership?.has(partition)) {
        this.becomeFollower(ps, ps.term, undefined, 'reconfigured');
      } else if (ps.role === 'leader') {
        for (const id of [...ps.followerAckSentAtMs.keys()]) if (!replicas.includes(id)) ps.followerAckSentAtMs.delete(id);
        const acks = [...ps.followerAckSentAtMs.values()];
        const newest = acks.length > 0 ? Math.max(...acks) : -Infinity;
        ps.leaseUntilMs = newest + this.config.leaseDurationMs;
        ps.quorumContactMs = Number.isFinite(newest) ? newest : this.nowMs;
        this.roundUrgent = true; // the new member hears from its leader at once
      } else if (ps.role !== 'follower') {
        this.becomeFollower(ps, ps.term, undefined, 'reconfigured');
      } else if (ps.leader !== undefined && !replicas.includes(ps.leader)) {
        ps.leader = undefined;
        this.leaveRole(ps, 'follower', 'reconfigured');
      }
      this.reportServing(ps);
    }
    this.rebuildPeers();
  }

  /**
   * The partition's configuration in force changed (a configuration entry entered or left its log,
   * or a snapshot replaced it; see `ReplicaNode`). Term, vote and role are kept: a leader goes on
   * leading (it appended the entry itself, and keeps its lease only as far as a majority of the new
   * voters acked — so it may shrink), a candidate starts over as a follower (its votes were counted
   * against the old voters). A node that is no voter neither campaigns nor takes over.
   */
  setConfiguration(partition: PartitionId, config: Configuration, nowMs: number): void {
    this.advance(nowMs);
    const ps = this.partitions.get(partition);
    if (!ps) return;
    this.applyConfiguration(ps, config);
    this.rebuildPeers();
  }

  private applyConfiguration(ps: PartitionState, config: Configuration): void {
    this.assertConfiguration(ps.partition, config);
    const voters = ordered(ps.preference, config.voters);
    const members = [...voters, ...config.learners];
    ps.replicas = members;
    ps.voters = voters;
    ps.peers = members.filter((r) => r !== this.selfId);
    ps.eligible = ps.voters.includes(this.selfId);
    if (ps.transferOut && !ps.voters.includes(ps.transferOut.to)) ps.transferOut = undefined;
    if (ps.role === 'leader') {
      for (const id of [...ps.followerAckSentAtMs.keys()]) if (!members.includes(id)) ps.followerAckSentAtMs.delete(id);
      const contact = this.majorityContactMs(ps);
      ps.leaseUntilMs = contact + this.config.leaseDurationMs;
      ps.quorumContactMs = Math.max(contact, ps.electedAtMs);
      this.roundUrgent = true; // a new member hears from its leader at once
    } else if (ps.role !== 'follower') {
      this.becomeFollower(ps, ps.term, undefined, 'reconfigured');
    }
    this.reportServing(ps);
  }

  /**
   * Starts replicating a partition outside a layout step (a node joining it through its log; see
   * `ReplicaNode.joinPartition`). `preference`: the layout's order of the partition's replicas, the
   * one every other replica ranks voters by (without it, the configuration's own order).
   */
  addPartition(partition: PartitionId, config: Configuration, persisted: PersistedElectionState | undefined, nowMs: number, preference?: readonly NodeId[]): void {
    this.advance(nowMs);
    if (this.partitions.has(partition)) return;
    assert(this.partitions.size < PARTITIONS_PER_NODE_MAX, () => `more than ${PARTITIONS_PER_NODE_MAX} partitions`);
    const created = this.newPartitionState(partition, membersOf(config), persisted, config);
    if (preference !== undefined) {
      // Balancing hands leadership to the first fit voter in this order: two replicas that rank
      // voters differently hand it to each other every `balanceHoldMs`, for ever (log sim seed 7071).
      created.preference = [...preference];
      created.voters = ordered(created.preference, config.voters);
      created.replicas = [...created.voters, ...config.learners];
    }
    this.partitions.set(partition, created);
    const at = this.partitionList.findIndex((other) => other.partition > partition);
    this.partitionList.splice(at < 0 ? this.partitionList.length : at, 0, created);
    this.rebuildPeers();
  }

  /** Stops replicating a partition (its log removed this node): it stops serving it first. */
  removePartition(partition: PartitionId, nowMs: number): void {
    this.advance(nowMs);
    const ps = this.partitions.get(partition);
    if (!ps) return;
    if (ps.role === 'leader') this.becomeFollower(ps, ps.term, undefined, 'removed');
    this.reportServing(ps, false);
    // A term or vote changed in this step is still written by the next `ready()` (a vote may be on its way).
    this.partitions.delete(partition);
    this.partitionList.splice(this.partitionList.indexOf(ps), 1);
    this.rebuildPeers();
  }

  /**
   * Lets a node its log is removing still campaign while the removal is uncommitted (it may hold
   * the newest log, and no one else may be able to win without it); it counts votes against the
   * configuration in force, which does not include it, and hands over once the removal commits.
   */
  setEligible(partition: PartitionId, eligible: boolean): void {
    const ps = this.partitions.get(partition);
    if (ps) ps.eligible = eligible || ps.voters.includes(this.selfId);
  }

  /** Whether this node may grant votes in the partition (see `PartitionState.grantsVotes`). */
  setGrantsVotes(partition: PartitionId, grants: boolean): void {
    const ps = this.partitions.get(partition);
    if (ps) ps.grantsVotes = grants;
  }

  /** Steps down from leading `partition` (the log removed this node from its voters; see `ReplicaNode`). */
  stepDown(partition: PartitionId, nowMs: number): void {
    this.advance(nowMs);
    const ps = this.partitions.get(partition);
    if (ps && ps.role === 'leader') this.becomeFollower(ps, ps.term, undefined, 'removed');
  }

  /** Membership believes `nodeId` is up. Only a hint: it re-enables transfers to that node. */
  nodeUp(nodeId: NodeId, nowMs: number): void {
    this.advance(nowMs);
    const peer = this.peers.get(nodeId);
    if (!peer || !peer.down) return;
    peer.down = false;
    peer.lastAckAtMs = -Infinity; // its streak of acks starts afresh
    peer.ackStreakSinceMs = Infinity;
  }

  /**
   * Membership believes `nodeId` is down. Only a hint: no transfer goes to it, and it is not
   * preferred, until it acks a heartbeat again (first-hand evidence wins over gossip).
   */
  nodeDown(nodeId: NodeId, nowMs: number): void {
    this.advance(nowMs);
    const peer = this.peers.get(nodeId);
    if (!peer) return;
    peer.down = true;
    peer.lastAckAtMs = -Infinity; // its next ack starts a new streak
    peer.ackStreakSinceMs = Infinity;
  }

  /**
   * Admin drain of one partition: hands leadership to `target` (or the first fit replica in
   * preferred order) at once, and stops serving at once. The target must have acked a recent
   * heartbeat of the current term. Balancing may later return leadership to the preferred
   * replica; to keep leadership off a node, use `setDraining`.
   */
  transferLeadership(partition: PartitionId, nowMs: number, target?: NodeId): TransferResult {
    this.advance(nowMs);
    const ps = this.partitions.get(partition);
    if (!ps || ps.role !== 'leader') return { ok: false, reason: 'not-leader' };
    if (target !== undefined && (target === this.selfId || !ps.voters.includes(target))) return { ok: false, reason: 'invalid-target' };
    for (const candidate of target !== undefined ? [target] : ps.peers) {
      if (this.isFitTarget(ps, candidate, false)) {
        this.transferTo(ps, candidate, 'admin');
        return { ok: true, target: candidate };
      }
    }
    return { ok: false, reason: 'no-eligible-target' };
  }

  /**
   * A draining node hands every partition it leads to another fit replica (a few per heartbeat
   * round), is skipped by its peers' balancing, and campaigns later than the others. It still
   * leads when no other replica can: availability first.
   */
  setDraining(draining: boolean, nowMs: number): void {
    this.advance(nowMs);
    this.draining = draining;
  }

  /**
   * Term fence for data replication: may this replica accept a write (or answer a catch-up) for
   * `partition` from `from`, leader of `term`? False for a term older than ours, so a deposed
   * leader gets no acks. A newer term is adopted, which produces a persist record: the driver
   * must make it durable (`ready()`) before acknowledging the write.
   */
  acceptsReplication(partition: PartitionId, term: number, from: NodeId, nowMs: number): boolean {
    this.advance(nowMs);
    const ps = this.partitions.get(partition);
    // The sender need not be in our configuration: a node whose log lacks the entries that added
    // the leader (or lacks its own removal) learns them only from that leader. Only the leader of
    // a term sends that term's log messages (one leader per term), so the term alone decides.
    if (!ps) return false;
    if (term < ps.term) return false;
    if (term > ps.term) {
      this.becomeFollower(ps, term, from === this.selfId ? undefined : from, 'higher-term');
    } else if (ps.role === 'leader') {
      assert(from === this.selfId, () => `partition ${partition}: replication from ${from} in our own term ${term}`);
    } else if (ps.role !== 'follower' || ps.leader === undefined) {
      if (from !== this.selfId) this.becomeFollower(ps, term, from, 'leader-found');
    }
    return true;
  }

  /** A log message from a replica carried a term newer than ours: step down and adopt it. */
  observeTerm(partition: PartitionId, term: number, nowMs: number): void {
    this.advance(nowMs);
    const ps = this.partitions.get(partition);
    if (ps && term > ps.term) this.becomeFollower(ps, term, undefined, 'higher-term');
  }

  /**
   * Promotes a learner to a voter once it caught up with the log of `leader` in our current term.
   * It counts as having voted for that leader in this term: before its disk was lost it may have
   * voted in this term already, and it must never help elect a second leader in it.
   */
  promoteToVoter(partition: PartitionId, leader: NodeId, nowMs: number): void {
    this.advance(nowMs);
    const ps = this.partitions.get(partition);
    if (!ps || ps.voting) return;
    assert(ps.leader === leader, () => `partition ${partition}: promoted by ${leader}, but the leader is ${ps.leader}`);
    ps.voting = true;
    if (ps.votedFor === undefined) {
      ps.votedFor = leader;
      this.markDirty(ps);
    }
    this.resetElectionTimer(ps);
  }

  /** Whether this node votes in the partition (false while it is a learner). */
  isVoter(partition: PartitionId): boolean {
    return this.partitions.get(partition)?.voting ?? false;
  }

  // ---------------------------------------------------------------------------------------------
  // Output

  hasReady(): boolean {
    return this.outbox.length > 0 || this.dirty.size > 0 || this.events.length > 0;
  }

  /**
   * Takes everything produced since the last call. Persist `persist` durably first, then send
   * `messages` (in any order, or not at all: the protocol tolerates loss), then log `events`.
   */
  ready(): Ready {
    const persist: PersistRecord[] = [];
    for (const ps of this.dirty) persist.push({ partition: ps.partition, term: ps.term, votedFor: ps.votedFor ?? null });
    const ready: Ready = { persist, messages: this.outbox, events: this.events };
    this.dirty = new Set();
    this.outbox = [];
    this.events = [];
    return ready;
  }

  // ---------------------------------------------------------------------------------------------
  // Queries (none changes state)

  /** Leader of the partition as known here (this node if it leads), or undefined. */
  leaderOf(partition: PartitionId): NodeId | undefined {
    return this.partitions.get(partition)?.leader;
  }

  termOf(partition: PartitionId): number | undefined {
    return this.partitions.get(partition)?.term;
  }

  roleOf(partition: PartitionId): Role | undefined {
    return this.partitions.get(partition)?.role;
  }

  /**
   * True while this node is the partition's leader, caught up, past the lease wait of its
   * election and inside a lease: it may serve strong reads and accept writes now. Check it again
   * when answering, not only when starting: the lease may run out meanwhile.
   */
  isServingLeader(partition: PartitionId, nowMs: number): boolean {
    const ps = this.partitions.get(partition);
    return ps !== undefined && this.isServing(ps, nowMs);
  }

  /** The interval in which this node may serve, as of now (leases only grow with acks), or undefined. */
  servingWindow(partition: PartitionId): ServingWindow | undefined {
    const ps = this.partitions.get(partition);
    if (!ps || ps.role !== 'leader' || !ps.caughtUp || ps.leaseUntilMs <= ps.servingNotBeforeMs) return undefined;
    return { term: ps.term, fromMs: ps.servingNotBeforeMs, untilMs: ps.leaseUntilMs };
  }

  /** What must be on disk for this partition once the pending `Ready` is persisted. */
  persistentState(partition: PartitionId): PersistRecord | undefined {
    const ps = this.partitions.get(partition);
    return ps && { partition, term: ps.term, votedFor: ps.votedFor ?? null };
  }

  status(partition: PartitionId): PartitionStatus | undefined {
    const ps = this.partitions.get(partition);
    if (!ps) return undefined;
    const leading = ps.role === 'leader';
    return {
      partition,
      replicas: ps.replicas,
      voters: ps.voters,
      role: ps.role,
      term: ps.term,
      votedFor: ps.votedFor ?? null,
      leader: ps.leader ?? null,
      caughtUp: leading && ps.caughtUp,
      servingFromMs: leading ? ps.servingNotBeforeMs : null,
      leaseUntilMs: leading && Number.isFinite(ps.leaseUntilMs) ? ps.leaseUntilMs : null,
    };
  }

  partitionIds(): PartitionId[] {
    return this.partitionList.map((ps) => ps.partition);
  }

  isDraining(): boolean {
    return this.draining;
  }

  // ---------------------------------------------------------------------------------------------
  // Messages

  private onVoteRequest(from: NodeId, m: VoteRequest): void {
    const ps = this.partitions.get(m.partition);
    if (!ps) return;
    const reply = (granted: boolean, term: number) =>
      this.send(from, { type: 'VoteResponse', partition: ps.partition, term, preVote: m.preVote, granted });
    // Leader stickiness: while we lead, or acked a live leader less than a minimum election timeout
    // ago, we neither vote nor adopt the candidate's term, unless the leader itself asked for this
    // election (a transfer).
    // A node outside our configuration cannot force its way past stickiness: only our leader sends
    // `TimeoutNow`, and only to a voter of its configuration, which is ours or one step on.
    if ((!m.force || !ps.replicas.includes(from)) && this.isSticky(ps)) return reply(false, ps.term);
    // A learner's term and vote may have been lost with its disk: it gives no vote at all. Nor does
    // a node whose log of the partition started empty when it joined and does not name it yet.
    if (!ps.voting || !ps.grantsVotes) return reply(false, ps.term);
    // Raft's election restriction: only a candidate holding every entry we hold can win with our
    // vote, so every committed entry (on a majority) is in the next leader's log.
    const logOk = isAtLeastAsUpToDate({ term: m.lastLogTerm, index: m.lastLogIndex }, this.logPosition(ps.partition));
    if (m.preVote) {
      // Would we vote for a campaign in m.term? Nothing changes here: a cut-off replica's pre-votes
      // fail and its term stays put.
      const granted = m.term > ps.term && logOk;
      return reply(granted, granted ? m.term : ps.term);
    }
    if (m.term > ps.term) this.becomeFollower(ps, m.term, undefined, 'higher-term');
    const granted = m.term === ps.term && logOk && (ps.votedFor === undefined || ps.votedFor === from);
    if (granted && ps.votedFor === undefined) {
      ps.votedFor = from;
      this.markDirty(ps);
    }
    if (granted) this.restartElectionDeadline(ps);
    reply(granted, ps.term);
  }

  private onVoteResponse(from: NodeId, m: VoteResponse): void {
    const ps = this.partitions.get(m.partition);
    if (!ps || !ps.replicas.includes(from)) return;
    if (m.preVote) {
      if (ps.role !== 'pre-candidate') return;
      if (m.granted && m.term === ps.term + 1) {
        ps.granted.add(from);
        if (this.votersIn(ps, ps.granted) >= quorumOf(ps.voters.length)) this.campaign(ps, undefined);
      } else if (!m.granted && m.term > ps.term) {
        this.becomeFollower(ps, m.term, undefined, 'higher-term');
      } else if (!m.granted) {
        ps.rejected.add(from);
        if (this.votersIn(ps, ps.rejected) > ps.voters.length - quorumOf(ps.voters.length)) this.becomeFollower(ps, ps.term, undefined, 'pre-vote-lost');
      }
      return;
    }
    if (m.term > ps.term) return this.becomeFollower(ps, m.term, undefined, 'higher-term');
    if (ps.role !== 'candidate' || m.term !== ps.term) return;
    if (m.granted) {
      ps.granted.add(from);
      if (this.votersIn(ps, ps.granted) >= quorumOf(ps.voters.length)) this.becomeLeader(ps);
    } else {
      ps.rejected.add(from);
      if (this.votersIn(ps, ps.rejected) > ps.voters.length - quorumOf(ps.voters.length)) this.becomeFollower(ps, ps.term, undefined, 'vote-lost');
    }
  }

  private onHeartbeat(from: NodeId, m: Heartbeat): void {
    const peer = this.peers.get(from)!;
    peer.draining = m.draining;
    const entries: HeartbeatAckEntry[] = [];
    for (const entry of m.entries) {
      const ps = this.partitions.get(entry.partition);
      if (!ps || !ps.replicas.includes(from)) continue;
      if (entry.term < ps.term) {
        // A stale leader: refuse, and tell it our term so that it steps down.
        entries.push({ partition: ps.partition, term: ps.term, ok: false });
        continue;
      }
      if (entry.term > ps.term) {
        this.becomeFollower(ps, entry.term, from, 'higher-term');
      } else {
        assert(ps.role !== 'leader', () => `partition ${ps.partition}: two leaders (${this.selfId}, ${from}) in term ${ps.term}`);
        assert(ps.leader === undefined || ps.leader === from, () => `partition ${ps.partition}: two leaders (${ps.leader}, ${from}) in term ${ps.term}`);
        if (ps.role !== 'follower' || ps.leader === undefined) this.becomeFollower(ps, entry.term, from, 'leader-found');
      }
      ps.leaderContactMs = this.nowMs;
      this.restartElectionDeadline(ps);
      entries.push({ partition: ps.partition, term: ps.term, ok: true });
    }
    if (entries.length > 0) this.send(from, { type: 'HeartbeatAck', round: m.round, boot: this.bootId, draining: this.draining, entries });
  }

  private onHeartbeatAck(from: NodeId, m: HeartbeatAck): void {
    const peer = this.peers.get(from)!;
    // An ack is first-hand evidence that the peer is up: it outweighs a (possibly stale) hint.
    peer.down = false;
    if (peer.boot !== m.boot) {
      peer.boot = m.boot;
      peer.lastAckAtMs = -Infinity; // it restarted: a new streak, however short the gap
    }
    if (this.nowMs - peer.lastAckAtMs > this.config.heartbeatIntervalMs * PEER_ACK_GAP_HEARTBEATS_MAX) peer.ackStreakSinceMs = this.nowMs;
    peer.lastAckAtMs = this.nowMs;
    peer.draining = m.draining;
    const sentAtMs = this.roundSentAtMs.get(m.round);
    for (const entry of m.entries) {
      const ps = this.partitions.get(entry.partition);
      if (!ps || !ps.replicas.includes(from)) continue;
      if (entry.term > ps.term) {
        this.becomeFollower(ps, entry.term, undefined, 'higher-term');
        continue;
      }
      // An entry of our current term was sent by us as its leader (one leader per term, and we
      // cannot lead a term again once we left it), so the round's send time starts a lease.
      if (!entry.ok || entry.term !== ps.term || ps.role !== 'leader' || sentAtMs === undefined) continue;
      ps.followerAckSentAtMs.set(from, Math.max(ps.followerAckSentAtMs.get(from) ?? -Infinity, sentAtMs));
      if (!ps.voters.includes(from)) continue; // a learner's ack keeps nobody from voting
      const contact = this.majorityContactMs(ps);
      ps.quorumContactMs = Math.max(ps.quorumContactMs, contact);
      ps.leaseUntilMs = Math.max(ps.leaseUntilMs, contact + this.config.leaseDurationMs);
    }
  }

  private onTimeoutNow(from: NodeId, m: TimeoutNow): void {
    const ps = this.partitions.get(m.partition);
    // Only the leader of our current term sends one; anything else is stale (a later term exists).
    if (!ps || !ps.replicas.includes(from) || m.term !== ps.term || ps.role === 'leader' || !this.campaigns(ps)) return;
    this.campaign(ps, { leasesClear: m.leasesClear });
  }

  // ---------------------------------------------------------------------------------------------
  // Transitions

  private becomeFollower(ps: PartitionState, term: number, leader: NodeId | undefined, reason: RoleChangeReason): void {
    assert(term >= ps.term, () => `partition ${ps.partition}: term going back from ${ps.term} to ${term}`);
    this.reportServing(ps, false); // in the term that was served, before it changes
    if (term > ps.term) {
      ps.term = term;
      ps.votedFor = undefined;
      this.markDirty(ps);
    }
    ps.leader = leader;
    this.leaveRole(ps, 'follower', reason);
    this.resetElectionTimer(ps);
  }

  /** Asks for pre-votes: a campaign is started only if a majority would grant it. */
  private preCampaign(ps: PartitionState): void {
    assert(ps.term < TERM_MAX, () => `partition ${ps.partition}: term space exhausted`);
    ps.leader = undefined;
    this.leaveRole(ps, 'pre-candidate', 'election-timeout');
    ps.granted.add(this.selfId);
    this.resetElectionTimer(ps);
    const last = this.logPosition(ps.partition);
    for (const peer of ps.voters) {
      if (peer === this.selfId) continue;
      this.send(peer, { type: 'VoteRequest', partition: ps.partition, term: ps.term + 1, preVote: true, force: false, lastLogTerm: last.term, lastLogIndex: last.index });
    }
  }

  /** A real campaign; `transfer` when the leader asked for it with `TimeoutNow`. */
  private campaign(ps: PartitionState, transfer: { leasesClear: boolean } | undefined): void {
    assert(ps.term < TERM_MAX, () => `partition ${ps.partition}: term space exhausted`);
    ps.term += 1;
    ps.votedFor = this.selfId;
    this.markDirty(ps);
    ps.leader = undefined;
    this.leaveRole(ps, 'candidate', transfer ? 'timeout-now' : 'pre-vote-won');
    ps.granted.add(this.selfId);
    ps.leasesClearTerm = transfer?.leasesClear ? ps.term : -1;
    this.resetElectionTimer(ps);
    const last = this.logPosition(ps.partition);
    for (const peer of ps.voters) {
      if (peer === this.selfId) continue;
      this.send(peer, {
        type: 'VoteRequest',
        partition: ps.partition,
        term: ps.term,
        preVote: false,
        force: transfer !== undefined,
        lastLogTerm: last.term,
        lastLogIndex: last.index,
      });
    }
  }

  private becomeLeader(ps: PartitionState): void {
    ps.leader = this.selfId;
    this.leaveRole(ps, 'leader', 'vote-won');
    ps.electedAtMs = this.nowMs;
    // Wait out any lease an earlier leader may still hold, unless the transfer told us none can.
    const leaseWaitMs = ps.leasesClearTerm === ps.term ? 0 : this.config.leaseDurationMs + this.config.clockDriftMarginMs;
    ps.servingNotBeforeMs = this.nowMs + leaseWaitMs;
    ps.caughtUp = false;
    ps.leaseUntilMs = -Infinity;
    ps.quorumContactMs = this.nowMs;
    ps.followerAckSentAtMs.clear();
    this.roundUrgent = true; // tell the followers at the next tick, and start the lease
  }

  /** Hands leadership to `target`: stop serving now, then ask it to campaign at once. */
  private transferTo(ps: PartitionState, target: NodeId, reason: TransferReason): void {
    assert(ps.role === 'leader', 'only a leader transfers');
    const leasesClear = this.nowMs >= ps.servingNotBeforeMs;
    this.events.push({ type: 'TransferStarted', partition: ps.partition, term: ps.term, to: target, reason });
    // Becoming a follower of our own term means we can never lead (or serve in) it again, which
    // is what lets the target skip the lease wait.
    this.becomeFollower(ps, ps.term, undefined, 'transfer-out');
    const message: TimeoutNow = { type: 'TimeoutNow', partition: ps.partition, term: ps.term, leasesClear };
    this.send(target, message);
    ps.transferOut = { message, to: target, resendsLeft: TRANSFER_RESENDS_MAX };
  }

  /**
   * A lost `TimeoutNow` would leave the partition leaderless for an election timeout: resend it
   * each round while our term is unchanged and no leader is known. Duplicates are harmless (the
   * target ignores a `TimeoutNow` once its term moved on), and `leasesClear` stays true.
   */
  private resendTransfers(): void {
    for (const ps of this.partitionList) {
      const out = ps.transferOut;
      if (!out) continue;
      if (out.resendsLeft === 0 || ps.term !== out.message.term || ps.role !== 'follower' || ps.leader !== undefined) {
        ps.transferOut = undefined;
        continue;
      }
      out.resendsLeft -= 1;
      this.send(out.to, out.message);
    }
  }

  /** Common bookkeeping of every role change: clear campaign and leader state, report. */
  private leaveRole(ps: PartitionState, to: Role, reason: RoleChangeReason): void {
    const from = ps.role;
    ps.granted.clear();
    ps.rejected.clear();
    if (from === 'leader') {
      ps.caughtUp = false;
      ps.servingNotBeforeMs = Infinity;
      ps.leaseUntilMs = -Infinity;
      ps.quorumContactMs = -Infinity;
      ps.followerAckSentAtMs.clear();
    }
    ps.role = to;
    if (from !== to) this.events.push({ type: 'RoleChanged', partition: ps.partition, term: ps.term, from, to, reason });
    this.reportServing(ps);
    if (ps.leader !== ps.reportedLeader || ps.term !== ps.reportedTerm) {
      ps.reportedLeader = ps.leader;
      ps.reportedTerm = ps.term;
      this.events.push({ type: 'LeaderChanged', partition: ps.partition, term: ps.term, leader: ps.leader ?? null });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Heartbeats and balancing

  /** One heartbeat per peer, carrying every partition we lead that the peer replicates. */
  private sendHeartbeatRound(): void {
    const round = ++this.roundSeq;
    this.roundSentAtMs.set(round, this.nowMs);
    // Forget rounds whose lease would already be over, and the oldest beyond the bound.
    for (const [r, sentAtMs] of this.roundSentAtMs) {
      if (sentAtMs + this.config.leaseDurationMs > this.nowMs && this.roundSentAtMs.size <= HEARTBEAT_ROUNDS_TRACKED_MAX) break;
      this.roundSentAtMs.delete(r);
    }
    for (const peer of this.peerList) {
      const entries: HeartbeatEntry[] = [];
      for (const ps of peer.partitions) if (ps.role === 'leader') entries.push({ partition: ps.partition, term: ps.term });
      if (entries.length > 0) this.send(peer.id, { type: 'Heartbeat', round, boot: this.bootId, draining: this.draining, entries });
    }
    this.nextRoundAtMs = this.nowMs + this.config.heartbeatIntervalMs;
    this.roundUrgent = false;
  }

  /**
   * Once per round: a draining leader hands partitions to a fit replica; a leader that is not the
   * partition's preferred replica hands it back once that replica has been steadily reachable and
   * this leadership has lasted `balanceHoldMs`. Only serving leaders transfer, so that the target
   * can skip the lease wait.
   */
  private balance(): void {
    let budget = this.config.balanceTransfersPerRoundMax;
    for (const ps of this.partitionList) {
      if (budget === 0) return;
      if (ps.role !== 'leader' || !this.isServing(ps, this.nowMs)) continue;
      if (this.draining) {
        const target = ps.peers.find((peer) => this.isFitTarget(ps, peer, false));
        if (target !== undefined) {
          this.transferTo(ps, target, 'drain');
          budget -= 1;
        }
        continue;
      }
      const preferred = this.preferredLeader(ps);
      if (preferred === this.selfId || this.nowMs - ps.electedAtMs < this.config.balanceHoldMs) continue;
      if (this.isFitTarget(ps, preferred, true)) {
        this.transferTo(ps, preferred, 'balance');
        budget -= 1;
      }
    }
  }

  /**
   * The first replica in placement order that is not known to be down or draining. It depends on
   * membership hints and drain flags only, never on lost heartbeats, so it does not flap.
   */
  private preferredLeader(ps: PartitionState): NodeId {
    for (const id of ps.voters) {
      if (id === this.selfId) return id;
      const peer = this.peers.get(id)!;
      if (!peer.down && !peer.draining) return id;
    }
    return this.selfId;
  }

  /** Reachable now, in our term, not draining; for balancing also steadily reachable. */
  private isFitTarget(ps: PartitionState, target: NodeId, steady: boolean): boolean {
    const peer = this.peers.get(target);
    if (!peer || peer.down || peer.draining || !ps.voters.includes(target) || target === this.selfId || !this.transferable(ps.partition, target)) return false;
    const ackedSentAtMs = ps.followerAckSentAtMs.get(target);
    if (ackedSentAtMs === undefined) return false;
    if (this.nowMs - ackedSentAtMs > this.config.heartbeatIntervalMs * TRANSFER_TARGET_ACK_AGE_HEARTBEATS_MAX) return false;
    return !steady || this.nowMs - peer.ackStreakSinceMs >= this.config.balanceHoldMs;
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** Whether this node may campaign: it votes (no lost disk) and is eligible (see `setEligible`). */
  private campaigns(ps: PartitionState): boolean {
    return ps.voting && ps.eligible;
  }

  private votersIn(ps: PartitionState, ids: ReadonlySet<NodeId>): number {
    let n = 0;
    for (const id of ids) if (ps.voters.includes(id)) n++;
    return n;
  }

  /**
   * The send time of the newest round that a majority of the voters acked (this node counting as
   * one if it is a voter): a lease runs from it. With three voters, the newest ack of either
   * follower. -Infinity while too few voters acked.
   */
  private majorityContactMs(ps: PartitionState): number {
    const needed = quorumOf(ps.voters.length) - (ps.voters.includes(this.selfId) ? 1 : 0);
    if (needed <= 0) return this.nowMs;
    const acks: number[] = [];
    for (const id of ps.voters) {
      if (id === this.selfId) continue;
      const at = ps.followerAckSentAtMs.get(id);
      if (at !== undefined) acks.push(at);
    }
    if (acks.length < needed) return -Infinity;
    acks.sort((a, b) => b - a);
    return acks[needed - 1];
  }

  private isServing(ps: PartitionState, nowMs: number): boolean {
    return ps.role === 'leader' && ps.caughtUp && nowMs >= ps.servingNotBeforeMs && nowMs < ps.leaseUntilMs;
  }

  /** Leaders, and followers that acked their leader within a minimum election timeout, refuse votes. */
  private isSticky(ps: PartitionState): boolean {
    return ps.role === 'leader' || this.nowMs < ps.leaderContactMs + this.config.electionTimeoutMinMs;
  }

  private reportServing(ps: PartitionState, serving = this.isServing(ps, this.nowMs)): void {
    if (serving === ps.servingReported) return;
    ps.servingReported = serving;
    this.events.push({ type: 'ServingChanged', partition: ps.partition, term: ps.term, serving });
  }

  /**
   * A fresh random timeout, drawn from the slice of [min, max] that belongs to this replica's rank
   * in the replica set: the preferred replica times out first, so it usually wins the first
   * election and no balance transfer (with its failed in-flight writes) follows. A draining node
   * waits an extra maximum timeout so others win first.
   */
  private resetElectionTimer(ps: PartitionState): void {
    const { electionTimeoutMinMs: min, electionTimeoutMaxMs: max } = this.config;
    const r = this.nextRandom();
    const slots = this.config.rankedElectionTimeouts ? Math.max(1, ps.voters.length) : 1;
    const rank = slots > 1 ? Math.max(0, ps.voters.indexOf(this.selfId)) : 0;
    const slice = (max - min + 1) / slots;
    ps.electionTimeoutMs = min + Math.floor((rank + r) * slice) + (this.draining ? max : 0);
    this.restartElectionDeadline(ps);
  }

  private nextRandom(): number {
    const r = this.random();
    assert(r >= 0 && r < 1, () => `random() returned ${r}, not in [0, 1)`);
    return r;
  }

  private restartElectionDeadline(ps: PartitionState): void {
    ps.electionDeadlineMs = this.nowMs + ps.electionTimeoutMs;
  }

  private advance(nowMs: number): void {
    assert(Number.isFinite(nowMs), () => `time must be finite, got ${nowMs}`);
    assert(nowMs >= this.nowMs, () => `time went back from ${this.nowMs} to ${nowMs}`);
    this.nowMs = nowMs;
  }

  private markDirty(ps: PartitionState): void {
    this.dirty.add(ps);
  }

  private send(to: NodeId, message: Message): void {
    assert(this.outbox.length < OUTBOX_MESSAGES_MAX, 'outbox full: the driver must call ready()');
    this.outbox.push({ to, message });
  }
}
