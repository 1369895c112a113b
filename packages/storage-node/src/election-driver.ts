import { performance } from 'node:perf_hooks';
import { ElectionNode, decodeMessage, type ElectionEvent, type Message } from '@triad/replication';
import type { ClusterView, StorageNodeInfo } from '@triad/ring';
import type { ElectionPacket } from '@triad/rpc';
import type { Logger } from '@triad/observability';
import type { AntiEntropy } from './anti-entropy';
import type { ElectionStore } from './election-store';
import type { Leadership } from './leadership';
import type { PeerClients } from './peer-clients';
import type { StorageMetrics } from './storage-metrics';

/** The election state machine's clock granularity: timers fire within this of their deadline. */
const ELECTION_TICK_MS = 100;
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
/** A leader handing a partition over holds the hand-over message this long at most for its writes in flight. */
const TRANSFER_WRITES_WAIT_MS_MAX = 1_000;
/** Pause before retrying a new leader's catch-up when no peer answered. */
const CATCH_UP_RETRY_MS = 200;

export interface ElectionDriverComponents {
  nodeId: string;
  /** The layout adopted last: replica sets change with joins and decommissions (see `reconfigure`). */
  ring: ClusterView;
  store: ElectionStore;
  peers: PeerClients;
  antiEntropy: AntiEntropy;
  isUp: (node: StorageNodeInfo) => boolean;
  metrics: StorageMetrics;
  log: Logger;
}

/** Set once the storage service exists: resolves when the partition's writes in flight have settled. */
export type WritesSettled = (partition: number) => Promise<void>;

const EMPTY = Buffer.alloc(0);

/**
 * Runs the pure ElectionNode for this process: ticks it, makes its votes and terms durable before
 * sending its messages (one Election message per peer and round), and catches a new leader up
 * from a peer replica (Merkle repair) before it may serve. Implements Leadership for the service.
 */
export class ElectionDriver implements Leadership {
  private node?: ElectionNode;
  private timer?: NodeJS.Timeout;
  /** The pump running now, if any: persist, send, react, until nothing is left. */
  private pumping?: Promise<void>;
  /** The storage service's in-flight writes, wired after construction (the service needs this driver). */
  writesSettled: WritesSettled = async () => undefined;
  /**
   * Partitions where a write of this leader failed to reach a majority: its local copy may hold
   * that write and the others not, so it serves nothing there until a repair with a peer has made
   * a majority agree again.
   */
  private readonly unconfirmed = new Set<number>();
  /**
   * Partitions a leader stopped serving for a moment while it switches them to a new replica set
   * (partition movement): writes and strong reads go elsewhere or retry, leadership stays.
   */
  private readonly paused = new Set<number>();
  /** When each partition lost its leader, to measure failover time. */
  private readonly leaderlessSince = new Map<number, number>();

  constructor(private readonly c: ElectionDriverComponents) {}

  private now(): number {
    return performance.now();
  }

  /** Every partition this node replicates in the current layout, with its replica set. */
  private replicaSets(): Map<number, string[]> {
    const partitions = new Map<number, string[]>();
    for (const p of this.c.ring.partitionsOf(this.c.nodeId)) partitions.set(p, this.c.ring.replicaSet(p).map((n) => n.id));
    return partitions;
  }

  async start(): Promise<void> {
    this.node = new ElectionNode({
      selfId: this.c.nodeId,
      partitions: this.replicaSets(),
      persisted: await this.c.store.load(),
      config: ELECTION_CONFIG,
      random: Math.random,
      nowMs: this.now(),
    });
    this.timer = setInterval(() => {
      this.node!.tick(this.now());
      void this.pump();
    }, ELECTION_TICK_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Takes the replica sets of a newly adopted layout. `keepLeadership`: partitions this node just
   * switched itself, as their serving leader, after syncing the new set (it keeps leading them).
   */
  async reconfigure(keepLeadership: ReadonlySet<number>): Promise<void> {
    if (!this.node) return;
    const partitions = this.replicaSets();
    const gained = [...partitions.keys()].filter((p) => this.node!.roleOf(p) === undefined);
    // A partition this node held before keeps its persisted term: terms never go back.
    const persisted = gained.length > 0 ? await this.c.store.load() : undefined;
    this.node.reconfigure(this.replicaSets(), this.now(), { persisted, keepLeadership });
    for (const p of [...this.unconfirmed]) if (!partitions.has(p)) this.unconfirmed.delete(p);
    this.c.metrics.partitionsLed.set(this.countServing());
    void this.pump();
  }

  /** Stops serving the partition (leadership stays) until `resume`: a leader switching it to a new replica set. */
  pause(partition: number): void {
    this.paused.add(partition);
  }

  resume(partition: number): void {
    this.paused.delete(partition);
  }

  /** Whether this node is still the leader of the partition in `term` (serving or paused). */
  leads(partition: number, term: number): boolean {
    return this.node?.roleOf(partition) === 'leader' && this.node.termOf(partition) === term;
  }

  /** Hands leadership of the partition to the first of `candidates` that can take it; resolves with it. */
  transferLeadership(partition: number, candidates: readonly string[]): string | undefined {
    if (!this.node) return undefined;
    for (const target of candidates) {
      const result = this.node.transferLeadership(partition, this.now(), target);
      if (result.ok) {
        void this.pump();
        return result.target;
      }
      if (result.reason === 'not-leader') return undefined;
    }
    return undefined;
  }

  /** Hands every partition this node leads to another replica, and stops campaigning (graceful shutdown, drain). */
  setDraining(draining: boolean): void {
    this.node?.setDraining(draining, this.now());
    void this.pump();
  }

  nodeUp(id: string): void {
    this.node?.nodeUp(id, this.now());
  }

  nodeDown(id: string): void {
    this.node?.nodeDown(id, this.now());
  }

  /** Persists, then sends, then reacts to events, until the state machine has nothing more. */
  private pump(): Promise<void> {
    if (!this.pumping) {
      this.pumping = this.drainReady().finally(() => {
        this.pumping = undefined;
      });
    }
    return this.pumping;
  }

  async persisted(): Promise<void> {
    // A pump already running may have taken its Ready before the latest input: run until none is left.
    while (this.node?.hasReady() || this.pumping) await this.pump();
  }

  private async drainReady(): Promise<void> {
    if (!this.node) return;
    try {
      while (this.node.hasReady()) {
        const ready = this.node.ready();
        if (ready.persist.length > 0) await this.c.store.save(ready.persist);
        const byPeer = new Map<string, Message[]>();
        for (const { to, message } of ready.messages) {
          const list = byPeer.get(to) ?? [];
          list.push(message);
          byPeer.set(to, list);
        }
        for (const [to, messages] of byPeer) {
          // The old leader's writes still in flight would be refused by the new leader's term and
          // fail: hand the partition over only once they have settled (it already serves no new ones).
          const handOvers = messages.filter((m) => m.type === 'TimeoutNow');
          const rest = messages.filter((m) => m.type !== 'TimeoutNow');
          if (rest.length > 0) this.send(to, rest);
          for (const message of handOvers) void this.sendAfterWrites(to, message);
        }
        for (const event of ready.events) this.onEvent(event);
      }
    } catch (error) {
      // Votes that cannot be made durable must not be sent; a process that cannot write stops.
      this.c.log.error('election state could not be persisted; exiting', { error: String(error) });
      process.exit(1);
    }
  }

  private send(to: string, messages: Message[]): void {
    const peer = this.c.ring.node(to);
    if (!peer) return;
    const payload = Buffer.from(JSON.stringify(messages));
    this.c.peers
      .client(peer)
      .election({ from: this.c.nodeId, payload })
      .catch(() => undefined); // Lost messages are the protocol's business; it retries by itself.
  }

  private async sendAfterWrites(to: string, message: Message & { partition: number }): Promise<void> {
    const timeout = new Promise((resolve) => setTimeout(resolve, TRANSFER_WRITES_WAIT_MS_MAX));
    await Promise.race([this.writesSettled(message.partition), timeout]);
    this.send(to, [message]);
  }

  async onPacket(packet: ElectionPacket): Promise<ElectionPacket> {
    if (this.node && packet.payload.length > 0) {
      const now = this.now();
      for (const raw of JSON.parse(packet.payload.toString('utf8')) as unknown[]) {
        this.node.receive(packet.from, decodeMessage(raw), now);
      }
      void this.pump();
    }
    return { from: this.c.nodeId, payload: EMPTY };
  }

  private onEvent(event: ElectionEvent): void {
    switch (event.type) {
      case 'RoleChanged':
        if (event.to === 'pre-candidate' && !this.leaderlessSince.has(event.partition)) this.leaderlessSince.set(event.partition, this.now());
        if (event.to === 'leader') void this.catchUp(event.partition, event.term);
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
    }
  }

  private countServing(): number {
    const now = this.now();
    return this.c.ring.partitionsOf(this.c.nodeId).filter((p) => this.node!.isServingLeader(p, now)).length;
  }

  /**
   * A new leader first makes itself and one peer hold the same records: with itself that is a
   * majority, so it then has every write the previous leader acknowledged.
   */
  private async catchUp(partition: number, term: number): Promise<void> {
    const started = this.now();
    const stillLeader = () => this.node?.termOf(partition) === term && this.node.roleOf(partition) === 'leader';
    const peer = await this.syncWithAPeer(partition, stillLeader);
    if (!peer || !this.node) return;
    this.node.catchUpComplete(partition, term, this.now());
    this.c.metrics.catchUpSeconds.observe((this.now() - started) / 1000);
    void this.pump();
  }

  /**
   * Repairs the partition with one live peer replica (with this node, a majority), retrying peers
   * after a pause while `wanted` holds; resolves with the peer, or undefined once no longer wanted.
   */
  private async syncWithAPeer(partition: number, wanted: () => boolean): Promise<string | undefined> {
    while (wanted()) {
      for (const peer of this.c.ring.replicaSet(partition).filter((n) => n.id !== this.c.nodeId && this.c.isUp(n))) {
        try {
          await this.c.antiEntropy.repair(partition, peer);
          return peer.id;
        } catch (error) {
          this.c.log.debug('sync with a peer failed', { partition, peer: peer.id, error: String(error) });
        }
      }
      await new Promise((resolve) => setTimeout(resolve, CATCH_UP_RETRY_MS));
    }
    return undefined;
  }

  isServingLeader(partition: number): boolean {
    return !this.unconfirmed.has(partition) && !this.paused.has(partition) && (this.node?.isServingLeader(partition, this.now()) ?? false);
  }

  reconfirm(partition: number): void {
    if (this.unconfirmed.has(partition)) return;
    this.unconfirmed.add(partition);
    this.c.log.warn('partition paused after a write without a majority; re-syncing with a peer', { partition });
    void this.resync(partition);
  }

  private async resync(partition: number): Promise<void> {
    const peer = await this.syncWithAPeer(partition, () => this.unconfirmed.has(partition));
    if (!peer) return;
    this.unconfirmed.delete(partition);
    this.c.log.info('partition re-synced with a peer', { partition, peer });
  }

  leaderHint(partition: number): string | undefined {
    return this.node?.leaderOf(partition) ?? undefined;
  }

  termOf(partition: number): number {
    return this.node?.termOf(partition) ?? 0;
  }

  acceptsReplication(partition: number, term: number, from: string): boolean {
    if (!this.node) return true;
    // A partition moving to this node: its leader's new writes are taken while the rest streams in.
    // Any other partition this node does not replicate (it moved away) is refused.
    if (this.node.roleOf(partition) === undefined) return this.c.ring.receives(this.c.nodeId, partition);
    return this.node.acceptsReplication(partition, term, from, this.now());
  }
}
