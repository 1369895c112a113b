/**
 * A storage node's replicas of all its partitions: the elections of `ElectionNode` plus each
 * partition's replicated log, as one pure state machine (etcd-io/raft is the model). No I/O, no
 * clock, no randomness of its own; the driver feeds it inputs with the local monotonic time and
 * drains `ready()`.
 *
 * The log's rules, and why they keep every acknowledged write:
 *  - Only the leader of the current term appends (`propose`), and only while it serves: the term an
 *    entry carries is fixed in the same step as the leadership and lease check.
 *  - A follower takes an Append only from the leader of its current term (terms come through
 *    `ElectionNode.acceptsReplication`, and one leader per term) and only when its log holds the
 *    entry before them; a conflicting suffix (a deposed leader's uncommitted entries) is truncated.
 *  - An entry is committed once a majority of the replica set holds it durably — the leader
 *    counting itself only once its own copy is synced — and it is of the leader's term (an earlier
 *    term's entries commit with it, Raft §5.4.2). A learner's copy never counts.
 *  - Votes go only to candidates whose log is at least as up to date (see ElectionNode), so every
 *    leader holds every committed entry. A new leader appends a no-op and serves only once that
 *    no-op is applied here: its state then holds every committed write.
 *  - State is the committed log applied in order, and only what is durable here is handed out to
 *    apply. Strong reads read applied state inside the lease; writes are acknowledged once applied.
 *  - A leadership transfer stops proposals at once and holds `TimeoutNow` until the target holds
 *    the whole log, so no entry in flight is stranded.
 *  - A node that lost its disk replicates as a learner: no vote, no campaign, no count towards a
 *    majority, until a promotion entry naming it (and its generation) commits — which needs every
 *    other replica to accept the leader's term, so it never helps a stale leader.
 *
 * Replica-set changes (Raft's single-server changes; configuration.ts):
 *  - A configuration entry names the voters and learners from its index on. It takes effect on
 *    each replica as soon as it is in its log (committed or not) and is undone if truncated; commits
 *    and leases always count the voters of the configuration in the leader's log.
 *  - Each entry differs from the one before by one step: a learner added or removed, a learner
 *    promoted, a voter removed. Any majority of the old voters then meets any majority of the new.
 *  - A leader proposes a change only once an entry of its own term is committed (its no-op: an
 *    uncommitted change from an earlier term is then committed or gone everywhere that matters —
 *    without this, two changes made in different terms could each be one step from the base and
 *    two steps from each other), and only while no change in its log is uncommitted.
 *  - A learner gets the log but counts for nothing; it is promoted only once it holds the whole
 *    committed log. A leader removed from the voters keeps leading (not counting itself) until the
 *    entry commits, then hands over. A removed node learns of its removal from the leader (which
 *    keeps sending to it up to that entry; a later leader, only if it speaks up), and reports
 *    `Removed` once it applied the entry.
 */
import { ElectionNode, type ElectionNodeInit } from '../election-node';
import { assert } from '../errors';
import type { Message } from '../messages';
import type { ElectionEvent, NodeId, PartitionId, PartitionStatus, PersistRecord, PersistedElectionState, Role, ServingWindow, TransferResult } from '../types';
import { ConfigHistory, UNKNOWN_CONFIGURATION, describeChange, membersOf, type Configuration } from './configuration';
import type { CommitAdvance, LogEntry, LogWrite, PersistedLog, SnapshotRequest } from './log-entry';
import {
  LOG_APPEND_BYTES_MAX,
  LOG_APPEND_ENTRIES_MAX,
  LOG_APPEND_RETRY_MS,
  LOG_APPENDS_IN_FLIGHT_MAX,
  LOG_COMPACTION_SLACK_ENTRIES,
  LOG_PROPOSALS_IN_FLIGHT_MAX,
  LOG_RETAINED_ENTRIES_MAX,
} from './log-limits';
import type { Append, AppendResponse, InstallSnapshot, LogMessage } from './log-messages';
import { LogWindow } from './log-window';
import { majorityMatch } from './quorum';

export type ReplicaMessage<P> = Message | LogMessage<P>;

export interface ReplicaOutbound<P> {
  to: NodeId;
  message: ReplicaMessage<P>;
}

/** Log events for the driver's logs and metrics; ElectionNode's events come along. */
export type ReplicaEvent =
  | ElectionEvent
  | { type: 'Truncated'; partition: PartitionId; from: number }
  | { type: 'Promoted'; partition: PartitionId; term: number }
  /** The configuration in force here changed (an entry at `index` arrived, or was truncated, or a snapshot replaced the log). */
  | { type: 'ConfigurationChanged'; partition: PartitionId; index: number; config: Configuration }
  /** This node applied the committed entry (at `index`) that removed it from the partition: the driver may forget the partition. */
  | { type: 'Removed'; partition: PartitionId; index: number };

/**
 * Everything produced since the last `ready()`. The driver:
 *  1. may send `appends` at once (a leader's Appends and snapshots: they depend on nothing unsynced);
 *  2. writes `persist` (terms and votes) and `logWrites` durably, in order, in one synced batch, and
 *     then calls `logPersisted` for each partition written (its last entry written, or a reset's
 *     position); a `Promoted` event is made durable with the same batch (until then the partition
 *     restarts as a learner: a node that lost its disk must not vote after a second restart);
 *  3. then sends `messages`, applies `commits` (in order; calling `applied`), serves `snapshots`.
 */
export interface ReplicaReady<P> {
  persist: PersistRecord[];
  logWrites: LogWrite<P>[];
  appends: ReplicaOutbound<P>[];
  messages: ReplicaOutbound<P>[];
  commits: CommitAdvance[];
  snapshots: SnapshotRequest[];
  events: ReplicaEvent[];
}

export type ProposeResult = { ok: true; term: number; index: number } | { ok: false; reason: 'not-leader' | 'busy' };

/**
 * Why a configuration change was refused: `not-leader` (not serving), `own-term-uncommitted` (no
 * entry of this leader's term committed yet), `change-pending` (an earlier change is uncommitted),
 * `learner-behind` (a promotion of a learner that lacks part of the committed log), `invalid` (not
 * one step from the configuration in force; `detail` says why).
 */
export type ConfigChangeResult =
  | { ok: true; term: number; index: number }
  | { ok: false; reason: 'not-leader' | 'own-term-uncommitted' | 'change-pending' | 'learner-behind' | 'invalid'; detail?: string };

export interface ReplicaNodeInit<P> extends Omit<ElectionNodeInit, 'logPosition' | 'learners'> {
  /** Each partition's log as persisted (missing: empty). */
  logs: ReadonlyMap<PartitionId, PersistedLog<P>>;
  /** Partitions whose data this node lost (a new generation): it replicates them as a learner. */
  learners?: ReadonlySet<PartitionId>;
  /** This node's generation: changes whenever its data directory starts empty in a cluster that had it. */
  generation: number;
  /** A payload's size in bytes, to bound Append messages. */
  payloadBytes: (payload: P) => number;
  /**
   * A bug planted on purpose (issue 11's failure 2, for the simulator's proof that it finds it;
   * never set in a real process): `propose` takes the caller's earlier leadership check as still
   * good, and stamps the entry with the term it reads now — a deposed leader appends in the new
   * leader's term and sends it to the followers. See `plantedAppend`.
   */
  plantedStaleTermAppends?: boolean;
  /**
   * Planted bug (simulation only; issue 11's failure 3 in the log's terms): a configuration change
   * may swap voters in one step (a learner promoted and a voter removed at once), so that a majority
   * of the old voters and one of the new need not meet.
   */
  plantedTwoServerChanges?: boolean;
}

/** What the leader knows of one follower's log. */
class Progress {
  /** Next index to send; `match`: highest index known to match ours durably there. */
  next: number;
  match = 0;
  inFlight = 0;
  /** After a refusal: one Append at a time until the follower's log position is found. */
  probing = true;
  lastSentMs = -Infinity;
  /** The commit index last sent. */
  commitSent = 0;
  learner = false;
  /** The follower's generation, as its last answer said (a promotion entry names it). */
  generation = 0;
  snapshotting = false;
  /** The follower's generation when its current snapshot was asked for (the stream goes to that data). */
  snapshotGeneration = 0;
  /** Send at the next flush even with nothing new (a probe after a refusal, a transfer's catch-up). */
  forceSend = false;
  /**
   * A node the configuration no longer has: it is sent the log only up to the entry that removed
   * it (this index), so that it learns of its removal, and counts for nothing.
   */
  retiringAt: number | undefined = undefined;

  constructor(next: number) {
    this.next = next;
  }
}

class PartitionLog<P> {
  commit: number;
  /** Durable here up to this index (entries after it may still be on their way to disk). */
  persisted: number;
  applied: number;
  /** Commit index handed to the driver to apply. */
  emitted: number;
  /** The term this node leads (or led and still replicates, during a transfer); undefined otherwise. */
  leaderTerm: number | undefined = undefined;
  noopIndex = 0;
  caughtUpReported = false;
  readonly progress = new Map<NodeId, Progress>();
  /** A follower owes the leader of `term` an answer covering its log up to `upTo`. */
  pendingAck: { to: NodeId; term: number; upTo: number } | undefined = undefined;
  /** A `TimeoutNow` held until its target holds our whole log. */
  heldTransfer: { to: NodeId; message: Message } | undefined = undefined;
  /** A learner's own (first) promotion entry in its log, once it arrived. */
  promotionIndex = 0;
  /** A follower's last Append or snapshot from its leader, or its last reminder (see `remindLeader`). */
  leaderContactMs = -Infinity;
  /** This node applied a configuration naming it (so a later one without it removes it). */
  memberSeen: boolean;
  removedReported = false;
  /**
   * The highest commit index a leader told this follower (not clamped to what it sent): until it has
   * applied that far, a configuration without it may still be followed by one that adds it back.
   */
  leaderCommit = 0;
  /** A configuration came from the log (an entry, a snapshot, or the applied state): the layout no longer decides the members. */
  configured = false;

  constructor(
    readonly partition: PartitionId,
    readonly window: LogWindow<P>,
    /** The configurations set in the log, and the base before them. */
    readonly configs: ConfigHistory,
    selfId: NodeId,
  ) {
    this.memberSeen = membersOf(configs.at(window.prevIndex)).includes(selfId);
    this.commit = window.prevIndex;
    this.persisted = window.lastIndex;
    this.applied = window.prevIndex;
    this.emitted = window.prevIndex;
  }
}

export class ReplicaNode<P> {
  readonly selfId: NodeId;
  readonly generation: number;
  private readonly election: ElectionNode;
  private readonly logs = new Map<PartitionId, PartitionLog<P>>();
  private readonly payloadBytes: (payload: P) => number;
  private readonly plantedStaleTermAppends: boolean;
  private readonly plantedTwoServerChanges: boolean;
  private nowMs: number;

  private persist: PersistRecord[] = [];
  private logWrites: LogWrite<P>[] = [];
  private appends: ReplicaOutbound<P>[] = [];
  private messages: ReplicaOutbound<P>[] = [];
  private commits: CommitAdvance[] = [];
  private snapshots: SnapshotRequest[] = [];
  private events: ReplicaEvent[] = [];
  /**
   * Partitions whose followers may be owed an Append: new entries, commit news or a probe. They are
   * sent once per turn (`takeAppends` / `ready`), so a burst of proposals travels as one Append per
   * follower rather than one per write.
   */
  private readonly unsent = new Set<PartitionLog<P>>();

  constructor(init: ReplicaNodeInit<P>) {
    this.selfId = init.selfId;
    this.generation = init.generation;
    this.payloadBytes = init.payloadBytes;
    this.plantedStaleTermAppends = init.plantedStaleTermAppends ?? false;
    this.plantedTwoServerChanges = init.plantedTwoServerChanges ?? false;
    this.nowMs = init.nowMs;
    const configurations = new Map<PartitionId, Configuration>();
    for (const [partition, replicas] of init.partitions) {
      const log = this.newLog(partition, init.logs.get(partition), replicas);
      this.logs.set(partition, log);
      configurations.set(partition, log.configs.current);
    }
    this.election = new ElectionNode({
      ...init,
      configurations,
      learners: init.learners,
      transferable: (partition, peer) => {
        const progress = this.logs.get(partition)?.progress.get(peer);
        return !(progress?.learner ?? false) && progress?.retiringAt === undefined;
      },
      logPosition: (partition) => {
        const log = this.logs.get(partition);
        return log ? { term: log.window.lastTerm, index: log.window.lastIndex } : { term: 0, index: 0 };
      },
    });
    for (const [partition, log] of this.logs) {
      if (!log.configs.names(this.selfId)) this.election.setGrantsVotes(partition, false);
      this.updateEligibility(log);
    }
    this.pullElection();
  }

  /** A partition's log as persisted; its base configuration is the persisted one, else `fallback` (the layout's set, all voters). */
  private newLog(partition: PartitionId, persisted: PersistedLog<P> | undefined, fallback: readonly NodeId[] | Configuration): PartitionLog<P> {
    const applied = persisted?.applied ?? { index: 0, term: 0 };
    const window = new LogWindow<P>(applied.index, applied.term);
    const base = persisted?.config ?? (Array.isArray(fallback) ? { voters: [...fallback], learners: [] } : (fallback as Configuration));
    const configs = new ConfigHistory(applied.index, base);
    let configured = persisted?.config !== undefined;
    for (const entry of persisted?.entries ?? []) {
      window.append(entry);
      if (entry.config) {
        configs.append(entry.index, entry.config);
        configured = true;
      }
    }
    const log = new PartitionLog(partition, window, configs, this.selfId);
    log.configured = configured;
    return log;
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs

  tick(nowMs: number): void {
    this.advance(nowMs);
    this.election.tick(nowMs);
    this.pullElection();
    for (const log of this.logs.values()) {
      if (log.leaderTerm === undefined) {
        this.remindLeader(log, nowMs);
        continue;
      }
      // A learner elected (see `updateEligibility`) leaves the lead, once its no-op is applied, to a
      // voter that acks it (the transfer waits until that voter holds the whole log).
      if (log.caughtUpReported && log.configs.current.learners.includes(this.selfId)) this.election.transferLeadership(log.partition, nowMs);
      for (const [id, progress] of log.progress) {
        // A lost Append or answer: start again from what the follower is known to hold.
        if (progress.inFlight > 0 && nowMs - progress.lastSentMs >= LOG_APPEND_RETRY_MS) {
          progress.inFlight = 0;
          progress.probing = true;
          progress.next = progress.match + 1;
        }
        const upTo = Math.min(log.window.lastIndex, progress.retiringAt ?? Infinity);
        // A learner (lost disk) that holds the committed log is asked again until it answers as a
        // voter: it applies its promotion only after answering the Append that brought the commit,
        // and once a voter with nothing uncommitted it never reminds us, so if that answer is lost
        // an idle leader would count it a learner for ever — no transfer to it, and a move's
        // promotion of it refused as `learner-behind` (log sim seed 55361).
        const unpromoted = progress.learner && progress.retiringAt === undefined && progress.match >= log.commit;
        if (progress.inFlight === 0 && (progress.match < upTo || progress.commitSent < Math.min(log.commit, upTo) || unpromoted) && nowMs - progress.lastSentMs >= LOG_APPEND_RETRY_MS) {
          this.sendAppend(log, id, progress, true);
        }
      }
    }
  }

  receive(from: NodeId, message: ReplicaMessage<P>, nowMs: number): void {
    this.advance(nowMs);
    if (message.type === 'VoteRequest' || message.type === 'AppendResponse') this.noticeNonMember(from, message.partition);
    switch (message.type) {
      case 'Append':
        this.onAppend(from, message);
        break;
      case 'AppendResponse':
        this.onAppendResponse(from, message);
        break;
      case 'InstallSnapshot':
        this.onInstallSnapshot(from, message);
        break;
      default:
        this.election.receive(from, message, nowMs);
    }
    this.pullElection();
  }

  /**
   * Appends a write to the partition's log if this node serves it now; `build` makes its payload
   * from the (term, index) it gets, in the same step as that check (so the payload may carry its
   * version). The outcome comes later: applied at (term, index) — or the entry is truncated (see
   * `LogWrite.truncateFrom`), or replaced by another term's entry at that index.
   */
  propose(partition: PartitionId, build: (term: number, index: number) => P, nowMs: number): ProposeResult {
    this.advance(nowMs);
    const log = this.logs.get(partition);
    if (log && this.plantedStaleTermAppends && !this.election.isServingLeader(partition, nowMs)) return this.plantedAppend(log, build);
    if (!log || !this.election.isServingLeader(partition, nowMs)) return { ok: false, reason: 'not-leader' };
    const term = this.election.termOf(partition)!;
    assert(log.leaderTerm === term, () => `partition ${partition}: serving in term ${term} but replicating ${log.leaderTerm}`);
    if (log.window.lastIndex - log.commit >= LOG_PROPOSALS_IN_FLIGHT_MAX) return { ok: false, reason: 'busy' };
    const index = log.window.lastIndex + 1;
    const entry: LogEntry<P> = { term, index, payload: build(term, index) };
    this.appendOwn(log, entry);
    return { ok: true, term, index: entry.index };
  }

  /**
   * Proposes the partition's next configuration: one step from the one in force (see
   * `describeChange`), at the serving leader, once an entry of its term is committed and while no
   * other change is uncommitted. Like a write, it takes effect when it is applied at (term, index),
   * or fails if truncated; unlike a write, it takes effect here at once (commits and leases count
   * the new voters from now on).
   */
  proposeConfiguration(partition: PartitionId, next: Configuration, nowMs: number): ConfigChangeResult {
    this.advance(nowMs);
    const log = this.logs.get(partition);
    if (!log || !this.election.isServingLeader(partition, nowMs) || log.leaderTerm === undefined) return { ok: false, reason: 'not-leader' };
    if (log.commit < log.noopIndex) return { ok: false, reason: 'own-term-uncommitted' };
    if (log.configs.currentIndex > log.commit) return { ok: false, reason: 'change-pending' };
    const change = describeChange(log.configs.current, next);
    if (typeof change === 'string' && !this.plantedTwoServerChanges) return { ok: false, reason: 'invalid', detail: change };
    if (typeof change === 'string') {
      // Planted: any change goes, but a promoted learner must still hold the committed log.
      for (const node of next.voters.filter((id) => log.configs.current.learners.includes(id))) {
        const progress = log.progress.get(node);
        if (!progress || progress.learner || progress.match < log.commit) return { ok: false, reason: 'learner-behind' };
      }
    } else if (change.type === 'promote') {
      const progress = log.progress.get(change.node);
      if (!progress || progress.learner || progress.match < log.commit) return { ok: false, reason: 'learner-behind' };
    }
    const config: Configuration = { voters: [...next.voters], learners: [...next.learners] };
    const entry: LogEntry<P> = { term: log.leaderTerm, index: log.window.lastIndex + 1, payload: undefined, config };
    this.appendOwn(log, entry);
    return { ok: true, term: entry.term, index: entry.index };
  }

  /**
   * Starts replicating a partition this node is joining (a learner the leader added, or is about to
   * add): it learns the configuration from the log, and until then is no voter. `persisted` keeps
   * the term and vote it may have had in the partition before (a node removed and added again must
   * never vote twice in a term); `log` what it may still hold of it; `replicas` the layout's replica
   * set of the partition in preference order, as the constructor and `reconfigure` take it (voters
   * are ranked by it for balancing, as every other replica ranks them).
   */
  joinPartition(
    partition: PartitionId,
    nowMs: number,
    options: { persisted?: PersistedElectionState; log?: PersistedLog<P>; replicas?: readonly NodeId[] } = {},
  ): void {
    this.advance(nowMs);
    if (this.logs.has(partition)) return;
    const log = this.newLog(partition, options.log, UNKNOWN_CONFIGURATION);
    this.logs.set(partition, log);
    this.election.addPartition(partition, log.configs.current, options.persisted, nowMs, options.replicas);
    // What it held of the partition before is gone: its vote could elect a candidate of an outdated
    // configuration (one it had left) until its log names it again.
    this.election.setGrantsVotes(partition, log.configs.names(this.selfId));
    this.pullElection();
  }

  /** Stops replicating a partition (after `Removed`, or when an aborted join is given up): everything about it is dropped. */
  forgetPartition(partition: PartitionId, nowMs: number): void {
    this.advance(nowMs);
    const log = this.logs.get(partition);
    if (!log) return;
    this.logs.delete(partition);
    this.unsent.delete(log);
    this.election.removePartition(partition, nowMs);
    this.pullElection();
  }

  /**
   * The planted bug `plantedStaleTermAppends` (simulation only): the entry gets the term this node
   * knows now, whether or not it leads it, and goes to every other replica as an Append of that
   * term; followers take a same-term Append from whoever sends it. Two different entries then
   * share one (term, index), and the log matching property no longer holds.
   */
  private plantedAppend(log: PartitionLog<P>, build: (term: number, index: number) => P): ProposeResult {
    const term = this.election.termOf(log.partition) ?? 0;
    const index = log.window.lastIndex + 1;
    const entry: LogEntry<P> = { term, index, payload: build(term, index) };
    if (log.leaderTerm === term) {
      this.appendOwn(log, entry);
      return { ok: true, term, index };
    }
    const prevTerm = log.window.termAt(index - 1) ?? 0;
    log.window.append(entry);
    this.pushLogWrite(log.partition, undefined, entry);
    for (const to of this.election.status(log.partition)?.replicas ?? []) {
      if (to !== this.selfId) this.appends.push({ to, message: { type: 'Append', partition: log.partition, term, prevIndex: index - 1, prevTerm, entries: [entry], commit: log.commit } });
    }
    return { ok: true, term, index };
  }

  /** The entries of a `LogWrite` up to (index, term) are durable here. */
  logPersisted(partition: PartitionId, index: number, term: number, nowMs: number): void {
    this.advance(nowMs);
    const log = this.logs.get(partition);
    if (!log || log.window.termAt(index) !== term) return; // truncated since: a later write reports
    if (index <= log.persisted) return;
    log.persisted = index;
    if (log.leaderTerm !== undefined) this.maybeCommit(log);
    this.flushAck(log);
    this.emitCommits(log);
  }

  /** The driver applied every entry up to `index` (it was handed out in `commits`). */
  applied(partition: PartitionId, index: number, nowMs: number): void {
    this.advance(nowMs);
    const log = this.logs.get(partition);
    if (!log || index <= log.applied) return;
    assert(index <= log.emitted, () => `partition ${partition}: applied ${index} beyond ${log.emitted}`);
    const before = log.applied;
    log.applied = index;
    for (const set of log.configs.setBetween(before, index)) this.noteAppliedConfig(log, set.index, set.config);
    this.updateEligibility(log);
    if (log.leaderTerm !== undefined && !log.caughtUpReported && log.noopIndex > 0 && index >= log.noopIndex) {
      log.caughtUpReported = true;
      this.election.catchUpComplete(partition, log.leaderTerm, nowMs);
      this.pullElection();
    }
    if (log.promotionIndex > 0 && index >= log.promotionIndex && !this.election.isVoter(partition)) {
      const leader = this.election.leaderOf(partition);
      if (leader !== undefined) {
        this.election.promoteToVoter(partition, leader, nowMs);
        this.events.push({ type: 'Promoted', partition, term: this.election.termOf(partition)! });
        this.pullElection();
      }
    }
    this.compact(log);
  }

  /**
   * The driver streamed its state to `to` for the snapshot asked in `snapshots`; the stream started
   * from the applied position (index, snapshotTerm), so the follower now reflects at least that,
   * durably (the stream's data must survive a crash of the follower before it hears of it). The
   * `InstallSnapshot` that follows names the follower's generation when the snapshot was asked
   * for: a follower that lost its disk since refuses it (sim seed 1077), and is streamed again.
   */
  snapshotSent(partition: PartitionId, to: NodeId, term: number, index: number, snapshotTerm: number, nowMs: number): void {
    this.advance(nowMs);
    const log = this.logs.get(partition);
    const progress = log?.progress.get(to);
    if (!log || !progress || log.leaderTerm !== term) return;
    progress.snapshotting = false;
    progress.probing = true;
    progress.inFlight = 1;
    progress.lastSentMs = nowMs;
    progress.next = index + 1;
    const message: InstallSnapshot = {
      type: 'InstallSnapshot',
      partition,
      term,
      index,
      snapshotTerm,
      commit: Math.min(log.commit, progress.retiringAt ?? Infinity),
      generation: progress.snapshotGeneration,
      config: log.configs.at(index),
    };
    this.appends.push({ to, message });
  }

  /** The snapshot stream failed: it is asked again later. */
  snapshotFailed(partition: PartitionId, to: NodeId, nowMs: number): void {
    this.advance(nowMs);
    const progress = this.logs.get(partition)?.progress.get(to);
    if (progress) {
      progress.snapshotting = false;
      progress.lastSentMs = nowMs;
    }
  }

  transferLeadership(partition: PartitionId, nowMs: number, target?: NodeId): TransferResult {
    this.advance(nowMs);
    const result = this.election.transferLeadership(partition, nowMs, target);
    this.pullElection();
    return result;
  }

  setDraining(draining: boolean, nowMs: number): void {
    this.advance(nowMs);
    this.election.setDraining(draining, nowMs);
    this.pullElection();
  }

  /**
   * Adopts new replica sets (a join or decommission step; see `ElectionNode.reconfigure`).
   * Partitions gained start from `logs` (what is on disk here, if anything); partitions lost are
   * forgotten; a leader that keeps a partition tracks its new members from scratch.
   */
  reconfigure(
    partitions: ReadonlyMap<PartitionId, readonly NodeId[]>,
    nowMs: number,
    options: { persisted?: ElectionNodeInit['persisted']; keepLeadership?: ReadonlySet<PartitionId>; logs?: ReadonlyMap<PartitionId, PersistedLog<P>> } = {},
  ): void {
    this.advance(nowMs);
    for (const partition of [...this.logs.keys()]) {
      if (partitions.has(partition)) continue;
      this.unsent.delete(this.logs.get(partition)!);
      this.logs.delete(partition);
    }
    for (const partition of partitions.keys()) {
      if (!this.logs.has(partition)) this.logs.set(partition, this.newLog(partition, options.logs?.get(partition), partitions.get(partition)!));
    }
    // The log decides the members of a partition it holds a configuration for, and of one this node
    // joins (it is in no configuration yet): the layout only orders the voters.
    const configurations = new Map<PartitionId, Configuration>();
    for (const [partition, replicas] of partitions) {
      const log = this.logs.get(partition)!;
      if (log.configured || !replicas.includes(this.selfId)) configurations.set(partition, log.configs.current);
      // A log without a configuration follows the layout: its base is the layout's set.
      else log.configs.reset(log.configs.currentIndex, { voters: [...replicas], learners: [] });
    }
    this.election.reconfigure(partitions, nowMs, { persisted: options.persisted, keepLeadership: options.keepLeadership, configurations });
    for (const [partition, log] of this.logs) {
      this.election.setGrantsVotes(partition, log.configs.names(this.selfId));
      this.updateEligibility(log);
    }
    for (const [partition, replicas] of partitions) {
      const log = this.logs.get(partition)!;
      if (log.leaderTerm === undefined) continue;
      if (configurations.has(partition)) {
        this.syncProgress(log);
        continue;
      }
      for (const id of [...log.progress.keys()]) if (!replicas.includes(id)) log.progress.delete(id);
      for (const id of replicas) if (id !== this.selfId && !log.progress.has(id)) log.progress.set(id, new Progress(log.window.lastIndex + 1));
    }
    this.pullElection();
  }

  nodeUp(nodeId: NodeId, nowMs: number): void {
    this.advance(nowMs);
    this.election.nodeUp(nodeId, nowMs);
    this.pullElection();
  }

  nodeDown(nodeId: NodeId, nowMs: number): void {
    this.advance(nowMs);
    this.election.nodeDown(nodeId, nowMs);
    this.pullElection();
  }

  // ---------------------------------------------------------------------------------------------
  // Output

  hasReady(): boolean {
    return (
      this.election.hasReady() ||
      this.unsent.size > 0 ||
      this.persist.length + this.logWrites.length + this.appends.length + this.messages.length + this.commits.length + this.snapshots.length + this.events.length > 0
    );
  }

  /**
   * Takes only the leader's pending `appends` (a subset of the next `ready()`), which depend on
   * nothing unsynced: a driver may send them at once, while a persist of an earlier Ready is still
   * under way, so that followers start writing a new entry as soon as it is proposed.
   */
  takeAppends(): ReplicaOutbound<P>[] {
    this.flushSends();
    const appends = this.appends;
    this.appends = [];
    return appends;
  }

  ready(): ReplicaReady<P> {
    this.pullElection();
    this.flushSends();
    const ready: ReplicaReady<P> = {
      persist: this.persist,
      logWrites: this.logWrites,
      appends: this.appends,
      messages: this.messages,
      commits: this.commits,
      snapshots: this.snapshots,
      events: this.events,
    };
    this.persist = [];
    this.logWrites = [];
    this.appends = [];
    this.messages = [];
    this.commits = [];
    this.snapshots = [];
    this.events = [];
    return ready;
  }

  // ---------------------------------------------------------------------------------------------
  // Queries

  isServingLeader(partition: PartitionId, nowMs: number): boolean {
    return this.election.isServingLeader(partition, nowMs);
  }

  leaderOf(partition: PartitionId): NodeId | undefined {
    return this.election.leaderOf(partition);
  }

  termOf(partition: PartitionId): number | undefined {
    return this.election.termOf(partition);
  }

  roleOf(partition: PartitionId): Role | undefined {
    return this.election.roleOf(partition);
  }

  isVoter(partition: PartitionId): boolean {
    return this.election.isVoter(partition);
  }

  servingWindow(partition: PartitionId): ServingWindow | undefined {
    return this.election.servingWindow(partition);
  }

  status(partition: PartitionId): PartitionStatus | undefined {
    return this.election.status(partition);
  }

  persistentState(partition: PartitionId): PersistRecord | undefined {
    return this.election.persistentState(partition);
  }

  partitionIds(): PartitionId[] {
    return this.election.partitionIds();
  }

  isDraining(): boolean {
    return this.election.isDraining();
  }

  /** The partition's log positions here, for status pages and tests. */
  logStatus(partition: PartitionId): { first: number; last: number; lastTerm: number; commit: number; persisted: number; applied: number } | undefined {
    const log = this.logs.get(partition);
    if (!log) return undefined;
    return { first: log.window.firstIndex, last: log.window.lastIndex, lastTerm: log.window.lastTerm, commit: log.commit, persisted: log.persisted, applied: log.applied };
  }

  /**
   * The partition's configuration in force here, the index of the entry that set it (the base's
   * position if none in the log did), and whether that entry is committed.
   */
  configuration(partition: PartitionId): { config: Configuration; index: number; committed: boolean } | undefined {
    const log = this.logs.get(partition);
    if (!log) return undefined;
    return { config: log.configs.current, index: log.configs.currentIndex, committed: log.configs.currentIndex <= log.commit };
  }

  /**
   * Whether the partition's members here are still the layout's replica set: no configuration came
   * from its log yet (no entry, snapshot or applied state set one). `reconfigure` re-bases such a log
   * on the layout's new set; every other follows its log.
   */
  followsLayout(partition: PartitionId): boolean {
    const log = this.logs.get(partition);
    return log !== undefined && !log.configured;
  }

  /** The entry at `index` if it is still in memory (tests and the simulator). */
  entryAt(partition: PartitionId, index: number): LogEntry<P> | undefined {
    return this.logs.get(partition)?.window.entry(index);
  }

  /** Per follower of a partition this node leads: the index it is known to hold (metrics: its lag). */
  followerMatches(partition: PartitionId): Map<NodeId, number> {
    const out = new Map<NodeId, number>();
    for (const [id, progress] of this.logs.get(partition)?.progress ?? []) out.set(id, progress.match);
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Leader side

  /** Drains the election's output into ours, reacting to role and term changes. */
  private pullElection(): void {
    if (!this.election.hasReady()) return;
    const ready = this.election.ready();
    this.persist.push(...ready.persist);
    for (const event of ready.events) {
      this.events.push(event);
      if (event.type === 'RoleChanged' || event.type === 'LeaderChanged') this.reconcile(event.partition);
    }
    for (const out of ready.messages) {
      if (out.message.type === 'TimeoutNow') this.holdTransfer(out.to, out.message);
      else this.messages.push(out);
    }
  }

  /** Starts or stops replicating as leader to match the election state of the partition. */
  private reconcile(partition: PartitionId): void {
    const log = this.logs.get(partition);
    if (!log) return;
    const term = this.election.termOf(partition);
    if (log.leaderTerm !== undefined && log.leaderTerm !== term) {
      log.leaderTerm = undefined;
      log.progress.clear();
      log.heldTransfer = undefined;
    }
    if (this.election.roleOf(partition) === 'leader' && log.leaderTerm !== term) this.startLeading(log, term!);
  }

  private startLeading(log: PartitionLog<P>, term: number): void {
    log.leaderTerm = term;
    log.caughtUpReported = false;
    log.pendingAck = undefined;
    this.syncProgress(log);
    // Commit the earlier terms' entries through one of our own; serve once it is applied.
    const noop: LogEntry<P> = { term, index: log.window.lastIndex + 1, payload: undefined };
    log.noopIndex = noop.index;
    this.appendOwn(log, noop);
  }

  private appendOwn(log: PartitionLog<P>, entry: LogEntry<P>): void {
    log.window.append(entry);
    this.pushLogWrite(log.partition, undefined, entry);
    this.unsent.add(log);
    if (entry.config) {
      log.configs.append(entry.index, entry.config);
      this.configurationChanged(log);
    }
  }

  /** The configuration in force changed: elections and leases follow it, and a leader replicates to its members. */
  private configurationChanged(log: PartitionLog<P>): void {
    log.configured = true;
    if (log.configs.names(this.selfId)) this.election.setGrantsVotes(log.partition, true);
    const config = log.configs.current;
    this.events.push({ type: 'ConfigurationChanged', partition: log.partition, index: log.configs.currentIndex, config });
    this.election.setConfiguration(log.partition, config, this.nowMs);
    this.updateEligibility(log);
    if (log.leaderTerm !== undefined) {
      this.syncProgress(log);
      this.maybeCommit(log); // fewer voters may make a majority already
    }
  }

  /**
   * A leader tracks every member of its configuration but itself, and the node(s) the last change
   * removed, up to the entry that removed them (so that they learn of it) — but a leader that finds
   * that removal already committed does not start to: the removed node most likely applied it and
   * dropped the partition, and would never answer, so the leader would send it Appends, or stream it
   * snapshots, every retry interval until the next change (log sim seed 7071), and keep its log
   * window from being compacted. One that did not learn it speaks up (a vote request, or a reminder)
   * and is sent the log then (`noticeNonMember`).
   */
  private syncProgress(log: PartitionLog<P>): void {
    const members = membersOf(log.configs.current).filter((id) => id !== this.selfId);
    const retiring = new Map<NodeId, number>();
    const previous = log.configs.previous;
    if (previous) for (const id of membersOf(previous.config)) if (id !== this.selfId && !members.includes(id)) retiring.set(id, previous.replacedAt);
    for (const [id, progress] of [...log.progress]) {
      if (members.includes(id)) progress.retiringAt = undefined;
      else if (retiring.has(id)) progress.retiringAt = retiring.get(id);
      else if (progress.retiringAt === undefined || progress.retiringAt > log.window.lastIndex) log.progress.delete(id);
    }
    for (const id of [...members, ...retiring.keys()]) {
      if (log.progress.has(id)) continue;
      if (!members.includes(id) && retiring.get(id)! <= log.commit) continue;
      const progress = new Progress(log.window.lastIndex + 1);
      progress.retiringAt = retiring.get(id);
      log.progress.set(id, progress);
    }
    this.unsent.add(log);
  }

  /**
   * A node outside our configuration asks for votes or reminds us of entries it lacks: if we lead,
   * it is a replica this log removed that never heard it committed (or a join given up). Send it
   * our log up to the configuration in force, which does not name it: once it applies that, it
   * knows (`Removed`).
   */
  private noticeNonMember(from: NodeId, partition: PartitionId): void {
    const log = this.logs.get(partition);
    if (!log || log.leaderTerm === undefined || from === this.selfId || log.progress.has(from)) return;
    if (membersOf(log.configs.current).includes(from)) return;
    const progress = new Progress(log.window.lastIndex + 1);
    progress.retiringAt = Math.max(log.configs.currentIndex, log.commit);
    progress.forceSend = true;
    log.progress.set(from, progress);
    this.unsent.add(log);
  }

  /**
   * Who may campaign besides the voters (see `ElectionNode.setEligible`), counting only the voters'
   * votes: with the newest log it may be the only one that can win.
   *  - A voter whose removal is in its log but not committed.
   *  - A learner of the configuration (not one that lost its disk: that one does not campaign at
   *    all). A leader can send its entries to a learner alone before it fails for good; if the only
   *    voter that held them too is gone, the learner's log is newer than every voter's, and a voter
   *    whose uncommitted entry promotes the learner needs its vote, which it refuses (log sim seed
   *    33062: the leader of term 2 appended its no-op, reached only the learner, and lost its disk;
   *    the voter with the promotion needed the learner's vote, the other voter was behind it). A
   *    learner that wins hands leadership to a voter once its no-op is applied (`tick`).
   *    Only once it knows the configuration as of its applied position: a node that joined starts
   *    from an unknown one (a log it got from index 1 on never states the initial placement), and
   *    learns one only by applying a configuration entry or installing a snapshot. A leader needs
   *    it: its snapshots start from its applied state and carry that configuration. A learner that
   *    led without it sent the unknown (empty) configuration; the voters that installed it took it
   *    for their removal and dropped the partition, which was left without a majority (log sim
   *    seeds 735, 2339, 3371, 4096, 4383, 4891; the wire check refused the snapshot in 3110, 3310).
   */
  private updateEligibility(log: PartitionLog<P>): void {
    const { voters, learners } = log.configs.current;
    if (voters.includes(this.selfId)) return;
    const removing = log.configs.currentIndex > log.commit && log.configs.at(log.commit).voters.includes(this.selfId);
    const learner = learners.includes(this.selfId) && log.configs.knownAt(log.applied);
    this.election.setEligible(log.partition, removing || learner);
  }

  /** This node applied the configuration set at `index`: once one named it, one that does not may remove it. */
  private noteAppliedConfig(log: PartitionLog<P>, index: number, config: Configuration): void {
    if (membersOf(config).includes(this.selfId)) log.memberSeen = true;
    else this.maybeRemoved(log);
  }

  /**
   * Removed: the configuration as of what is applied here (committed) does not name this node, one
   * applied before did, and no later entry in the log names it again (a node added back replays
   * its earlier removal on the way).
   */
  private maybeRemoved(log: PartitionLog<P>): void {
    if (!log.memberSeen || log.removedReported || log.leaderCommit > log.applied) return;
    if (membersOf(log.configs.at(log.applied)).includes(this.selfId) || membersOf(log.configs.current).includes(this.selfId)) return;
    const index = log.configs.currentIndex <= log.applied ? log.configs.currentIndex : log.applied;
    log.removedReported = true;
    this.events.push({ type: 'Removed', partition: log.partition, index });
    if (log.leaderTerm !== undefined) {
      // Hand over to a voter that holds the whole log (the transfer waits for that), else step down.
      const result = this.election.transferLeadership(log.partition, this.nowMs);
      if (!result.ok) this.election.stepDown(log.partition, this.nowMs);
      this.pullElection();
    }
  }

  /** Sends what the marked partitions' followers are owed (see `unsent`). */
  private flushSends(): void {
    for (const log of this.unsent) {
      if (log.leaderTerm === undefined) continue;
      for (const [id, progress] of log.progress) {
        this.sendAppend(log, id, progress, progress.forceSend);
        progress.forceSend = false;
      }
    }
    this.unsent.clear();
  }

  private pushLogWrite(partition: PartitionId, truncateFrom: number | undefined, entry: LogEntry<P> | undefined): void {
    const last = this.logWrites[this.logWrites.length - 1];
    if (last && last.partition === partition && truncateFrom === undefined && !last.reset) {
      if (entry) last.entries.push(entry);
      return;
    }
    this.logWrites.push({ partition, truncateFrom, entries: entry ? [entry] : [] });
  }

  /** Sends the follower what it lacks, within the flow-control bounds; `force` sends even nothing new (a probe or commit news). */
  private sendAppend(log: PartitionLog<P>, to: NodeId, progress: Progress, force: boolean): void {
    if (progress.snapshotting) return;
    if (progress.inFlight >= (progress.probing ? 1 : LOG_APPENDS_IN_FLIGHT_MAX)) return;
    const prevIndex = progress.next - 1;
    const prevTerm = log.window.termAt(prevIndex);
    if (prevTerm === undefined) {
      if (prevIndex < log.window.prevIndex) {
        // What the follower lacks is no longer in memory: it gets a snapshot of our state — once we
        // know the configuration as of our applied position, which the snapshot carries (a voter
        // that joined may not, until it applies a configuration entry; see `updateEligibility`).
        if (!log.configs.knownAt(log.applied)) return;
        progress.snapshotting = true;
        progress.snapshotGeneration = progress.generation;
        this.snapshots.push({ partition: log.partition, to, term: log.leaderTerm! });
      } else {
        progress.next = log.window.lastIndex + 1; // beyond our log: start from its end
        this.sendAppend(log, to, progress, force);
      }
      return;
    }
    const cap = progress.retiringAt ?? Infinity;
    const last = Math.min(log.window.lastIndex, prevIndex + LOG_APPEND_ENTRIES_MAX, Math.max(cap, prevIndex));
    const entries: LogEntry<P>[] = [];
    let bytes = 0;
    for (let index = prevIndex + 1; index <= last; index++) {
      const entry = log.window.entry(index)!;
      const size = entry.payload === undefined ? 0 : this.payloadBytes(entry.payload);
      if (entries.length > 0 && bytes + size > LOG_APPEND_BYTES_MAX) break;
      entries.push(entry);
      bytes += size;
    }
    if (entries.length === 0 && !force && progress.commitSent >= Math.min(log.commit, cap)) return;
    // A retiring node is told the commit index only up to its removal: once it applied that far, it
    // knows nothing that names it again can follow (see `maybeRemoved`).
    const commit = Math.min(log.commit, cap);
    const message: Append<P> = { type: 'Append', partition: log.partition, term: log.leaderTerm!, prevIndex, prevTerm, entries, commit };
    this.appends.push({ to, message });
    progress.inFlight += 1;
    progress.lastSentMs = this.nowMs;
    progress.commitSent = commit;
    if (!progress.probing) progress.next = prevIndex + entries.length + 1;
  }

  private onAppendResponse(from: NodeId, m: AppendResponse): void {
    const log = this.logs.get(m.partition);
    if (!log) return;
    if (m.term > (this.election.termOf(m.partition) ?? 0)) {
      this.election.observeTerm(m.partition, m.term, this.nowMs);
      return;
    }
    const progress = log.progress.get(from);
    if (!progress || log.leaderTerm === undefined || m.term !== log.leaderTerm) return;
    progress.inFlight = Math.max(0, progress.inFlight - 1);
    progress.learner = m.learner;
    progress.generation = m.generation;
    if (m.success) {
      progress.match = Math.max(progress.match, Math.min(m.match, log.window.lastIndex));
      progress.next = Math.max(progress.next, progress.match + 1);
      progress.probing = false;
      this.maybeCommit(log);
      this.maybePromote(log, from, progress);
      this.releaseTransfer(log);
    } else {
      // A follower never loses what it acknowledged in this term unless its disk was lost (it
      // restarted empty, as a learner): start again from what it holds now.
      if (m.match < progress.match) progress.match = m.match;
      // The follower lacks (prevIndex, prevTerm): go back to its hint, never below what it holds.
      progress.next = Math.max(progress.match + 1, Math.min(progress.next - 1, m.match + 1));
      progress.probing = true;
      progress.inFlight = 0;
    }
    if (!m.success) progress.forceSend = true;
    this.unsent.add(log);
    this.compact(log);
  }

  /** Commits the highest entry of our term that a majority holds durably, and what precedes it. */
  private maybeCommit(log: PartitionLog<P>): void {
    const voters = log.configs.current.voters;
    const candidate = majorityMatch(voters, (id) => {
      if (id === this.selfId) return log.persisted;
      const progress = log.progress.get(id);
      return !progress || progress.learner ? 0 : progress.match;
    });
    if (candidate <= log.commit || log.window.termAt(candidate) !== log.leaderTerm) return;
    log.commit = candidate;
    this.updateEligibility(log);
    this.emitCommits(log);
    this.unsent.add(log);
  }

  /** A learner that holds our whole committed log gets a promotion entry (once per generation). */
  private maybePromote(log: PartitionLog<P>, id: NodeId, progress: Progress): void {
    if (!progress.learner || progress.retiringAt !== undefined || progress.match < log.commit || !this.election.isServingLeader(log.partition, this.nowMs)) return;
    for (let index = log.commit + 1; index <= log.window.lastIndex; index++) {
      const promote = log.window.entry(index)?.promote;
      if (promote?.node === id && promote.generation === progress.generation) return; // already on its way
    }
    const promote = { node: id, generation: progress.generation };
    this.appendOwn(log, { term: log.leaderTerm!, index: log.window.lastIndex + 1, payload: undefined, promote });
  }

  private holdTransfer(to: NodeId, message: Message & { type: 'TimeoutNow' }): void {
    const log = this.logs.get(message.partition);
    if (!log || log.leaderTerm !== message.term) {
      this.messages.push({ to, message });
      return;
    }
    log.heldTransfer = { to, message };
    this.releaseTransfer(log);
    const progress = log.progress.get(to);
    if (log.heldTransfer && progress) {
      progress.forceSend = true;
      this.unsent.add(log);
    }
  }

  private releaseTransfer(log: PartitionLog<P>): void {
    const held = log.heldTransfer;
    if (!held) return;
    const progress = log.progress.get(held.to);
    if (!progress || progress.match < log.window.lastIndex) return;
    log.heldTransfer = undefined;
    this.messages.push(held);
  }

  // ---------------------------------------------------------------------------------------------
  // Follower side

  private onAppend(from: NodeId, m: Append<P>): void {
    const log = this.logs.get(m.partition);
    if (!log) return;
    if (!this.election.acceptsReplication(m.partition, m.term, from, this.nowMs)) {
      this.respond(from, m.partition, false, 0);
      return;
    }
    this.pullElection();
    log.leaderContactMs = this.nowMs;
    log.leaderCommit = Math.max(log.leaderCommit, m.commit);
    assert(log.leaderTerm === undefined || log.leaderTerm === m.term, () => `partition ${m.partition}: Append of term ${m.term} while replicating ${log.leaderTerm}`);
    const window = log.window;
    let prevIndex = m.prevIndex;
    let entries = m.entries;
    if (prevIndex < window.prevIndex) {
      // What precedes our window is applied, hence committed, hence the same in the leader's log.
      entries = entries.filter((e) => e.index > window.prevIndex);
      prevIndex = window.prevIndex;
    } else if (prevIndex > window.lastIndex) {
      this.respond(from, m.partition, false, window.lastIndex);
      return;
    } else if (window.termAt(prevIndex) !== m.prevTerm) {
      // Skip back over the whole conflicting term, but never below what is committed.
      const conflictTerm = window.termAt(prevIndex);
      let hint = prevIndex - 1;
      while (hint > Math.max(log.commit, window.prevIndex) && window.termAt(hint) === conflictTerm) hint--;
      this.respond(from, m.partition, false, Math.max(hint, log.commit));
      return;
    }
    for (const entry of entries) {
      const have = window.termAt(entry.index);
      if (have === entry.term) continue;
      if (have !== undefined) {
        assert(entry.index > log.commit, () => `partition ${m.partition}: truncating committed entry ${entry.index}`);
        window.truncateFrom(entry.index);
        if (log.configs.truncateFrom(entry.index)) this.configurationChanged(log);
        log.persisted = Math.min(log.persisted, entry.index - 1);
        if (log.promotionIndex >= entry.index) log.promotionIndex = 0;
        this.pushLogWrite(m.partition, entry.index, undefined);
        this.events.push({ type: 'Truncated', partition: m.partition, from: entry.index });
      }
      window.append(entry);
      this.pushLogWrite(m.partition, undefined, entry);
      if (entry.config) {
        log.configs.append(entry.index, entry.config);
        this.configurationChanged(log);
      }
      // The first promotion entry counts, not the newest: while our apply lags, the leader appends
      // another each time we answer as a learner after the last one committed, and an apply that
      // aimed at the newest would chase them for ever (whole-cluster sim seed 20095). Any of them
      // promotes us: each names this generation and was appended when we held the committed log.
      if (entry.promote?.node === this.selfId && entry.promote.generation === this.generation && log.promotionIndex === 0) log.promotionIndex = entry.index;
    }
    // A truncated entry may have been the one that added us back (checked once the whole Append is in:
    // its later entries may add us again).
    this.maybeRemoved(log);
    const upTo = m.prevIndex + m.entries.length;
    log.commit = Math.max(log.commit, Math.min(m.commit, upTo));
    this.updateEligibility(log);
    log.pendingAck = { to: from, term: m.term, upTo: Math.max(upTo, prevIndex) };
    this.flushAck(log);
    this.emitCommits(log);
  }

  /**
   * A follower that has heard nothing from its leader for a retry interval answers again if it
   * holds entries it does not know to be committed, or is a learner. The Append that carried the
   * commit index may have been lost, and the leader cannot tell (answers carry no sequence, and may
   * be duplicated); a learner that lost its disk may be one the leader believes up to date. In an
   * idle partition nothing else would bring either of them what they lack (nor a promotion). The
   * refusal makes the leader send from what we hold, with its commit index.
   */
  private remindLeader(log: PartitionLog<P>, nowMs: number): void {
    if (nowMs - log.leaderContactMs < LOG_APPEND_RETRY_MS) return;
    if (log.commit >= log.window.lastIndex && this.election.isVoter(log.partition)) return;
    const leader = this.election.leaderOf(log.partition);
    if (leader === this.selfId) return;
    const match = Math.min(log.persisted, log.window.lastIndex);
    if (leader !== undefined) {
      log.leaderContactMs = nowMs;
      this.respond(leader, log.partition, false, match);
      return;
    }
    // No leader known and no vote of our own (the log may have removed us): whoever leads among
    // the voters we know sends us what we lack (see `noticeNonMember`).
    if (log.configs.current.voters.includes(this.selfId) || log.removedReported) return;
    log.leaderContactMs = nowMs;
    for (const id of log.configs.current.voters) if (id !== this.selfId) this.respond(id, log.partition, false, match);
  }

  private onInstallSnapshot(from: NodeId, m: InstallSnapshot): void {
    const log = this.logs.get(m.partition);
    if (!log) return;
    if (!this.election.acceptsReplication(m.partition, m.term, from, this.nowMs)) {
      this.respond(from, m.partition, false, 0);
      return;
    }
    this.pullElection();
    log.leaderContactMs = this.nowMs;
    if (m.generation !== this.generation) {
      // The stream went to data this node no longer has (it lost its disk since): refuse, with what
      // we hold, so that the leader asks for another.
      this.respond(from, m.partition, false, log.window.lastIndex);
      return;
    }
    log.leaderCommit = Math.max(log.leaderCommit, m.commit);
    if (m.index > log.commit && log.window.termAt(m.index) !== m.snapshotTerm) {
      // Our log holds nothing the snapshot keeps: it restarts after the snapshot's position.
      log.window.reset(m.index, m.snapshotTerm);
      log.commit = m.index;
      log.applied = m.index;
      log.emitted = m.index;
      // What was persisted of the replaced log says nothing about the entries that will follow the
      // snapshot: the reset's own write (reported by `logPersisted`) makes the position durable.
      log.persisted = Math.min(log.persisted, m.index - 1);
      log.promotionIndex = 0;
      log.configs.reset(m.index, m.config);
      this.logWrites.push({ partition: m.partition, reset: { index: m.index, term: m.snapshotTerm, config: m.config }, entries: [] });
      this.events.push({ type: 'Truncated', partition: m.partition, from: 0 });
      this.configurationChanged(log);
      this.noteAppliedConfig(log, m.index, m.config);
    } else {
      log.commit = Math.max(log.commit, Math.min(m.index, log.window.lastIndex));
      this.updateEligibility(log);
    }
    log.pendingAck = { to: from, term: m.term, upTo: m.index };
    this.flushAck(log);
    this.emitCommits(log);
  }

  /** Answers the leader once what it sent is durable here. */
  private flushAck(log: PartitionLog<P>): void {
    const ack = log.pendingAck;
    if (!ack || log.persisted < ack.upTo) return;
    log.pendingAck = undefined;
    if (this.election.termOf(log.partition) !== ack.term) return;
    this.respond(ack.to, log.partition, true, ack.upTo);
  }

  private respond(to: NodeId, partition: PartitionId, success: boolean, match: number): void {
    const message: AppendResponse = {
      type: 'AppendResponse',
      partition,
      term: this.election.termOf(partition) ?? 0,
      success,
      match,
      learner: !this.election.isVoter(partition),
      generation: this.generation,
    };
    this.messages.push({ to, message });
  }

  // ---------------------------------------------------------------------------------------------
  // Both sides

  /** Hands out committed entries that are durable here, in order. */
  private emitCommits(log: PartitionLog<P>): void {
    const ready = Math.min(log.commit, log.persisted);
    if (ready <= log.emitted) return;
    log.emitted = ready;
    const last = this.commits[this.commits.length - 1];
    if (last && last.partition === log.partition) last.index = ready;
    else this.commits.push({ partition: log.partition, index: ready });
  }

  /**
   * Forgets entries nobody needs from memory: applied here and, while leading, held by every
   * follower; but never more than the retention bound, past which a lagging follower gets a
   * snapshot instead.
   */
  private compact(log: PartitionLog<P>): void {
    if (log.window.length < LOG_COMPACTION_SLACK_ENTRIES) return;
    let floor = log.applied;
    if (log.leaderTerm !== undefined) for (const progress of log.progress.values()) floor = Math.min(floor, progress.match);
    floor = Math.max(floor, Math.min(log.applied, log.window.lastIndex - LOG_RETAINED_ENTRIES_MAX));
    if (floor > log.window.prevIndex) log.window.compactTo(floor);
  }

  private advance(nowMs: number): void {
    assert(Number.isFinite(nowMs) && nowMs >= this.nowMs, () => `time went back from ${this.nowMs} to ${nowMs}`);
    this.nowMs = nowMs;
  }
}
