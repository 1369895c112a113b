/**
 * Deterministic simulation of storage nodes running `ReplicaNode` (elections plus each partition's
 * replicated log), in one process, from one seed. Beside what the election simulator has (a
 * simulated real clock, per-node clock offsets and rate drift, a network with delay, loss,
 * duplication, reordering, very late deliveries and two-way or one-way partitions, crash-restart,
 * membership hints, transfers and drains) it models:
 *
 *  - a disk per node with a model driver that keeps the `ReplicaReady` contract: `appends` go at
 *    once; each Ready's persist records, log writes and promotions are one batch written after a
 *    random latency (batches complete in order, and a crash loses every batch not yet complete);
 *    only then are `logPersisted` called, `messages` sent, `commits` applied (from the log on disk,
 *    in order, calling `applied`) and `snapshots` streamed;
 *  - applied state per partition (key → value) that is durable with its position, the disk log
 *    after it, and a restart that rebuilds the node from them;
 *  - crashes in the middle of a write: the next batch (or the next that persists a vote) stalls in
 *    fsync and the node dies before it completes (`crashDuringWrite`);
 *  - disk wipes: the node restarts empty, with a new generation, as a learner of every partition
 *    (kept on disk until the `Promoted` event is durable);
 *  - snapshots: the leader's driver copies its applied state to the follower, then `snapshotSent`;
 *  - replica-set changes through the log (log-moves.ts drives them: a node joins as a learner, is
 *    promoted, another is removed); a node removed by a committed entry forgets the partition (its
 *    term and vote stay on disk), and a join given up is cleaned up by the driver;
 *  - clients: writes proposed at whoever serves (or a random replica), resolved by the proposer's
 *    driver as acknowledged (applied there at its term and index), failed (truncated or replaced)
 *    or unknown (the proposer crashed, or a snapshot jumped over it); strong reads of the serving
 *    leader's applied state.
 *
 * Invariants (log-invariants.ts) are checked after every step.
 */
import {
  ReplicaNode,
  UNKNOWN_CONFIGURATION,
  checkLogMessage,
  type ConfigChangeResult,
  type Configuration,
  decodeMessage,
  resolveElectionConfig,
  type ElectionConfig,
  type LogWrite,
  type NodeId,
  type PartitionId,
  type PersistedLog,
  type ReplicaEvent,
  type ReplicaMessage,
  type ReplicaOutbound,
  type SnapshotRequest,
} from '../../src';
import { EventQueue } from './event-queue';
import { LogInvariants } from './log-invariants';
import { LogSimNode, type AppliedState, type Batch, type Move, type Proposal, type SimEntry, type WritePayload } from './log-sim-node';
import { InvariantViolation } from './invariants';
import { DRIVER_BUGS, plantBugs, type PlantedBug } from './planted-bugs';
import { Prng } from './prng';
import { ShadowLog, chainHash, contentOf } from './shadow-log';

function sameMembers(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

/** `ids` in the order of `preference`, those it does not name after them (as ElectionNode ranks voters). */
function inOrderOf(preference: readonly NodeId[], ids: readonly NodeId[]): NodeId[] {
  return [...preference.filter((id) => ids.includes(id)), ...ids.filter((id) => !preference.includes(id))];
}

function copyState(state: AppliedState): AppliedState {
  return { index: state.index, term: state.term, hash: state.hash, kv: new Map(state.kv), config: state.config };
}

export interface NetworkConditions {
  lossRate: number;
  duplicateRate: number;
  delayMinMs: number;
  delayMaxMs: number;
  /** Chance that a message takes up to `slowDelayMaxMs` instead (a stale, very late delivery). */
  slowRate: number;
  slowDelayMaxMs: number;
}

export interface DiskConditions {
  latencyMinMs: number;
  latencyMaxMs: number;
  /** Chance that a batch takes up to `slowLatencyMaxMs` (an fsync stall). */
  slowRate: number;
  slowLatencyMaxMs: number;
}

export const CALM_DISK: DiskConditions = { latencyMinMs: 0.2, latencyMaxMs: 3, slowRate: 0.01, slowLatencyMaxMs: 40 };

export interface LogSimOptions {
  seed: number;
  nodeCount: number;
  partitionCount: number;
  /** Real time between two ticks of a node, jittered ±50%. */
  tickIntervalMs?: number;
  /** Each node's clock runs at a rate in [1 - drift, 1 + drift]. */
  clockRateDriftMax?: number;
  election?: Partial<ElectionConfig>;
  /** Round-trip every message through JSON and the decoders, as the gRPC transport will. */
  wireCheck?: boolean;
  /** Bugs to plant (planted-bugs.ts); none by default. */
  bugs?: readonly PlantedBug[];
  /** Check persist-before-send on every message (off: only the end-to-end invariants judge). */
  persistChecks?: boolean;
}

export interface LogSimStats {
  steps: number;
  messagesSent: number;
  elections: number;
  transfers: number;
  crashes: number;
  wipes: number;
  snapshots: number;
  truncations: number;
  promotions: number;
  proposed: number;
  acknowledged: number;
  failed: number;
  unknown: number;
  reads: number;
  configChanges: number;
  /** Moves begun (log-moves.ts), those that finished, and those given up once their node was a learner. */
  movesStarted: number;
  movesDone: number;
  movesGivenUp: number;
  /** Nodes that forgot a partition on their own `Removed`, and joins given up that the driver cleaned up. */
  removals: number;
  cleanups: number;
}

type SimEvent =
  | { kind: 'tick'; node: LogSimNode; incarnation: number }
  | { kind: 'deliver'; from: LogSimNode; to: LogSimNode; message: ReplicaMessage<WritePayload> }
  | { kind: 'disk'; node: LogSimNode; incarnation: number }
  | { kind: 'snapshot'; leader: LogSimNode; incarnation: number; request: SnapshotRequest; copy: AppliedState }
  | { kind: 'hint'; node: LogSimNode; incarnation: number; about: NodeId; up: boolean; seq: number }
  | { kind: 'client'; partition: PartitionId; generation: number }
  | { kind: 'call'; fn: () => void };

const TRACE_LINES_MAX = Number(process.env.TRACE_LINES_MAX) || 400;
/** Keys per partition the clients write: few, so that reads meet overwrites. */
const CLIENT_KEYS = 4;
const PAYLOAD_BYTES = 32;

export class LogSimulation {
  now = 0;
  readonly rng: Prng;
  readonly nodes: LogSimNode[] = [];
  /** Per partition, the nodes that replicate it now (members, a joining learner, a removed node not yet gone); changes with moves. */
  readonly replicaSets = new Map<PartitionId, NodeId[]>();
  /**
   * The initial placement: the configuration of a log that no configuration entry reached yet, and
   * every node's preference order of a partition's voters (the same on all, as the layout's is).
   */
  readonly layout = new Map<PartitionId, readonly NodeId[]>();
  /**
   * The replica set the layout records now: the initial placement, then each move's new voters once
   * it is done (as the storage node's layout records a move after its configuration steps). A node
   * that restarts with no configuration on disk (it lost its disk) starts from it, as a storage node
   * starts from its layout's replica set, and a running node whose log has none adopts it when a
   * move is done (`adoptPlacement`), as a storage node adopts a newer layout.
   */
  readonly placement = new Map<PartitionId, readonly NodeId[]>();
  /** Replica-set changes under way (log-moves.ts). */
  readonly moving = new Map<PartitionId, Move>();
  readonly electionConfig: Readonly<ElectionConfig>;
  readonly checker: LogInvariants;
  readonly stats: LogSimStats = {
    steps: 0,
    messagesSent: 0,
    elections: 0,
    transfers: 0,
    crashes: 0,
    wipes: 0,
    snapshots: 0,
    truncations: 0,
    promotions: 0,
    proposed: 0,
    acknowledged: 0,
    failed: 0,
    unknown: 0,
    reads: 0,
    configChanges: 0,
    movesStarted: 0,
    movesDone: 0,
    movesGivenUp: 0,
    removals: 0,
    cleanups: 0,
  };
  network: NetworkConditions = { lossRate: 0, duplicateRate: 0, delayMinMs: 1, delayMaxMs: 5, slowRate: 0, slowDelayMaxMs: 0 };
  disk: DiskConditions = { ...CALM_DISK };
  readonly bugs: ReadonlySet<PlantedBug>;
  readonly persistChecks: boolean;
  private readonly blocked = new Set<string>();
  private readonly queue = new EventQueue<SimEvent>();
  private readonly byId = new Map<NodeId, LogSimNode>();
  /** The last TRACE_LINES_MAX lines (a ring: `traceNext` is the oldest once full), formatted on output. */
  private readonly trace: { atMs: number; line: string }[] = [];
  private traceNext = 0;
  private readonly tickIntervalMs: number;
  private readonly wireCheck: boolean;
  private writeSeq = 0;
  private hintSeq = 0;
  private readonly lastHintSeq = new Map<string, number>();
  /** Client loops run while their generation is current; `stopClients` bumps it. */
  private clientGeneration = 0;
  private clientIntervalMs = 0;

  constructor(options: LogSimOptions) {
    this.rng = new Prng(options.seed);
    this.electionConfig = resolveElectionConfig(options.election ?? {});
    this.tickIntervalMs = options.tickIntervalMs ?? 20;
    this.wireCheck = options.wireCheck ?? false;
    this.bugs = new Set(options.bugs ?? []);
    this.persistChecks = options.persistChecks ?? true;
    const drift = options.clockRateDriftMax ?? 0;
    for (let i = 0; i < options.nodeCount; i++) {
      const node = new LogSimNode(`n${i}`, i, this.rng.real(0, 1e6), 1 + this.rng.real(-drift, drift), this.rng.fork());
      this.nodes.push(node);
      this.byId.set(node.id, node);
    }
    // Placement: preferred leaders spread round-robin, the two other replicas at random.
    for (let p = 0; p < options.partitionCount; p++) {
      const first = this.nodes[p % this.nodes.length];
      const others = this.rng.shuffle(this.nodes.filter((n) => n !== first)).slice(0, 2);
      const replicas = [first, ...others].map((n) => n.id);
      this.replicaSets.set(p, replicas);
      this.layout.set(p, [...replicas]);
      this.placement.set(p, [...replicas]);
      for (const id of replicas) this.byId.get(id)!.partitions.push(p);
    }
    this.checker = new LogInvariants(this);
    for (const node of this.nodes) this.start(node);
  }

  // -----------------------------------------------------------------------------------------------
  // Clocks and lookups

  localNow(node: LogSimNode): number {
    return node.clockOffsetMs + this.now * node.clockRate;
  }

  realOf(node: LogSimNode, localMs: number): number {
    return (localMs - node.clockOffsetMs) / node.clockRate;
  }

  node(id: NodeId): LogSimNode {
    const node = this.byId.get(id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  nodeCode(id: NodeId): number {
    return this.node(id).code;
  }

  // -----------------------------------------------------------------------------------------------
  // Running

  runUntil(untilMs: number): void {
    while (this.queue.peekTime() <= untilMs) {
      const { atMs, value } = this.queue.pop()!;
      this.now = atMs;
      this.handle(value);
      this.stats.steps++;
    }
    if (untilMs > this.now) this.now = untilMs;
  }

  runFor(ms: number): void {
    this.runUntil(this.now + ms);
  }

  /** Runs until `condition` holds (checked every `stepMs`), or throws at `deadlineMs`. */
  runUntilCondition(condition: () => boolean, deadlineMs: number, what: string, stepMs = 50): number {
    for (;;) {
      if (condition()) return this.now;
      if (this.now >= deadlineMs) throw new InvariantViolation(`liveness: not ${what} by ${deadlineMs.toFixed(0)} ms`);
      this.runFor(stepMs);
      this.checker.checkInstant();
    }
  }

  at(atMs: number, fn: () => void): void {
    this.queue.push(atMs, { kind: 'call', fn });
  }

  finish(): void {
    for (const node of this.nodes) {
      for (const proposal of node.proposals.values()) this.resolve(node, proposal, 'unknown', 'still in flight at the end');
      node.proposals.clear();
    }
    this.checker.finish();
  }

  // -----------------------------------------------------------------------------------------------
  // Clients

  /** Starts one client loop per partition, each issuing an operation every ~`intervalMs`. */
  startClients(intervalMs: number): void {
    this.clientGeneration++;
    this.clientIntervalMs = intervalMs;
    for (const p of this.replicaSets.keys()) this.queue.push(this.now + this.rng.real(0, intervalMs), { kind: 'client', partition: p, generation: this.clientGeneration });
  }

  stopClients(): void {
    this.clientGeneration++;
  }

  private clientOp(partition: PartitionId): void {
    const replicas = this.replicaSets.get(partition)!;
    if (replicas.length === 0) return;
    const serving = this.servingLeaders(partition);
    const target = serving.length > 0 && this.rng.chance(0.85) ? this.node(serving[0]) : this.node(this.rng.pick(replicas));
    if (!target.up) return;
    const key = `k${this.rng.int(0, CLIENT_KEYS - 1)}`;
    if (this.rng.chance(0.3)) this.read(target, partition, key);
    else this.write(target, partition, key);
  }

  /** A client write at `node`; returns the proposal if the node took it. */
  write(node: LogSimNode, partition: PartitionId, key: string): Proposal | undefined {
    const id = ++this.writeSeq;
    const payload: WritePayload = { id, key, value: this.rng.int(0, 1_000_000) };
    const result = this.drive(node, (e, now) => e.propose(partition, () => payload, now));
    if (!result.ok) return undefined;
    const proposal: Proposal = { id, partition, key, term: result.term, index: result.index, node: node.id, startMs: this.now };
    node.proposals.set(`${partition}/${result.index}`, proposal);
    this.stats.proposed++;
    return proposal;
  }

  /** A strong read: only a serving leader answers, from its applied state. */
  private read(node: LogSimNode, partition: PartitionId, key: string): void {
    if (!node.engine!.isServingLeader(partition, this.localNow(node))) return;
    const state = node.disk.state(partition);
    this.stats.reads++;
    this.checker.onRead(node, partition, key, state.kv.get(key), state.index);
  }

  private resolve(node: LogSimNode, proposal: Proposal, outcome: 'acknowledged' | 'failed' | 'unknown', why: string): void {
    switch (outcome) {
      case 'acknowledged':
        this.stats.acknowledged++;
        this.checker.onAcknowledged(proposal);
        break;
      case 'failed':
        this.stats.failed++;
        this.checker.onFailed(proposal, why);
        break;
      case 'unknown':
        this.stats.unknown++;
        break;
    }
    this.log(`${node.id} write ${proposal.id} p${proposal.partition} @${proposal.index}/t${proposal.term} ${outcome}${outcome === 'acknowledged' ? '' : ` (${why})`}`);
  }

  // -----------------------------------------------------------------------------------------------
  // Faults and operations

  crash(id: NodeId): void {
    const node = this.node(id);
    if (!node.up) return;
    this.log(`crash ${id}${node.pipeline.length > 0 ? ` (${node.pipeline.length} batches lost)` : ''}`);
    this.checker.onCrash(node);
    for (const proposal of node.proposals.values()) this.resolve(node, proposal, 'unknown', 'proposer crashed');
    node.proposals.clear();
    node.up = false;
    node.engine = undefined;
    node.pipeline = [];
    node.crashOnWrite = undefined;
    node.incarnation++;
    this.stats.crashes++;
    for (const other of this.nodes) if (other !== node && other.up) this.hint(other, id, false, this.rng.real(300, 1500));
  }

  /** The node's data directory is lost: it restarts empty, as a learner under a new generation. */
  wipe(id: NodeId): void {
    const node = this.node(id);
    this.crash(id);
    node.disk.wipe(node.partitions);
    this.stats.wipes++;
    this.log(`wipe ${id} (generation ${node.disk.generation})`);
  }

  /**
   * The node's next batch (with `votes`, the next that persists a vote) stalls in fsync (20–200
   * ms) and the node crashes before it completes (the batch is lost), calls `onCrash`, and
   * restarts `restartAfterMs` later: the moment a node has sent what did not depend on that batch,
   * and only that, is where persist-before-send and durable majorities are put to the test.
   */
  crashDuringWrite(id: NodeId, restartAfterMs: number, options: { votes?: boolean; onCrash?: () => void } = {}): void {
    const node = this.node(id);
    if (node.up) node.crashOnWrite = { restartAfterMs, votes: options.votes ?? false, onCrash: options.onCrash };
  }

  restart(id: NodeId): void {
    const node = this.node(id);
    if (node.up) return;
    this.log(`restart ${id}`);
    node.up = true;
    node.incarnation++;
    node.restartedAtMs = this.now;
    this.start(node);
    for (const other of this.nodes) {
      if (other === node) continue;
      if (other.up) this.hint(other, id, true, this.rng.real(100, 1000));
      if (!other.up) this.hint(node, other.id, false, this.rng.real(100, 1000));
    }
  }

  /** Whether wiping `id` now keeps every partition able to recover: no other replica of its partitions is a learner. */
  canWipe(id: NodeId): boolean {
    const node = this.node(id);
    return node.partitions.every((p) => this.replicaSets.get(p)!.every((other) => other === id || !this.node(other).disk.learners.has(p)));
  }

  // -----------------------------------------------------------------------------------------------
  // Replica-set changes (log-moves.ts decides which)

  /** `id` starts to replicate the partition (it is, or is about to be, added as a learner): empty, keeping its old term and vote. */
  join(id: NodeId, partition: PartitionId): void {
    const node = this.node(id);
    if (node.partitions.includes(partition)) return;
    node.partitions.push(partition);
    this.replicaSets.get(partition)!.push(id);
    node.disk.forget(partition);
    node.disk.state(partition).config = UNKNOWN_CONFIGURATION;
    this.log(`${id} joins p${partition}`);
    if (!node.up) return;
    node.shadows.set(partition, new ShadowLog(0, 0, 0));
    const persisted = node.disk.elections.get(partition);
    this.drive(node, (e, now) => e.joinPartition(partition, now, { persisted, replicas: this.layout.get(partition) }));
  }

  /** `id` drops the partition: on its own `Removed` (`byLog`), or a join given up that the driver cleans up. */
  forget(id: NodeId, partition: PartitionId, byLog: boolean): void {
    const node = this.node(id);
    if (!node.partitions.includes(partition)) return;
    node.partitions.splice(node.partitions.indexOf(partition), 1);
    const hosts = this.replicaSets.get(partition)!;
    hosts.splice(hosts.indexOf(id), 1);
    node.disk.forget(partition);
    if (byLog) this.stats.removals++;
    else this.stats.cleanups++;
    this.log(`${id} forgets p${partition} (${byLog ? 'removed by its log' : 'join given up'})`);
    this.checker.onForget(node, partition);
    if (!node.up) return;
    for (const [key, proposal] of [...node.proposals]) {
      if (proposal.partition !== partition) continue;
      node.proposals.delete(key);
      this.resolve(node, proposal, 'unknown', 'the proposer left the partition');
    }
    node.shadows.delete(partition);
    this.drive(node, (e, now) => e.forgetPartition(partition, now));
  }

  /**
   * A move is done: the layout records the partition's new replica set (`placement`), and every
   * running node adopts it, as a storage node does (the layout of a move comes through the
   * partition's log, is pushed to every node and pulled by any that missed it; its adoption calls
   * `ReplicaNode.reconfigure` with the new replica sets). It matters only to a node whose log of the
   * partition has no configuration yet — one that lost its disk and restarted during the move, from
   * the replica set the layout recorded then: that set may not name the leader that moved in, whose
   * heartbeats it then ignores for ever, and the leader, believing it up to date, sends an idle
   * partition nothing (seed 14171). `reconfigure` re-bases such a log on the new set; the log of
   * every other node decides its members (and a set already the same changes nothing), so the
   * simulator leaves those nodes alone.
   */
  adoptPlacement(partition: PartitionId): void {
    for (const id of [...this.replicaSets.get(partition)!]) {
      const node = this.node(id);
      const engine = node.engine;
      if (!node.up || !engine?.followsLayout(partition) || !this.placement.get(partition)!.includes(id)) continue;
      if (sameMembers(engine.configuration(partition)!.config.voters, this.placement.get(partition)!)) continue; // nothing changes for it
      const partitions = new Map<PartitionId, NodeId[]>();
      for (const p of node.partitions) partitions.set(p, this.layoutSet(node, p));
      this.log(`${id} adopts the layout of p${partition}: ${partitions.get(partition)!.join(',')}`);
      this.drive(node, (e, now) => e.reconfigure(partitions, now));
    }
  }

  /**
   * The replica set a node's `reconfigure` gets for a partition: for a log that follows the layout,
   * the set the layout records now, ranked as every node ranks voters (the initial placement's order
   * first); for any other, the initial placement, as at its start (only the order counts then).
   */
  private layoutSet(node: LogSimNode, partition: PartitionId): NodeId[] {
    const placement = this.placement.get(partition)!;
    const layout = this.layout.get(partition)!;
    if (node.engine!.followsLayout(partition) && placement.includes(node.id)) return inOrderOf(layout, placement);
    return [...layout];
  }

  /** Proposes the partition's next configuration at its serving leader. */
  proposeConfiguration(partition: PartitionId, next: Configuration): ConfigChangeResult {
    const [leader] = this.servingLeaders(partition);
    if (leader === undefined) return { ok: false, reason: 'not-leader' };
    const result = this.drive(this.node(leader), (e, now) => e.proposeConfiguration(partition, next, now));
    this.log(`${leader} proposes p${partition} voters=${next.voters.join(',')} learners=${next.learners.join(',')}: ${JSON.stringify(result)}`);
    if (result.ok) this.stats.configChanges++;
    return result;
  }

  partitionNetwork(groups: NodeId[][]): void {
    this.blocked.clear();
    const groupOf = new Map<NodeId, number>();
    groups.forEach((group, i) => group.forEach((id) => groupOf.set(id, i)));
    for (const a of this.nodes) {
      for (const b of this.nodes) {
        if (a === b) continue;
        const ga = groupOf.get(a.id);
        if (ga === undefined || ga !== groupOf.get(b.id)) this.blocked.add(`${a.id}>${b.id}`);
      }
    }
    this.log(`partition ${groups.map((g) => `{${g.join(',')}}`).join(' ')}`);
  }

  blockLink(from: NodeId, to: NodeId): void {
    this.blocked.add(`${from}>${to}`);
    this.log(`block ${from}>${to}`);
  }

  healNetwork(): void {
    this.blocked.clear();
    this.log('heal network');
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.has(`${from}>${to}`);
  }

  setNetwork(conditions: NetworkConditions): void {
    this.network = { ...conditions };
    this.log(`network ${JSON.stringify(conditions)}`);
  }

  setDisk(conditions: DiskConditions): void {
    this.disk = { ...conditions };
    this.log(`disk ${JSON.stringify(conditions)}`);
  }

  setDraining(id: NodeId, draining: boolean): void {
    const node = this.node(id);
    node.draining = draining;
    this.log(`${id} draining=${draining}`);
    if (node.up) this.drive(node, (e, now) => e.setDraining(draining, now));
  }

  /** Admin transfer of a partition, at the node that leads it in the highest term. */
  transfer(partition: PartitionId, target?: NodeId): boolean {
    let leader: LogSimNode | undefined;
    for (const id of this.replicaSets.get(partition) ?? []) {
      const node = this.node(id);
      if (node.engine?.roleOf(partition) !== 'leader') continue;
      if (!leader || node.engine.termOf(partition)! > leader.engine!.termOf(partition)!) leader = node;
    }
    if (!leader) return false;
    const result = this.drive(leader, (e, now) => e.transferLeadership(partition, now, target));
    this.log(`admin transfer p${partition} at ${leader.id}: ${JSON.stringify(result)}`);
    return result.ok;
  }

  hint(node: LogSimNode, about: NodeId, up: boolean, delayMs: number): void {
    const seq = ++this.hintSeq;
    this.queue.push(this.now + delayMs, { kind: 'hint', node, incarnation: node.incarnation, about, up, seq });
  }

  // -----------------------------------------------------------------------------------------------
  // Queries

  servingLeaders(partition: PartitionId): NodeId[] {
    return this.replicaSets.get(partition)!.filter((id) => {
      const node = this.node(id);
      return node.engine !== undefined && node.engine.isServingLeader(partition, this.localNow(node));
    });
  }

  allServed(): boolean {
    for (const p of this.replicaSets.keys()) if (this.servingLeaders(p).length !== 1) return false;
    return true;
  }

  /**
   * Every partition is served, every replica is up, votes, has nothing left to write and has
   * applied the leader's whole log, and all applied states are equal.
   */
  allConverged(): boolean {
    for (const [p, replicas] of this.replicaSets) {
      const serving = this.servingLeaders(p);
      if (serving.length !== 1) return false;
      const leader = this.node(serving[0]);
      const lead = leader.engine!.logStatus(p)!;
      if (lead.commit !== lead.last) return false;
      // No change under way, and exactly the voters replicate the partition.
      const config = leader.engine!.configuration(p)!;
      if (!config.committed || config.config.learners.length > 0 || this.moving.has(p)) return false;
      if (replicas.length !== config.config.voters.length || !replicas.every((id) => config.config.voters.includes(id))) return false;
      const hash = leader.disk.state(p).hash;
      for (const id of replicas) {
        const node = this.node(id);
        if (!node.engine || !node.engine.isVoter(p) || node.pipeline.length > 0) return false;
        // The promotion is durable (unless a planted driver bug never records it).
        if (node.disk.learners.has(p) && !this.bugs.has('wiped-rejoins-as-voter') && !this.bugs.has('learner-forgotten-on-restart')) return false;
        const state = node.disk.state(p);
        if (state.index !== lead.last || state.hash !== hash) return false;
      }
    }
    return true;
  }

  log(line: string): void {
    if (this.trace.length < TRACE_LINES_MAX) this.trace.push({ atMs: this.now, line });
    else this.trace[this.traceNext] = { atMs: this.now, line };
    this.traceNext = (this.traceNext + 1) % TRACE_LINES_MAX;
  }

  /** One line per partition: each replica's role, term, leader, serving, log positions and applied state. */
  describe(): string {
    const lines: string[] = [];
    for (const [p, replicas] of this.replicaSets) {
      const parts = replicas.map((id) => {
        const node = this.node(id);
        const state = node.disk.states.get(p);
        const applied = `st=${state?.index ?? 0}`;
        if (!node.engine) return `${id}:down(${applied})`;
        const s = node.engine.status(p)!;
        const l = node.engine.logStatus(p)!;
        const serving = node.engine.isServingLeader(p, this.localNow(node)) ? '*' : '';
        const learner = node.engine.isVoter(p) ? '' : '/learner';
        const c = node.engine.configuration(p)!;
        const config = ` cfg@${c.index}${c.committed ? '' : '?'}=${c.config.voters.join(',')}${c.config.learners.length > 0 ? `+${c.config.learners.join(',')}` : ''}`;
        return `${id}:${s.role}/t${s.term}/l=${s.leader ?? '-'}${serving}${learner} log=${l.first}..${l.last}@t${l.lastTerm} c=${l.commit} p=${l.persisted} a=${l.applied} ${applied}${config}`;
      });
      lines.push(`p${p}: ${parts.join(' | ')}`);
    }
    return lines.join('\n');
  }

  traceTail(lines = 80): string {
    const ordered = this.trace.length < TRACE_LINES_MAX ? this.trace : [...this.trace.slice(this.traceNext), ...this.trace.slice(0, this.traceNext)];
    return ordered
      .slice(-(Number(process.env.TRACE_LINES) || lines))
      .map((t) => `${t.atMs.toFixed(1).padStart(9)} ${t.line}`)
      .join('\n');
  }

  // -----------------------------------------------------------------------------------------------
  // Start and restart

  private start(node: LogSimNode): void {
    const partitions = new Map<PartitionId, NodeId[]>();
    const logs = new Map<PartitionId, PersistedLog<WritePayload>>();
    node.shadows.clear();
    for (const p of node.partitions) {
      const state = node.disk.state(p);
      const entries = this.recoverLog(node, p, state);
      // No configuration on disk (it lost its disk, or applied no configuration entry yet): the
      // replica set the layout records now, as the storage node starts from its layout's. Not an
      // unknown configuration, nor the initial placement once a move is done: a wiped learner whose
      // configuration does not name the leader takes none of its heartbeats, reminds nobody (no
      // leader known), and a leader that believes it up to date sends an idle partition nothing
      // (seeds 11027: a node that moved in, 18731: a node whose partition's leader moved in). A
      // node that set names follows the layout, as a storage node does: given as its replica set
      // (ranked as every node ranks voters), not as a configuration of its log, so that it adopts
      // the set of a move done while it runs (`adoptPlacement`, seed 14171). One it does not name
      // (leaving the partition) takes it as its configuration, of which it is no member.
      const layout = this.layout.get(p)!;
      const placement = this.placement.get(p)!;
      const moved = !sameMembers(placement, layout);
      const followsPlacement = state.config === undefined && moved && placement.includes(node.id);
      partitions.set(p, followsPlacement ? inOrderOf(layout, placement) : [...layout]);
      const config = state.config ?? (moved && !followsPlacement ? { voters: [...placement], learners: [] } : undefined);
      logs.set(p, { applied: { index: state.index, term: state.term }, entries, config });
      const shadow = new ShadowLog(state.index, state.term, state.hash);
      this.checker.onLogEntry(node, p, state, state.hash);
      for (const entry of entries) this.checker.onLogEntry(node, p, entry, shadow.append(contentOf(entry, (id) => this.nodeCode(id))));
      node.shadows.set(p, shadow);
    }
    const forgotten = this.bugs.has('wiped-rejoins-as-voter') || (this.bugs.has('learner-forgotten-on-restart') && node.disk.startedSinceWipe);
    const learners = forgotten ? new Set<PartitionId>() : new Set(node.disk.learners);
    node.disk.startedSinceWipe = true;
    node.engine = new ReplicaNode<WritePayload>({
      selfId: node.id,
      partitions,
      persisted: new Map(node.disk.elections),
      config: this.electionConfig,
      random: () => node.random.next(),
      nowMs: this.localNow(node),
      logs,
      learners,
      generation: node.disk.generation,
      payloadBytes: () => PAYLOAD_BYTES,
    });
    if (this.bugs.size > 0) plantBugs(node.engine, new Set([...this.bugs].filter((bug) => !DRIVER_BUGS.has(bug))));
    node.pipeline = [];
    node.lastDoneAtMs = this.now;
    if (node.draining) this.drive(node, (e, now) => e.setDraining(true, now));
    this.checker.afterDrive(node);
    this.scheduleTick(node);
  }

  /**
   * The entries on disk after the applied position, in order. If a snapshot moved the state past
   * a log that disagrees with it (its entry at the snapshot's position has another term), the
   * entries after that position belong to another history: the driver drops them.
   */
  private recoverLog(node: LogSimNode, partition: PartitionId, state: AppliedState): SimEntry[] {
    const log = node.disk.logs.get(partition);
    if (!log) return [];
    const atApplied = log.get(state.index);
    const entries: SimEntry[] = [];
    if (atApplied === undefined || atApplied.term === state.term) {
      for (let index = state.index + 1; log.has(index); index++) entries.push(log.get(index)!);
      const last = state.index + entries.length;
      for (const index of log.keys()) {
        if (index > last) this.checker.fail(`${node.id} p${partition}: the log on disk has a gap after ${last}`);
      }
    }
    log.clear();
    for (const entry of entries) log.set(entry.index, entry);
    return entries;
  }

  private scheduleTick(node: LogSimNode): void {
    const delay = this.tickIntervalMs * this.rng.real(0.5, 1.5);
    this.queue.push(this.now + delay, { kind: 'tick', node, incarnation: node.incarnation });
  }

  // -----------------------------------------------------------------------------------------------
  // The driver

  /** Runs one input on a node, then takes its Ready (see `drain`) and checks the node. */
  drive<T>(node: LogSimNode, input: (engine: ReplicaNode<WritePayload>, nowMs: number) => T): T {
    const result = input(node.engine!, this.localNow(node));
    this.drain(node);
    this.checker.afterDrive(node);
    return result;
  }

  /**
   * Takes the node's Ready: mirrors its log writes, sends `appends` at once, and queues the rest as
   * one batch behind the batches already being written (its messages may depend on any of them).
   */
  private drain(node: LogSimNode): void {
    const engine = node.engine!;
    if (!engine.hasReady()) return;
    const ready = engine.ready();
    for (const write of ready.logWrites) this.mirrorLogWrite(node, write);
    for (const write of ready.logWrites) this.checker.checkMirror(node, write.partition);
    const promoted: PartitionId[] = [];
    for (const event of ready.events) {
      this.onEngineEvent(node, event);
      if (event.type === 'Promoted') promoted.push(event.partition);
    }
    for (const out of ready.appends) this.release(node, out);
    const batch: Batch = {
      persist: ready.persist,
      logWrites: ready.logWrites,
      promoted,
      messages: ready.messages,
      commits: ready.commits,
      snapshots: ready.snapshots,
      doneAtMs: 0,
    };
    if (this.bugs.has('send-before-persist')) {
      for (const out of batch.messages) this.release(node, out);
      batch.messages = [];
    }
    const writes = batch.persist.length + batch.logWrites.length + batch.promoted.length > 0;
    if (!writes && node.pipeline.length === 0) {
      this.complete(node, batch);
      return;
    }
    const armed = node.crashOnWrite;
    const crashOnWrite = armed && (armed.votes ? batch.persist.some((r) => r.votedFor !== null) : writes) ? armed : undefined;
    if (crashOnWrite) node.crashOnWrite = undefined;
    const latencyMs = crashOnWrite ? this.rng.real(20, 200) : writes ? this.diskLatencyMs() : 0;
    batch.doneAtMs = Math.max(node.lastDoneAtMs, this.now + latencyMs);
    node.lastDoneAtMs = batch.doneAtMs;
    node.pipeline.push(batch);
    this.queue.push(batch.doneAtMs, { kind: 'disk', node, incarnation: node.incarnation });
    if (crashOnWrite) {
      const incarnation = node.incarnation;
      // Late in the stall (what was sent at once has had time to act), and strictly before it ends.
      const crashAtMs = this.now + this.rng.real(0.3, 0.99) * (batch.doneAtMs - this.now);
      this.at(crashAtMs, () => {
        if (!node.up || node.incarnation !== incarnation) return;
        this.log(`${node.id} crashes while writing`);
        this.crash(node.id);
        crashOnWrite.onCrash?.();
        this.at(this.now + crashOnWrite.restartAfterMs, () => this.restart(node.id));
      });
    }
  }

  private diskLatencyMs(): number {
    const d = this.disk;
    return this.rng.chance(d.slowRate) ? this.rng.real(d.latencyMaxMs, Math.max(d.latencyMaxMs, d.slowLatencyMaxMs)) : this.rng.real(d.latencyMinMs, d.latencyMaxMs);
  }

  /** Completes every batch whose write is done, in order. */
  private onDisk(node: LogSimNode, incarnation: number): void {
    let completed = false;
    while (node.up && node.incarnation === incarnation && node.pipeline.length > 0 && node.pipeline[0].doneAtMs <= this.now) {
      this.complete(node, node.pipeline.shift()!);
      completed = true;
    }
    if (completed && node.up) this.checker.afterDrive(node);
  }

  /**
   * A batch is durable: write it to the disk, report each partition's log durable up to its last
   * entry written, then send its messages, apply its commits and start its snapshots.
   */
  private complete(node: LogSimNode, batch: Batch): void {
    const engine = node.engine!;
    const disk = node.disk;
    for (const record of batch.persist) {
      this.checker.onPersist(node, record);
      disk.elections.set(record.partition, { term: record.term, votedFor: record.votedFor });
    }
    const written = new Map<PartitionId, { index: number; term: number }>();
    for (const write of batch.logWrites) {
      if (!node.partitions.includes(write.partition)) continue; // forgotten since
      const log = disk.log(write.partition);
      if (write.reset) {
        // As the storage node's driver does: the reset position is what is durable now.
        log.clear();
        written.set(write.partition, { index: write.reset.index, term: write.reset.term });
      }
      if (write.truncateFrom !== undefined) {
        for (const index of [...log.keys()]) if (index >= write.truncateFrom) log.delete(index);
        const last = written.get(write.partition);
        if (last && last.index >= write.truncateFrom) written.delete(write.partition);
      }
      for (const entry of write.entries) log.set(entry.index, entry);
      const lastEntry = write.entries[write.entries.length - 1];
      if (lastEntry) written.set(write.partition, { index: lastEntry.index, term: lastEntry.term });
    }
    for (const p of batch.promoted) disk.learners.delete(p);
    const now = this.localNow(node);
    for (const [p, last] of written) engine.logPersisted(p, last.index, last.term, now);
    for (const out of batch.messages) this.release(node, out);
    for (const commit of batch.commits) if (node.partitions.includes(commit.partition)) this.apply(node, commit.partition, commit.index);
    for (const request of batch.snapshots) if (node.partitions.includes(request.partition)) this.startSnapshot(node, request);
    for (const record of batch.persist) this.checker.checkMajorityTerm(record.partition);
    this.drain(node);
  }

  /** Applies the committed entries up to `index` from the log on disk, in order. */
  private apply(node: LogSimNode, partition: PartitionId, index: number): void {
    const state = node.disk.state(partition);
    const log = node.disk.log(partition);
    // A snapshot may have moved the state past entries the node still hands out: they are in it.
    for (let i = state.index + 1; i <= index; i++) {
      const entry = log.get(i);
      if (!entry) this.checker.fail(`${node.id} p${partition}: commit up to ${index} handed out, but entry ${i} is not on disk`);
      const hash = chainHash(state.hash, contentOf(entry, (id) => this.nodeCode(id)));
      this.checker.onApply(node, partition, entry, hash);
      if (entry.payload !== undefined) state.kv.set(entry.payload.key, { id: entry.payload.id, value: entry.payload.value, index: i });
      if (entry.config) state.config = entry.config;
      state.index = i;
      state.term = entry.term;
      state.hash = hash;
      log.delete(i);
      const key = `${partition}/${i}`;
      const proposal = node.proposals.get(key);
      if (proposal) {
        node.proposals.delete(key);
        const same = entry.term === proposal.term && entry.payload?.id === proposal.id;
        this.resolve(node, proposal, same ? 'acknowledged' : 'failed', `another entry (term ${entry.term}) applied at ${i}`);
      }
    }
    node.engine!.applied(partition, index, this.localNow(node));
  }

  /** Mirrors a log change the engine made (in memory; the disk follows when the batch completes). */
  private mirrorLogWrite(node: LogSimNode, write: LogWrite<WritePayload>): void {
    const p = write.partition;
    const shadow = node.shadow(p);
    if (write.reset) {
      const { index, term } = write.reset;
      const state = node.disk.state(p);
      if (state.index < index) this.checker.fail(`${node.id} p${p}: log reset to snapshot position ${index}, but its state only reflects ${state.index}`);
      const hash = this.checker.appliedHash(p, index, term);
      shadow.reset(index, term, hash);
      this.checker.onLogEntry(node, p, write.reset, hash);
      for (const [key, proposal] of [...node.proposals]) {
        if (proposal.partition !== p) continue;
        node.proposals.delete(key);
        if (proposal.index <= index) this.resolve(node, proposal, 'unknown', `snapshot at ${index} replaced the log`);
        else this.resolve(node, proposal, 'failed', `snapshot at ${index} replaced a log that disagreed with it`);
      }
    }
    if (write.truncateFrom !== undefined) {
      shadow.truncateFrom(write.truncateFrom);
      for (const [key, proposal] of [...node.proposals]) {
        if (proposal.partition !== p || proposal.index < write.truncateFrom) continue;
        node.proposals.delete(key);
        this.resolve(node, proposal, 'failed', `truncated from ${write.truncateFrom}`);
      }
    }
    for (const entry of write.entries) this.checker.onLogEntry(node, p, entry, shadow.append(contentOf(entry, (id) => this.nodeCode(id))));
  }

  private onEngineEvent(node: LogSimNode, event: ReplicaEvent): void {
    switch (event.type) {
      case 'RoleChanged':
        if (event.to === 'leader') {
          this.stats.elections++;
          this.checker.onLeaderElected(node, event.partition, event.term);
          this.log(`${node.id} leads p${event.partition} term ${event.term}`);
        } else if (event.from === 'leader') {
          this.log(`${node.id} leaves p${event.partition} term ${event.term} (${event.reason})`);
        }
        break;
      case 'TransferStarted':
        this.stats.transfers++;
        this.log(`${node.id} transfers p${event.partition} term ${event.term} to ${event.to} (${event.reason})`);
        break;
      case 'Truncated':
        this.stats.truncations++;
        this.log(`${node.id} truncates p${event.partition} from ${event.from}`);
        break;
      case 'Promoted':
        this.stats.promotions++;
        this.log(`${node.id} promoted to voter of p${event.partition} in term ${event.term}`);
        break;
      case 'ConfigurationChanged':
        this.log(`${node.id} p${event.partition}: configuration of ${event.index} in force (voters ${event.config.voters.join(',')}${event.config.learners.length > 0 ? `, learners ${event.config.learners.join(',')}` : ''})`);
        break;
      case 'Removed': {
        this.log(`${node.id} applied its removal from p${event.partition} at ${event.index}`);
        const incarnation = node.incarnation;
        this.at(this.now, () => node.up && node.incarnation === incarnation && this.forget(node.id, event.partition, true));
        break;
      }
      case 'ServingChanged':
      case 'LeaderChanged':
        break;
    }
  }

  /** A message that may leave now: checked against the disk, then sent. */
  private release(node: LogSimNode, out: ReplicaOutbound<WritePayload>): void {
    this.checker.onSend(node, out.to, out.message);
    this.send(node, this.node(out.to), out.message);
  }

  private send(from: LogSimNode, to: LogSimNode, message: ReplicaMessage<WritePayload>): void {
    this.stats.messagesSent++;
    if (this.isBlocked(from.id, to.id) || this.rng.chance(this.network.lossRate)) return;
    if (this.wireCheck) message = roundTrip(message);
    const copies = this.rng.chance(this.network.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const { delayMinMs, delayMaxMs, slowRate, slowDelayMaxMs } = this.network;
      const delay = this.rng.chance(slowRate) ? this.rng.real(delayMaxMs, Math.max(delayMaxMs, slowDelayMaxMs)) : this.rng.real(delayMinMs, delayMaxMs);
      this.queue.push(this.now + delay, { kind: 'deliver', from, to, message });
    }
  }

  /**
   * The leader's driver streams its applied state as it is now (the stream's start position);
   * the follower's driver takes it unless its own state is already as far, and the leader reports
   * `snapshotSent` (or `snapshotFailed` if the follower was unreachable or down).
   */
  private startSnapshot(leader: LogSimNode, request: SnapshotRequest): void {
    const copy = copyState(leader.disk.state(request.partition));
    this.log(`${leader.id} streams p${request.partition} to ${request.to} from ${copy.index}/t${copy.term}`);
    this.queue.push(this.now + this.rng.real(5, 80), { kind: 'snapshot', leader, incarnation: leader.incarnation, request, copy });
  }

  private finishSnapshot(leader: LogSimNode, incarnation: number, request: SnapshotRequest, copy: AppliedState): void {
    if (!leader.up || leader.incarnation !== incarnation) return;
    const { partition, to } = request;
    const follower = this.node(to);
    const reachable = follower.up && follower.partitions.includes(partition) && !this.isBlocked(leader.id, to) && !this.isBlocked(to, leader.id) && !this.rng.chance(this.network.lossRate);
    if (!reachable) {
      this.log(`${leader.id} snapshot of p${partition} to ${to} failed`);
      this.drive(leader, (e, now) => e.snapshotFailed(partition, to, now));
      return;
    }
    const state = follower.disk.state(partition);
    if (state.index < copy.index) {
      this.checker.onStateInstalled(follower, partition, copy);
      follower.disk.states.set(partition, copyState(copy));
      this.stats.snapshots++;
      for (const [key, proposal] of [...follower.proposals]) {
        if (proposal.partition !== partition || proposal.index > copy.index) continue;
        follower.proposals.delete(key);
        this.resolve(follower, proposal, 'unknown', `a snapshot at ${copy.index} jumped over it`);
      }
    }
    this.log(`${to} has p${partition}'s snapshot at ${copy.index} (its state: ${follower.disk.state(partition).index})`);
    this.drive(leader, (e, now) => e.snapshotSent(partition, to, request.term, copy.index, copy.term, now));
  }

  private handle(event: SimEvent): void {
    switch (event.kind) {
      case 'call':
        return event.fn();
      case 'tick': {
        const node = event.node;
        if (!node.up || node.incarnation !== event.incarnation) return;
        this.drive(node, (e, now) => e.tick(now));
        this.scheduleTick(node);
        return;
      }
      case 'deliver': {
        const { from, to, message } = event;
        if (!to.up || this.isBlocked(from.id, to.id)) return;
        this.drive(to, (e, now) => e.receive(from.id, message, now));
        return;
      }
      case 'disk':
        return this.onDisk(event.node, event.incarnation);
      case 'snapshot':
        return this.finishSnapshot(event.leader, event.incarnation, event.request, event.copy);
      case 'hint': {
        const node = event.node;
        if (!node.up || node.incarnation !== event.incarnation) return;
        const key = `${node.id}>${event.about}`;
        if ((this.lastHintSeq.get(key) ?? 0) > event.seq) return;
        this.lastHintSeq.set(key, event.seq);
        this.drive(node, (e, now) => (event.up ? e.nodeUp(event.about, now) : e.nodeDown(event.about, now)));
        return;
      }
      case 'client': {
        if (event.generation !== this.clientGeneration) return;
        this.clientOp(event.partition);
        const interval = this.clientIntervalMs;
        this.queue.push(this.now + this.rng.real(0.5 * interval, 1.5 * interval), event);
        return;
      }
    }
  }
}

/** What the gRPC transport will do to a message: JSON bytes, then the decoder's checks. */
function roundTrip(message: ReplicaMessage<WritePayload>): ReplicaMessage<WritePayload> {
  const parsed = JSON.parse(JSON.stringify(message));
  switch (message.type) {
    case 'Append':
    case 'AppendResponse':
    case 'InstallSnapshot':
      return checkLogMessage<WritePayload>(parsed);
    default:
      return decodeMessage(parsed);
  }
}
