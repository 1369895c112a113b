import { ServiceUnavailableException, ThrottlingException } from '@triad/model';
import {
  ReplicaNode,
  type CommitAdvance,
  type Configuration,
  decodeMessage,
  type Message,
  type PersistedElectionState,
  type ReplicaEvent,
  type ReplicaOutbound,
  type ReplicaReady,
  type SnapshotRequest,
} from '@triad/replication';
import type { ClusterView, StorageNodeInfo } from '@triad/ring';
import type { ElectionPacket } from '@triad/rpc';
import type { Logger } from '@triad/observability';
import { sleep, type Environment, type TimerHandle } from '@triad/runtime';
import type { AntiEntropy } from '../repair/anti-entropy';
import type { ElectionStore } from './election-store';
import type { Leadership } from './leadership';
import { decodeLogMessages, encodeLogMessages, payloadBytes, type EntryPayload, type ReplicatedEntry, type ReplicationMessage } from '../log/log-codec';
import type { LogStore } from '../log/log-store';
import type { PeerClients } from './peer-clients';
import type { ReplicaState } from './replica-state';
import type { StorageEngine, WriteOp } from '../storage/storage-engine';
import type { PlantedBugs } from '../planted-bugs';
import type { StorageMetrics } from '../storage-metrics';
import type { ProposalOverlay } from '../write-path/proposal-overlay';
import type { IdentityStore } from './node-identity';
import { dataKey } from '../storage/storage-keys';

/** The state machine's clock granularity: timers fire within this of their deadline. */
const REPLICA_TICK_MS = 100;
/**
 * Election timing. A replica campaigns after 1.5–3 s without its leader, and a leader's lease lasts
 * 1.2 s past a majority-acked heartbeat: long enough that a Node process stalled by a busy 2-core
 * machine (garbage collection, a burst of requests) keeps its partitions, short enough that
 * failover (timeout + election + lease wait) stays within a few seconds.
 */
export const ELECTION_CONFIG = {
  heartbeatIntervalMs: 200,
  electionTimeoutMinMs: 1_500,
  electionTimeoutMaxMs: 3_000,
  leaseDurationMs: 1_200,
  clockDriftMarginMs: 150,
};

/** A write proposed here whose entry will not be applied: it had no effect, and may be retried. */
export class NotAppliedError extends Error {
  constructor(partition: number, index: number) {
    super(`partition ${partition}: the write at log index ${index} was replaced by a new leader's log`);
  }
}

/** This node does not serve the partition now (not its leader, no lease, paused, draining). */
export class NotServingError extends Error {}

/** The node refused a configuration change (`reason` as `ReplicaNode.proposeConfiguration` says). */
export class ConfigChangeRefused extends Error {
  constructor(
    readonly reason: string,
    detail?: string,
  ) {
    super(`configuration change refused: ${reason}${detail ? ` (${detail})` : ''}`);
  }
}

export interface ReplicaDriverComponents {
  nodeId: string;
  /** The layout adopted last: replica sets change with joins and decommissions (see `reconfigure`). */
  ring: ClusterView;
  store: StorageEngine;
  electionStore: ElectionStore;
  logStore: LogStore;
  replicas: ReplicaState;
  overlay: ProposalOverlay;
  peers: PeerClients;
  antiEntropy: AntiEntropy;
  isUp: (node: StorageNodeInfo) => boolean;
  metrics: StorageMetrics;
  log: Logger;
  identities: IdentityStore;
  /** The state machine's clock (monotonic), its tick timer, its randomness (election timeouts), the pump's deferral. */
  env: Environment;
  /**
   * A committed switch of a partition to a new replica set, applied here: adopt the layout it
   * carries (`leads`: this node leads the partition and keeps leading it on the new set).
   */
  onLayoutEntry: (layout: Buffer, partition: number, leads: boolean) => Promise<void>;
  /** Applied records of a partition this node leads, for the nodes it is moving to. */
  forwardToIncoming: (partition: number, records: readonly { itemKey: Buffer; value: Buffer }[]) => void;
  /** The simulator's planted bugs (never set in a real process). */
  plantedBugs?: PlantedBugs;
}

interface Proposal {
  term: number;
  resolve: () => void;
  reject: (error: Error) => void;
  /** Settles with the outcome, whichever it is (for a leader switching the partition to a new replica set). */
  settled: Promise<unknown>;
  /** When it was appended here (local monotonic ms), for the commit latency metric. */
  proposedAtMs: number;
}

const EMPTY = Buffer.alloc(0);

/** The messages for one peer that travel in one packet. */
interface PacketContents {
  election: Message[];
  log: ReplicationMessage[];
}

/** A peer's packet waiting for its reply: the messages for that peer gathered meanwhile. */
interface PendingReply {
  contents: PacketContents;
  resolve: () => void;
  done: Promise<void>;
}

/** The packets whose replies wait for the Readies taken after them (`readies` of them not yet done). */
interface ReplyBatch {
  waiting: Map<string, PendingReply>;
  readies: number;
}

function answer(replies: ReplyBatch): void {
  for (const reply of replies.waiting.values()) reply.resolve();
}

/**
 * Runs the pure ReplicaNode (elections and each partition's replicated log) for this process:
 * ticks it, sends a leader's appends at once, makes terms, votes and log entries durable in one
 * group commit before anything that depends on them is sent, applies committed entries in log
 * order to the replica's state, and settles the writes proposed here. Implements Leadership.
 */
export class ReplicaDriver implements Leadership {
  private node?: ReplicaNode<EntryPayload>;
  private timer?: TimerHandle;
  private pumpScheduled = false;
  /** Packets waiting for their reply, by sender (see `onPacket`); the next drain takes them. */
  private repliesWaiting = new Map<string, PendingReply>();
  /** Readies handed to the store whose after-sync steps have not run yet. */
  private readiesInFlight = 0;
  /** The steps after the syncs of the Readies taken so far (see `handle`), in order. */
  private afterPersist: Promise<void> = Promise.resolve();
  /** Per partition, resets and truncations handed to the store and not yet synced. */
  private readonly rewritesInFlight = new Map<number, number>();
  /** Writes proposed here, by partition and log index, until applied or replaced. */
  private readonly proposals = new Map<number, Map<number, Proposal>>();
  /** Per partition, the last entry applied here: (index, term), and the configuration as of it (if the log or a snapshot set one). */
  private readonly appliedAt = new Map<number, { index: number; term: number; config?: Configuration }>();
  /** Partitions a leader stopped serving for a moment while it switches them to a new replica set. */
  private readonly paused = new Set<number>();
  private readonly leaderlessSince = new Map<number, number>();
  private generation = 0;
  /**
   * Per partition, the applying of committed entries running now: in order, beside the pump (which
   * goes on persisting and sending meanwhile). `resets` counts what ends it: a snapshot installed,
   * or the partition leaving this node.
   */
  private readonly applying = new Map<number, Promise<void>>();
  private readonly resets = new Map<number, number>();
  private appendsScheduled = false;
  /** Set by `stop`: no tick, packet, proposal or Ready is taken any more. */
  private stopped = false;
  private stopping?: Promise<void>;
  /** Writes nothing awaits (applied positions, promotions), not done yet: `stop` waits for them. */
  private readonly writesInFlight = new Set<Promise<unknown>>();
  /** Partitions that applied entries since their applied position was last written (`writeCheckpoints`), with their `resets` then. */
  private readonly checkpointsDue = new Map<number, number>();

  constructor(private readonly c: ReplicaDriverComponents) {}

  private now(): number {
    return this.c.env.monotonicMs();
  }

  /**
   * The partitions this node replicates, with their layout replica sets (preference order): those it
   * holds, and those moving to it (it joins their logs, as a learner once the leader adds it; until
   * its log names it, it is no member). Which nodes vote is the log's to say (see `ReplicaNode`).
   */
  private replicaSets(): Map<number, string[]> {
    const partitions = new Map<number, string[]>();
    const ring = this.c.ring.ring;
    const incoming = ring.movingPartitions().filter((p) => ring.incoming(p).some((n) => n.id === this.c.nodeId));
    for (const p of [...this.c.ring.partitionsOf(this.c.nodeId), ...incoming]) {
      const ids = this.c.ring.replicaSet(p).map((n) => n.id);
      // While the partition moves, a replica it is leaving comes last in the preferred order: else
      // balancing hands leadership back to it and it hands it on again, and the move never runs.
      const move = this.c.ring.ring.pendingMove(p);
      const leaving = move ? move.from.filter((id) => !move.to.includes(id)) : [];
      partitions.set(p, [...ids.filter((id) => !leaving.includes(id)), ...ids.filter((id) => leaving.includes(id))]);
    }
    return partitions;
  }

  /**
   * Loads terms, votes and logs and starts the state machine: replication messages are taken from
   * then on (before, they are dropped and resent). A node that lost its data replicates the
   * `learners` partitions without a vote until their promotion commits.
   */
  async start(generation: number, learners: ReadonlySet<number>): Promise<void> {
    this.generation = generation;
    const partitions = this.replicaSets();
    const logs = await this.c.logStore.load(partitions.keys());
    for (const [p, log] of logs) this.appliedAt.set(p, { ...log.applied, config: log.config });
    this.node = new ReplicaNode<EntryPayload>({
      selfId: this.c.nodeId,
      partitions,
      persisted: await this.c.electionStore.load(),
      logs,
      learners,
      generation,
      payloadBytes,
      plantedStaleTermAppends: this.c.plantedBugs?.staleTermAppends,
      plantedTwoServerChanges: this.c.plantedBugs?.moveSwapsVotersAtOnce,
      config: ELECTION_CONFIG,
      random: this.c.env.random,
      nowMs: this.now(),
    });
    this.c.metrics.learnerPartitions.set(this.countLearners());
    // Entries committed before a restart are applied again as leaders tell their commit index.
    this.timer = this.c.env.setInterval(() => {
      this.node!.tick(this.now());
      this.writeCheckpoints();
      this.pump();
    }, REPLICA_TICK_MS);
    this.pump();
  }

  /**
   * Stops for good, before the store closes (a graceful stop): no tick, packet, proposal or new
   * Ready is taken any more; the Readies already handed to the store finish their steps after the
   * sync, and the applies those started finish, so that nothing of this driver touches the store
   * once this resolves (seed 26 of `--moves`: a node that won an election while it stopped applied
   * its no-op after its store had closed, and the unsynced write of its applied position was a
   * rejection nobody caught). Writes proposed here that are not applied yet are told that their
   * outcome is unknown (their entries may still commit through the other replicas), and packets
   * waiting for an answer get an empty one.
   */
  stop(): Promise<void> {
    this.c.env.clearInterval(this.timer);
    this.stopped = true;
    this.stopping ??= this.quiesce();
    return this.stopping;
  }

  private async quiesce(): Promise<void> {
    for (;;) {
      const persisting = this.afterPersist;
      await persisting;
      await Promise.all([...this.applying.values()].map((apply) => apply.catch(() => undefined)));
      // A restart then replays nothing that was applied before the stop.
      this.writeCheckpoints();
      await Promise.all(this.writesInFlight);
      if (this.afterPersist === persisting && this.applying.size === 0 && this.writesInFlight.size === 0) break;
    }
    answer({ waiting: this.repliesWaiting, readies: 0 });
    this.repliesWaiting = new Map();
    for (const [partition, pending] of this.proposals) {
      for (const [index, proposal] of pending) {
        pending.delete(index);
        proposal.reject(new ServiceUnavailableException(`The node is shutting down; the write at log index ${index} of partition ${partition} may still take effect: its outcome is unknown, retry the request`));
      }
    }
  }

  get started(): boolean {
    return this.node !== undefined;
  }

  /**
   * Appends a write to the partition's log if this node serves it now, with `build` making its
   * records from the entry's (term, index) — its version. Resolves with that position; `applied`
   * settles once the entry is applied here (the write took effect) or is known never to be
   * (`NotAppliedError`: the write had no effect).
   */
  propose(
    partition: number,
    build: (term: number, index: number) => EntryPayload,
    options: { whilePaused?: boolean } = {},
  ): { term: number; index: number; applied: Promise<void> } {
    if (!this.node || this.stopped || (this.paused.has(partition) && !options.whilePaused)) throw new NotServingError('not serving');
    const result = this.node.propose(partition, build, this.now());
    if (!result.ok) {
      if (result.reason === 'busy') throw new ThrottlingException('The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.');
      throw new NotServingError('not serving');
    }
    const applied = this.awaitApplied(partition, result.term, result.index);
    return { term: result.term, index: result.index, applied };
  }

  /**
   * Proposes the partition's next configuration (one single-server step; see
   * `ReplicaNode.proposeConfiguration`). Resolves once the entry is applied here; rejects with
   * `NotAppliedError` if it never will be, or a `ConfigChangeRefused` if the node refused it.
   */
  proposeConfiguration(partition: number, next: Configuration): Promise<void> {
    if (!this.node || this.stopped || this.paused.has(partition)) return Promise.reject(new NotServingError('not serving'));
    const result = this.node.proposeConfiguration(partition, next, this.now());
    if (!result.ok) return Promise.reject(new ConfigChangeRefused(result.reason, result.detail));
    return this.awaitApplied(partition, result.term, result.index);
  }

  /** Registers an entry this node appended as leader and sends it on: settles once it is applied here (or never will be). */
  private awaitApplied(partition: number, term: number, index: number): Promise<void> {
    let pending = this.proposals.get(partition);
    if (!pending) this.proposals.set(partition, (pending = new Map()));
    let settle!: Pick<Proposal, 'resolve' | 'reject'>;
    const applied = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    pending.set(index, { term, ...settle, settled: applied.catch(() => undefined), proposedAtMs: this.now() });
    this.scheduleAppends();
    this.pump();
    return applied;
  }

  /** The partition's configuration in force here (voters and learners), and whether its entry is committed. */
  configuration(partition: number): { config: Configuration; committed: boolean } | undefined {
    return this.node?.configuration(partition);
  }

  /** Resolves once every write proposed here for the partition is applied or known not to be. */
  async writesSettled(partition: number): Promise<void> {
    const pending = this.proposals.get(partition);
    if (!pending || pending.size === 0) return;
    await Promise.all([...pending.values()].map((p) => p.settled));
  }

  /** Takes the replica sets of a newly adopted layout; `keepLeadership`: partitions this node just switched itself. */
  async reconfigure(keepLeadership: ReadonlySet<number>): Promise<void> {
    if (!this.node) return;
    const partitions = this.replicaSets();
    const gained = [...partitions.keys()].filter((p) => this.node!.roleOf(p) === undefined);
    const persisted: Map<number, PersistedElectionState> | undefined = gained.length > 0 ? await this.c.electionStore.load() : undefined;
    const logs = gained.length > 0 ? await this.c.logStore.load(gained) : undefined;
    // The state machine first, in one step with the driver's own bookkeeping: an apply running
    // meanwhile must never see a partition the node still has but whose applied position is gone.
    this.node.reconfigure(partitions, this.now(), { persisted, keepLeadership, logs });
    for (const [p, log] of logs ?? []) this.appliedAt.set(p, { ...log.applied, config: log.config });
    const lost = [...this.appliedAt.keys()].filter((p) => !partitions.has(p));
    for (const p of lost) {
      // An apply still queued for the partition belongs to this incarnation of it: it ends.
      this.resets.set(p, (this.resets.get(p) ?? 0) + 1);
      this.appliedAt.delete(p);
      this.failProposals(p, 0);
      this.c.overlay.clear(p);
    }
    for (const p of lost) await this.c.store.writeAll(this.c.logStore.forget(p), true);
    this.c.metrics.partitionsLed.set(this.countServing());
    this.c.metrics.learnerPartitions.set(this.countLearners());
    this.pump();
  }

  pause(partition: number): void {
    this.paused.add(partition);
  }

  resume(partition: number): void {
    this.paused.delete(partition);
  }

  leads(partition: number, term: number): boolean {
    return this.node?.roleOf(partition) === 'leader' && this.node.termOf(partition) === term;
  }

  transferLeadership(partition: number, candidates: readonly string[]): string | undefined {
    if (!this.node) return undefined;
    for (const target of candidates) {
      const result = this.node.transferLeadership(partition, this.now(), target);
      if (result.ok) {
        this.pump();
        return result.target;
      }
      if (result.reason === 'not-leader') return undefined;
    }
    return undefined;
  }

  setDraining(draining: boolean): void {
    this.node?.setDraining(draining, this.now());
    this.pump();
  }

  nodeUp(id: string): void {
    this.node?.nodeUp(id, this.now());
    this.pump();
  }

  nodeDown(id: string): void {
    this.node?.nodeDown(id, this.now());
  }

  /** Drains the node's output once this turn ends, so that the packets and proposals of one turn share a Ready. */
  private pump(): void {
    if (this.pumpScheduled || this.stopped) return;
    this.pumpScheduled = true;
    this.c.env.defer(() => {
      this.pumpScheduled = false;
      this.drainReady();
    });
  }

  /**
   * Takes every Ready and starts its writes at once: a Ready's writes join the group commit behind
   * the earlier ones (RocksDB keeps them in order), rather than waiting for the earlier sync to end,
   * so a follower acknowledges an Append one sync after it arrives. What must follow a Ready's sync
   * (messages, resets, applying) runs in Ready order once it lands; commits are the exception, see
   * `handle`.
   */
  private drainReady(): void {
    const replies: ReplyBatch = { waiting: this.repliesWaiting, readies: 0 };
    this.repliesWaiting = new Map();
    if (this.node && !this.stopped) while (this.node.hasReady()) this.handle(this.node.ready(), replies);
    if (replies.readies === 0) answer(replies);
  }

  private handle(ready: ReplicaReady<EntryPayload>, replies: ReplyBatch): void {
    replies.readies++;
    this.readiesInFlight++;
    // A leader's appends depend on nothing unsynced: they go while its own copy is being written.
    this.send(ready.appends);
    const written = this.c.plantedBugs?.followerAckBeforeSync ? this.writePlanted(ready) : this.write(ready);
    const rewritten = ready.logWrites.filter((w) => w.reset || w.truncateFrom !== undefined).map((w) => w.partition);
    for (const partition of rewritten) this.rewritesInFlight.set(partition, (this.rewritesInFlight.get(partition) ?? 0) + 1);
    // Commits name entries durable here already: they are applied at once, unless a reset or
    // truncation of their partition is still being written (applying then would race it).
    const waiting: CommitAdvance[] = [];
    for (const commit of ready.commits) {
      if (this.rewritesInFlight.has(commit.partition)) waiting.push(commit);
      else this.scheduleApply(commit.partition, commit.index);
    }
    // Fault point (simulation only): a pause between the sync and what depends on it (acknowledgements, votes).
    const ackDelayMs = ready.logWrites.length + ready.persist.length > 0 ? this.c.env.faults.delayMs('replica.beforeAck') : 0;
    const next = this.afterPersist
      .then(() => written)
      .then(() => (ackDelayMs > 0 ? sleep(this.c.env, ackDelayMs) : undefined))
      .then(() => this.afterWrite(ready, rewritten, waiting, replies))
      .catch((error: unknown) => {
        // Memory is ahead of disk: only a restart is safe.
        this.c.log.error('replica state could not be persisted; exiting', { error: String(error), stack: (error as Error).stack });
        this.c.env.exit(1, `replica state could not be persisted: ${String(error)}`);
      });
    this.afterPersist = next;
  }

  /** Makes a Ready's terms, votes and log entries durable: one group commit. */
  private write(ready: ReplicaReady<EntryPayload>): Promise<unknown> | undefined {
    const ops = [...this.c.electionStore.opsFor(ready.persist), ...this.c.logStore.opsFor(ready.logWrites)];
    return ops.length > 0 ? this.c.store.writeAll(ops, true) : undefined;
  }

  /**
   * `write` with the simulator's planted bug `followerAckBeforeSync`: a follower's log entries are
   * written unsynced, so its acknowledgement goes before they are durable and a power loss takes
   * acknowledged entries away. Only a simulated run sets the switch.
   */
  private writePlanted(ready: ReplicaReady<EntryPayload>): Promise<unknown> | undefined {
    const ops = this.c.electionStore.opsFor(ready.persist).map((op) => ({ op, unsynced: false }));
    for (const w of ready.logWrites) {
      const unsynced = this.node?.roleOf(w.partition) !== 'leader';
      for (const op of this.c.logStore.opsFor([w])) ops.push({ op, unsynced });
    }
    return ops.length > 0 ? Promise.all(ops.map(({ op, unsynced }) => (unsynced ? this.c.store.writeUnsynced(op) : this.c.store.write(op)))) : undefined;
  }

  /** What follows a Ready's sync, in Ready order. */
  private afterWrite(ready: ReplicaReady<EntryPayload>, rewritten: readonly number[], commits: readonly CommitAdvance[], replies: ReplyBatch): void {
    const node = this.node;
    if (!node) return answer(replies); // stopped
    for (const write of ready.logWrites) {
      if (write.reset) {
        this.resets.set(write.partition, (this.resets.get(write.partition) ?? 0) + 1);
        this.failProposals(write.partition, 0);
        this.c.overlay.clear(write.partition);
        this.appliedAt.set(write.partition, write.reset);
        node.logPersisted(write.partition, write.reset.index, write.reset.term, this.now());
      }
      if (write.truncateFrom !== undefined) {
        this.failProposals(write.partition, write.truncateFrom);
        this.c.overlay.clear(write.partition);
      }
      const last = write.entries[write.entries.length - 1];
      if (last) node.logPersisted(write.partition, last.index, last.term, this.now());
    }
    for (const partition of rewritten) {
      const left = (this.rewritesInFlight.get(partition) ?? 1) - 1;
      if (left > 0) this.rewritesInFlight.set(partition, left);
      else this.rewritesInFlight.delete(partition);
    }
    this.readiesInFlight--;
    this.send(ready.messages, replies.waiting);
    for (const commit of commits) this.scheduleApply(commit.partition, commit.index);
    if (!this.stopped) for (const request of ready.snapshots) void this.sendSnapshot(request);
    for (const event of ready.events) this.onEvent(event);
    // Taking the sync into account (logPersisted) produced its acknowledgements at once. When
    // nothing else is being written they may go in the replies of the packets that asked for
    // them; a Ready that writes is handled as usual, lest the replies wait for it.
    if (this.readiesInFlight === 0 && !this.stopped && node.hasReady()) {
      const next = node.ready();
      this.handle(next, next.persist.length + next.logWrites.length === 0 ? replies : { waiting: new Map(), readies: 0 });
    }
    if (node.hasReady()) this.pump();
    if (--replies.readies === 0) answer(replies);
  }

  /**
   * Sends the appends of this turn's proposals once the turn ends (one packet per follower for all
   * of them), rather than after the persist the pump may be waiting for.
   */
  private scheduleAppends(): void {
    if (this.appendsScheduled) return;
    this.appendsScheduled = true;
    this.c.env.defer(() => {
      this.appendsScheduled = false;
      if (this.node && !this.stopped) this.send(this.node.takeAppends());
    });
  }

  private scheduleApply(partition: number, index: number): void {
    // Fault point (simulation only): a pause before the first of these entries is applied.
    const slowMs = this.c.env.faults.delayMs('replica.slowApply');
    if (slowMs === 0 && !this.applying.has(partition) && this.applyAtOnce(partition, index)) {
      this.pump();
      return;
    }
    const previous = this.applying.get(partition) ?? Promise.resolve();
    const next = previous.then(() => this.applyUpTo(partition, index, slowMs));
    this.applying.set(partition, next);
    next.then(
      () => {
        if (this.applying.get(partition) === next) this.applying.delete(partition);
        this.pump();
      },
      (error: unknown) => {
        // A committed entry that cannot be applied leaves the state behind the log: only a restart is safe.
        this.c.log.error('a committed entry could not be applied; exiting', { partition, error: String(error), stack: (error as Error).stack });
        this.c.env.exit(1, `partition ${partition}: a committed entry could not be applied: ${String(error)}`);
      },
    );
  }

  /**
   * Applies the partition's committed entries up to `index` in this turn, when nothing makes it
   * wait: no entry switches the replica set, and every record's key is free and its current record
   * known without a read (see `ReplicaState.applyCommittedAtOnce`). Most applies are such, and are
   * spared the promises of `applyUpTo`. False, having done nothing, when it must go that way.
   */
  private applyAtOnce(partition: number, index: number): boolean {
    const node = this.node!;
    const at = this.appliedAt.get(partition);
    if (node.roleOf(partition) === undefined || !at || index <= at.index) return false;
    const run: ReplicatedEntry[] = [];
    for (let i = at.index + 1; i <= index; i++) {
      const entry = node.entryAt(partition, i);
      if (!entry || entry.payload?.layout) return false;
      run.push(entry);
    }
    const records = run.flatMap((entry) => entry.payload?.records ?? []);
    if (records.length > 0 && !this.c.replicas.applyCommittedAtOnce(partition, records)) return false;
    const leads = node.roleOf(partition) === 'leader';
    this.recordsApplied(partition, records, leads);
    let config = at.config;
    for (const entry of run) {
      this.entryApplied(partition, entry);
      if (entry.config) config = entry.config;
    }
    this.appliedThrough(partition, { index, term: run[run.length - 1].term, config }, this.resets.get(partition) ?? 0);
    return true;
  }

  /**
   * Applies the partition's committed entries up to `index`, in order, and settles the writes
   * proposed here. `firstSlowMs`: the simulator's pause before the first run (fault point).
   */
  private async applyUpTo(partition: number, index: number, firstSlowMs = 0): Promise<void> {
    const node = this.node!;
    const resets = this.resets.get(partition) ?? 0;
    // A layout adopted meanwhile may have taken the partition away, or a snapshot replaced its log.
    const current = () => node.roleOf(partition) !== undefined && (this.resets.get(partition) ?? 0) === resets;
    const at = this.appliedAt.get(partition);
    if (!current() || !at || index <= at.index) return;
    const leads = node.roleOf(partition) === 'leader';
    let term = at.term;
    let config = at.config;
    let from = at.index + 1;
    let slowMs = firstSlowMs;
    while (from <= index) {
      // A run of entries up to the next switch of the replica set (or the end), applied together.
      const run: ReplicatedEntry[] = [];
      for (let i = from; i <= index; i++) {
        const entry = node.entryAt(partition, i);
        if (!entry) throw new Error(`partition ${partition}: committed entry ${i} is not in memory`);
        run.push(entry);
        if (entry.payload?.layout) break;
      }
      const records = run.flatMap((entry) => entry.payload?.records ?? []);
      if (slowMs > 0) {
        await sleep(this.c.env, slowMs);
        if (!current()) return;
      }
      if (records.length > 0) {
        await this.c.replicas.applyCommitted(partition, records);
        this.recordsApplied(partition, records, leads);
      }
      if (!current()) return;
      for (const entry of run) {
        term = entry.term;
        if (entry.config) config = entry.config;
        if (entry.payload?.layout) {
          await this.c.onLayoutEntry(entry.payload.layout, partition, leads);
          if (!current()) return;
        }
        this.entryApplied(partition, entry);
      }
      from += run.length;
      if (from <= index) slowMs = this.c.env.faults.delayMs('replica.slowApply'); // fault point (simulation only)
    }
    this.appliedThrough(partition, { index, term, config }, resets);
  }

  /** The partition's state holds every entry up to `at`: its position is written at the next tick, and the node told. */
  private appliedThrough(partition: number, at: { index: number; term: number; config?: Configuration }, resets: number): void {
    this.appliedAt.set(partition, at);
    this.checkpointsDue.set(partition, resets);
    this.node!.applied(partition, at.index, this.now());
  }

  /** Committed records are in the state here: a leader forwards them to a node the partition is moving to. */
  private recordsApplied(partition: number, records: readonly { itemKey: Buffer; value: Buffer }[], leads: boolean): void {
    if (leads) this.c.forwardToIncoming(partition, records);
    this.c.metrics.recordsReplicatedIn.inc(records.length);
  }

  /** An entry is applied: its keys leave the leader's overlay, and the write proposed there is settled. */
  private entryApplied(partition: number, entry: ReplicatedEntry): void {
    const records = entry.payload?.records;
    if (records && records.length > 0 && this.c.overlay.holds(partition)) {
      this.c.overlay.applied(partition, entry.index, records.map((r) => dataKey(partition, r.itemKey)));
    }
    this.settleProposal(partition, entry.index, entry.term);
  }

  /**
   * Writes the applied position of each partition that applied entries since the last tick, and
   * drops the log entries it covers from disk: one unsynced write for all of them, rather than two
   * per apply. It follows the applied records in the same ordered stream, so a crash loses the
   * position only with them (or keeps an older one): the entries after it are still on disk, and
   * applying them again after a restart changes nothing (a record never replaces a newer version).
   * A partition whose log is being reset or truncated, or that was reset since it applied, waits
   * for the next tick: its position must not land after the reset's.
   */
  private writeCheckpoints(): void {
    const ops: WriteOp[] = [];
    for (const [partition, resets] of this.checkpointsDue) {
      const at = this.appliedAt.get(partition);
      if (!at || (this.resets.get(partition) ?? 0) !== resets) {
        this.checkpointsDue.delete(partition);
        continue;
      }
      if (this.rewritesInFlight.has(partition)) continue;
      this.checkpointsDue.delete(partition);
      for (const op of this.c.logStore.appliedOps(partition, at.index, at.term, at.config)) ops.push(op);
    }
    if (ops.length > 0) this.inFlight(this.c.store.writeAll(ops, false), 'the applied positions could not be written');
  }

  /** A write nothing awaits: `stop` does, and a failure is logged, not left unhandled. */
  private inFlight(write: Promise<unknown>, failure: string, partition?: number): void {
    const tracked: Promise<unknown> = write.catch((error: unknown) => this.c.log.warn(failure, { partition, error: String(error) }));
    this.writesInFlight.add(tracked);
    void tracked.finally(() => this.writesInFlight.delete(tracked));
  }

  /** The entry at `index` was applied: a write proposed there took effect if its term is the entry's. */
  private settleProposal(partition: number, index: number, term: number): void {
    const proposal = this.proposals.get(partition)?.get(index);
    if (!proposal) return;
    this.proposals.get(partition)!.delete(index);
    if (proposal.term === term) {
      this.c.metrics.replicationLagSeconds.observe((this.now() - proposal.proposedAtMs) / 1000);
      proposal.resolve();
    } else {
      proposal.reject(new NotAppliedError(partition, index));
    }
  }

  private failProposals(partition: number, from: number): void {
    const pending = this.proposals.get(partition);
    if (!pending) return;
    for (const [index, proposal] of pending) {
      if (index < from) continue;
      pending.delete(index);
      proposal.reject(new NotAppliedError(partition, index));
    }
  }

  /** Brings a follower that lacks entries no longer in memory up to date: a Merkle repair from this leader's applied state. */
  private async sendSnapshot(request: SnapshotRequest): Promise<void> {
    const peer = this.c.ring.node(request.to);
    const at = this.appliedAt.get(request.partition) ?? { index: 0, term: 0 };
    try {
      if (!peer) throw new Error(`unknown node ${request.to}`);
      await this.c.antiEntropy.repair(request.partition, peer);
      this.node?.snapshotSent(request.partition, request.to, request.term, at.index, at.term, this.now());
      this.c.log.info('partition snapshot sent', { partition: request.partition, to: request.to, index: at.index });
    } catch (error) {
      this.c.log.debug('partition snapshot failed', { partition: request.partition, to: request.to, error: String(error) });
      this.node?.snapshotFailed(request.partition, request.to, this.now());
    }
    this.pump();
  }

  /**
   * Sends messages, one packet per peer; those for a peer whose packet is waiting for its reply
   * (`replies`) go back in that reply instead of a packet of their own.
   */
  private send(outbound: readonly ReplicaOutbound<EntryPayload>[], replies?: ReadonlyMap<string, PendingReply>): void {
    if (outbound.length === 0) return;
    const byPeer = new Map<string, PacketContents>();
    for (const { to, message } of outbound) {
      let batch = replies?.get(to)?.contents ?? byPeer.get(to);
      if (!batch) byPeer.set(to, (batch = { election: [], log: [] }));
      if (message.type === 'Append' || message.type === 'AppendResponse' || message.type === 'InstallSnapshot') batch.log.push(message);
      else batch.election.push(message);
    }
    for (const [to, batch] of byPeer) {
      const peer = this.c.ring.node(to);
      if (!peer) continue;
      // Lost messages are the protocol's business: it resends by itself. (A channel closed by a
      // shutdown throws at once rather than rejecting.)
      try {
        this.c.peers
          .client(peer)
          .election(this.packet(batch))
          .then((reply) => this.receive(reply), () => undefined);
      } catch {
        // dropped like any lost message
      }
    }
  }

  private packet(contents: PacketContents): ElectionPacket {
    return {
      from: this.c.nodeId,
      payload: contents.election.length > 0 ? Buffer.from(JSON.stringify(contents.election)) : EMPTY,
      log: contents.log.length > 0 ? encodeLogMessages(contents.log) : EMPTY,
      generation: this.generation,
    };
  }

  /**
   * Takes a peer's packet and answers with what the node has for that peer once the packet's
   * effects are synced (an AppendResponse, a vote): one exchange rather than a packet each way.
   */
  async onPacket(packet: ElectionPacket): Promise<ElectionPacket> {
    if (!this.receive(packet)) return { from: this.c.nodeId, payload: EMPTY };
    const earlier = this.repliesWaiting.get(packet.from);
    if (earlier) {
      // Another packet of this turn carries the answer.
      await earlier.done;
      return { from: this.c.nodeId, payload: EMPTY };
    }
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const reply: PendingReply = { contents: { election: [], log: [] }, resolve, done };
    this.repliesWaiting.set(packet.from, reply);
    await done;
    // Fault point (simulation only): the answer is lost after its effects were synced here.
    if (this.c.env.faults.fires('replica.dropReply')) return { from: this.c.nodeId, payload: EMPTY };
    return this.packet(reply.contents);
  }

  /** Hands a packet's messages to the node; false when the node is not running yet. */
  private receive(packet: ElectionPacket): boolean {
    if (this.stopped) return false;
    if (packet.generation) this.c.identities.sawPeer(packet.from, packet.generation);
    if (!this.node) return false;
    if (packet.payload.length === 0 && !packet.log?.length) return true;
    const now = this.now();
    try {
      if (packet.payload.length > 0) {
        for (const raw of JSON.parse(packet.payload.toString('utf8')) as unknown[]) this.node.receive(packet.from, decodeMessage(raw), now);
      }
      if (packet.log && packet.log.length > 0) {
        for (const message of decodeLogMessages(packet.log)) this.node.receive(packet.from, message, now);
      }
    } catch (error) {
      this.c.log.warn('malformed replication packet dropped', { from: packet.from, error: String(error) });
    }
    this.pump();
    return true;
  }


  private onEvent(event: ReplicaEvent): void {
    switch (event.type) {
      case 'RoleChanged':
        if (event.to === 'pre-candidate' && !this.leaderlessSince.has(event.partition)) this.leaderlessSince.set(event.partition, this.now());
        // A new leader decides on its applied state only (its no-op applies every earlier entry first).
        if (event.to === 'leader') this.c.overlay.clear(event.partition);
        this.c.log.info('partition role change', { partition: event.partition, term: event.term, from: event.from, to: event.to, reason: event.reason });
        break;
      case 'LeaderChanged':
        this.c.metrics.leaderChanges.inc();
        this.c.log.info('partition leader change', { partition: event.partition, term: event.term, leader: event.leader });
        break;
      case 'ServingChanged': {
        this.c.metrics.partitionsLed.set(this.countServing());
        if (event.serving) {
          const since = this.leaderlessSince.get(event.partition);
          if (since !== undefined) this.c.metrics.failoverSeconds.observe((this.now() - since) / 1000);
          this.leaderlessSince.delete(event.partition);
        }
        this.c.log.info('partition serving change', { partition: event.partition, term: event.term, serving: event.serving });
        break;
      }
      case 'TransferStarted':
        this.c.log.info('partition leadership transfer', { partition: event.partition, term: event.term, to: event.to, reason: event.reason });
        break;
      case 'Truncated':
        this.c.log.info('partition log truncated', { partition: event.partition, from: event.from });
        break;
      case 'ConfigurationChanged':
        this.c.log.info('partition configuration in force', { partition: event.partition, index: event.index, voters: event.config.voters, learners: event.config.learners });
        break;
      case 'Removed':
        // The layout that follows takes the partition (and its data) away; until then it neither votes nor campaigns.
        this.c.log.info('partition: this node applied its removal from the replica set', { partition: event.partition, index: event.index });
        break;
      case 'Promoted':
        this.c.log.info('partition learner promoted to voter', { partition: event.partition, term: event.term });
        this.inFlight(this.c.identities.promoted(event.partition), 'the promotion could not be written', event.partition);
        this.c.metrics.learnerPartitions.set(this.countLearners());
        break;
    }
  }

  /**
   * Partitions replicated here without a vote because this node lost its data: those it holds and
   * those moving to it (a wiped voter of a moving partition is one of its voters too; seed 8 of
   * `--moves --indexes`: uncounted, its loss went unseen and a second wipe left the partition
   * without a majority for ever).
   */
  private countLearners(): number {
    return this.node!.partitionIds().filter((p) => !this.node!.isVoter(p)).length;
  }

  private countServing(): number {
    const now = this.now();
    return this.c.ring.partitionsOf(this.c.nodeId).filter((p) => this.node!.isServingLeader(p, now)).length;
  }

  isServingLeader(partition: number): boolean {
    return !this.paused.has(partition) && (this.node?.isServingLeader(partition, this.now()) ?? false);
  }

  leaderHint(partition: number): string | undefined {
    return this.node?.leaderOf(partition) ?? undefined;
  }

  termOf(partition: number): number {
    return this.node?.termOf(partition) ?? 0;
  }

  /**
   * Records a leader sends outside the log are only for a partition moving here (the stream of a
   * move), while the log does not make this node a voter of it: a learner (or a node not yet added)
   * takes the bulk copy beside the log, whose entries and snapshot bring it the rest.
   */
  acceptsReplication(partition: number): boolean {
    if (!this.c.ring.receives(this.c.nodeId, partition) || this.c.ring.replicaSet(partition).some((n) => n.id === this.c.nodeId)) return false;
    const status = this.node?.configuration(partition);
    return status === undefined || !status.config.voters.includes(this.c.nodeId);
  }

  /** The index the partition's leader (this node) knows `follower` to hold, or undefined. */
  followerMatch(partition: number, follower: string): number | undefined {
    return this.node?.followerMatches(partition).get(follower);
  }

  /** The partition's log positions, for status and metrics. */
  logStatus(partition: number) {
    return this.node?.logStatus(partition);
  }

  followerMatches(partition: number): Map<string, number> {
    return this.node?.followerMatches(partition) ?? new Map();
  }
}
