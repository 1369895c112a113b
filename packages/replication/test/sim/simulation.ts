/**
 * Deterministic simulation of a cluster of storage nodes running `ElectionNode`, in one process,
 * from one seed: a simulated real clock, per-node clocks with offset and rate drift, a network with
 * delay, loss, duplication, reordering (independent delays), very late deliveries and partitions
 * (also one-way), crash-restart (a crashed node keeps only its disk: persisted terms and votes, and
 * its synced data), membership hints, a toy data path (writes carrying terms, acks, catch-up) and
 * the driver's contract (persist before send). Invariants are checked after every step.
 */
import {
  ElectionNode,
  decodeMessage,
  resolveElectionConfig,
  type ElectionConfig,
  type ElectionEvent,
  type Message,
  type NodeId,
  type PartitionId,
} from '../../src';
import { EventQueue } from './event-queue';
import { Invariants, InvariantViolation } from './invariants';
import { Prng } from './prng';
import { SimNode } from './sim-node';

export interface SimOptions {
  seed: number;
  nodeCount: number;
  partitionCount: number;
  /** Real time between two ticks of a node, jittered ±50%. */
  tickIntervalMs?: number;
  /** Each node's clock runs at a rate in [1 - drift, 1 + drift]. */
  clockRateDriftMax?: number;
  election?: Partial<ElectionConfig>;
  /** Chance per tick that a serving leader issues a write in a partition. */
  writeChancePerTick?: number;
  /** Round-trip every message through JSON and `decodeMessage`, as the gRPC transport will. */
  wireCheck?: boolean;
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

export const CALM_NETWORK: NetworkConditions = {
  lossRate: 0,
  duplicateRate: 0,
  delayMinMs: 1,
  delayMaxMs: 5,
  slowRate: 0,
  slowDelayMaxMs: 0,
};

type Payload =
  | { kind: 'election'; message: Message }
  | { kind: 'write'; partition: PartitionId; term: number; id: number }
  | { kind: 'write-ack'; partition: PartitionId; id: number };

type SimEvent =
  | { kind: 'tick'; node: SimNode; incarnation: number }
  | { kind: 'deliver'; from: SimNode; to: SimNode; payload: Payload }
  | { kind: 'catch-up'; node: SimNode; incarnation: number; partition: PartitionId; term: number }
  | { kind: 'hint'; node: SimNode; incarnation: number; about: NodeId; up: boolean; seq: number }
  | { kind: 'call'; fn: () => void };

export interface SimStats {
  steps: number;
  messagesSent: number;
  elections: number;
  transfers: number;
  writesCommitted: number;
  crashes: number;
}

const TRACE_LINES_MAX = 400;

export class Simulation {
  now = 0;
  readonly rng: Prng;
  readonly nodes: SimNode[] = [];
  readonly replicaSets = new Map<PartitionId, NodeId[]>();
  readonly electionConfig: Readonly<ElectionConfig>;
  readonly checker: Invariants;
  readonly stats: SimStats = { steps: 0, messagesSent: 0, elections: 0, transfers: 0, writesCommitted: 0, crashes: 0 };
  network: NetworkConditions = { ...CALM_NETWORK };
  /** Blocked directed links, as "from>to". */
  private readonly blocked = new Set<string>();
  private readonly queue = new EventQueue<SimEvent>();
  private readonly byId = new Map<NodeId, SimNode>();
  private readonly trace: string[] = [];
  private readonly tickIntervalMs: number;
  private readonly writeChancePerTick: number;
  private readonly wireCheck: boolean;
  private writeSeq = 0;
  /** Every event a node emitted, for tests that look at what happened. */
  readonly events: { atMs: number; node: NodeId; event: ElectionEvent }[] = [];
  recordEvents = false;

  constructor(options: SimOptions) {
    this.rng = new Prng(options.seed);
    this.electionConfig = resolveElectionConfig(options.election ?? {});
    this.tickIntervalMs = options.tickIntervalMs ?? 20;
    this.writeChancePerTick = options.writeChancePerTick ?? 0;
    this.wireCheck = options.wireCheck ?? false;
    const drift = options.clockRateDriftMax ?? 0;
    for (let i = 0; i < options.nodeCount; i++) {
      const node = new SimNode(`n${i}`, this.rng.real(0, 1e6), 1 + this.rng.real(-drift, drift), this.rng.fork());
      this.nodes.push(node);
      this.byId.set(node.id, node);
    }
    // Placement: preferred leaders spread round-robin (as the ring spreads them), the two other
    // replicas at random.
    for (let p = 0; p < options.partitionCount; p++) {
      const first = this.nodes[p % this.nodes.length];
      const others = this.rng.shuffle(this.nodes.filter((n) => n !== first)).slice(0, 2);
      const replicas = [first, ...others].map((n) => n.id);
      this.replicaSets.set(p, replicas);
      for (const id of replicas) this.byId.get(id)!.partitions.push(p);
    }
    this.checker = new Invariants(this);
    for (const node of this.nodes) this.start(node);
  }

  // -----------------------------------------------------------------------------------------------
  // Clocks

  localNow(node: SimNode): number {
    return node.clockOffsetMs + this.now * node.clockRate;
  }

  realOf(node: SimNode, localMs: number): number {
    return (localMs - node.clockOffsetMs) / node.clockRate;
  }

  node(id: NodeId): SimNode {
    const node = this.byId.get(id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
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

  /** Schedules `fn` at real time `atMs`. */
  at(atMs: number, fn: () => void): void {
    this.queue.push(atMs, { kind: 'call', fn });
  }

  finish(): void {
    this.checker.finish();
  }

  // -----------------------------------------------------------------------------------------------
  // Faults and operations

  crash(id: NodeId): void {
    const node = this.node(id);
    if (!node.up) return;
    this.log(`crash ${id}`);
    this.checker.onCrash(node);
    node.up = false;
    node.engine = undefined;
    node.incarnation++;
    node.pendingWrites.clear();
    this.stats.crashes++;
    for (const other of this.nodes) if (other !== node && other.up) this.hint(other, id, false, this.rng.real(300, 1500));
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

  /** Cuts every link between different groups (both directions); nodes in no group are cut off. */
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

  setDraining(id: NodeId, draining: boolean): void {
    const node = this.node(id);
    node.draining = draining;
    this.log(`${id} draining=${draining}`);
    if (node.up) this.drive(node, (e, now) => e.setDraining(draining, now));
  }

  /** Admin transfer of a partition, at the node that leads it in the highest term. */
  transfer(partition: PartitionId, target?: NodeId): boolean {
    let leader: SimNode | undefined;
    for (const id of this.replicaSets.get(partition)!) {
      const node = this.node(id);
      if (node.engine?.roleOf(partition) !== 'leader') continue;
      if (!leader || node.engine.termOf(partition)! > leader.engine!.termOf(partition)!) leader = node;
    }
    if (!leader) return false;
    const result = this.drive(leader, (e, now) => e.transferLeadership(partition, now, target));
    this.log(`admin transfer p${partition} at ${leader.id}: ${JSON.stringify(result)}`);
    return result.ok;
  }

  /** A membership hint to `node` about `about`, delivered after `delayMs` (if `node` is still the same incarnation). */
  hint(node: SimNode, about: NodeId, up: boolean, delayMs: number): void {
    // Like SWIM's incarnation numbers: a hint older than one already delivered is dropped.
    const seq = ++this.hintSeq;
    this.queue.push(this.now + delayMs, { kind: 'hint', node, incarnation: node.incarnation, about, up, seq });
  }

  private hintSeq = 0;
  private readonly lastHintSeq = new Map<string, number>();

  // -----------------------------------------------------------------------------------------------
  // Queries for checks

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

  allServedByPreferred(): boolean {
    for (const [p, replicas] of this.replicaSets) {
      const serving = this.servingLeaders(p);
      if (serving.length !== 1 || serving[0] !== replicas[0]) return false;
    }
    return true;
  }

  log(line: string): void {
    this.trace.push(`${this.now.toFixed(1).padStart(9)} ${line}`);
    if (this.trace.length > TRACE_LINES_MAX) this.trace.shift();
  }

  /** One line per partition: replicas (preferred first) with each one's role, term and serving state. */
  describe(): string {
    const lines: string[] = [];
    for (const [p, replicas] of this.replicaSets) {
      const parts = replicas.map((id) => {
        const node = this.node(id);
        if (!node.engine) return `${id}:down`;
        const s = node.engine.status(p)!;
        const serving = node.engine.isServingLeader(p, this.localNow(node)) ? '*' : '';
        return `${id}:${s.role}/t${s.term}/l=${s.leader ?? '-'}${serving}${node.draining ? '/draining' : ''}`;
      });
      lines.push(`p${p}: ${parts.join(' ')}`);
    }
    return lines.join('\n');
  }

  traceTail(lines = 60): string {
    return this.trace.slice(-lines).join('\n');
  }

  // -----------------------------------------------------------------------------------------------
  // The driver

  private start(node: SimNode): void {
    const partitions = new Map<PartitionId, NodeId[]>();
    for (const p of node.partitions) partitions.set(p, this.replicaSets.get(p)!);
    node.engine = new ElectionNode({
      selfId: node.id,
      partitions,
      persisted: new Map(node.disk),
      config: this.electionConfig,
      random: () => node.random.next(),
      nowMs: this.localNow(node),
    });
    if (node.draining) this.drive(node, (e, now) => e.setDraining(true, now));
    this.scheduleTick(node);
  }

  private scheduleTick(node: SimNode): void {
    const delay = this.tickIntervalMs * this.rng.real(0.5, 1.5);
    this.queue.push(this.now + delay, { kind: 'tick', node, incarnation: node.incarnation });
  }

  /**
   * Runs one input on a node, then does what a real driver does with the Ready: persist (synced),
   * then send, then act on events. Checks the invariants that concern this node.
   */
  private drive<T>(node: SimNode, input: (engine: ElectionNode, nowMs: number) => T): T {
    const engine = node.engine!;
    const result = input(engine, this.localNow(node));
    if (engine.hasReady()) {
      const ready = engine.ready();
      for (const record of ready.persist) {
        this.checker.onPersist(node, record);
        node.disk.set(record.partition, { term: record.term, votedFor: record.votedFor });
      }
      const heartbeatsTo = new Set<NodeId>();
      for (const { to, message } of ready.messages) {
        if (message.type === 'Heartbeat') {
          if (heartbeatsTo.has(to)) throw new InvariantViolation(`${node.id}: two heartbeats to ${to} in one step`);
          heartbeatsTo.add(to);
        }
        this.send(node, this.node(to), { kind: 'election', message });
      }
      for (const event of ready.events) this.onEngineEvent(node, event);
      for (const record of ready.persist) this.checker.checkMajorityTerm(record.partition);
    }
    this.checker.afterDrive(node);
    return result;
  }

  private onEngineEvent(node: SimNode, event: ElectionEvent): void {
    if (this.recordEvents) this.events.push({ atMs: this.now, node: node.id, event });
    switch (event.type) {
      case 'RoleChanged':
        if (event.to === 'leader') {
          this.stats.elections++;
          this.checker.onLeaderElected(node, event.partition, event.term);
          this.log(`${node.id} leads p${event.partition} term ${event.term}`);
          this.queue.push(this.now + this.rng.real(2, 60), {
            kind: 'catch-up',
            node,
            incarnation: node.incarnation,
            partition: event.partition,
            term: event.term,
          });
        } else if (event.from === 'leader') {
          this.log(`${node.id} leaves p${event.partition} term ${event.term} (${event.reason})`);
        }
        break;
      case 'TransferStarted':
        this.stats.transfers++;
        this.log(`${node.id} transfers p${event.partition} term ${event.term} to ${event.to} (${event.reason})`);
        break;
      case 'ServingChanged':
      case 'LeaderChanged':
        break;
    }
  }

  private send(from: SimNode, to: SimNode, payload: Payload): void {
    this.stats.messagesSent++;
    if (this.isBlocked(from.id, to.id) || this.rng.chance(this.network.lossRate)) return;
    if (this.wireCheck && payload.kind === 'election') {
      payload = { kind: 'election', message: decodeMessage(JSON.parse(JSON.stringify(payload.message))) };
    }
    const copies = this.rng.chance(this.network.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const { delayMinMs, delayMaxMs, slowRate, slowDelayMaxMs } = this.network;
      const delay = this.rng.chance(slowRate) ? this.rng.real(delayMaxMs, Math.max(delayMaxMs, slowDelayMaxMs)) : this.rng.real(delayMinMs, delayMaxMs);
      this.queue.push(this.now + delay, { kind: 'deliver', from, to, payload });
    }
  }

  private handle(event: SimEvent): void {
    switch (event.kind) {
      case 'call':
        return event.fn();
      case 'tick': {
        const node = event.node;
        if (!node.up || node.incarnation !== event.incarnation) return;
        this.drive(node, (e, now) => e.tick(now));
        if (this.writeChancePerTick > 0) this.issueWrites(node);
        this.scheduleTick(node);
        return;
      }
      case 'hint': {
        const node = event.node;
        if (!node.up || node.incarnation !== event.incarnation) return;
        const key = `${node.id}>${event.about}`;
        if ((this.lastHintSeq.get(key) ?? 0) > event.seq) return;
        this.lastHintSeq.set(key, event.seq);
        this.drive(node, (e, now) => (event.up ? e.nodeUp(event.about, now) : e.nodeDown(event.about, now)));
        return;
      }
      case 'catch-up':
        return this.catchUp(event.node, event.incarnation, event.partition, event.term);
      case 'deliver':
        return this.deliver(event.from, event.to, event.payload);
    }
  }

  private deliver(from: SimNode, to: SimNode, payload: Payload): void {
    if (!to.up || this.isBlocked(from.id, to.id)) return;
    switch (payload.kind) {
      case 'election':
        this.drive(to, (e, now) => e.receive(from.id, payload.message, now));
        return;
      case 'write': {
        // A follower takes a replicated write only if its term is not stale (the term fence).
        const accepted = this.drive(to, (e, now) => e.acceptsReplication(payload.partition, payload.term, from.id, now));
        if (!accepted) return;
        to.storeOf(payload.partition).add(payload.id);
        this.send(to, from, { kind: 'write-ack', partition: payload.partition, id: payload.id });
        return;
      }
      case 'write-ack': {
        // 2 of 3 (the leader and this follower) hold it: acknowledged, if the client is still there.
        const partition = to.pendingWrites.get(payload.id);
        if (partition === undefined) return;
        to.pendingWrites.delete(payload.id);
        this.stats.writesCommitted++;
        const term = this.writeTerms.get(payload.id)!;
        this.checker.onCommit(partition, payload.id, term);
        return;
      }
    }
  }

  private readonly writeTerms = new Map<number, number>();

  private issueWrites(node: SimNode): void {
    const engine = node.engine!;
    const local = this.localNow(node);
    for (const p of node.partitions) {
      if (!engine.isServingLeader(p, local) || !this.rng.chance(this.writeChancePerTick)) continue;
      const id = ++this.writeSeq;
      const term = engine.termOf(p)!;
      this.writeTerms.set(id, term);
      node.storeOf(p).add(id);
      node.pendingWrites.set(id, p);
      for (const peer of this.replicaSets.get(p)!) {
        if (peer !== node.id) this.send(node, this.node(peer), { kind: 'write', partition: p, term, id });
      }
    }
  }

  /**
   * The new leader syncs from one other replica that is reachable both ways (itself plus that one
   * make a majority). That replica first adopts the new term through the term fence, so it takes
   * no more writes from the old leader. Modeled as one atomic exchange; retried while unreachable.
   */
  private catchUp(node: SimNode, incarnation: number, partition: PartitionId, term: number): void {
    if (!node.up || node.incarnation !== incarnation) return;
    const engine = node.engine!;
    if (engine.roleOf(partition) !== 'leader' || engine.termOf(partition) !== term) return;
    for (const id of this.replicaSets.get(partition)!) {
      const peer = this.node(id);
      if (peer === node || !peer.up || this.isBlocked(node.id, id) || this.isBlocked(id, node.id)) continue;
      if (!this.drive(peer, (e, now) => e.acceptsReplication(partition, term, node.id, now))) continue;
      if (engine.roleOf(partition) !== 'leader' || engine.termOf(partition) !== term) return;
      const store = node.storeOf(partition);
      for (const write of peer.storeOf(partition)) store.add(write);
      this.checker.onCatchUp(node, partition, term);
      this.drive(node, (e, now) => e.catchUpComplete(partition, term, now));
      return;
    }
    this.queue.push(this.now + 100, { kind: 'catch-up', node, incarnation, partition, term });
  }
}
