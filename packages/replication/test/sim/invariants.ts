/**
 * Safety properties, checked after every simulated step. Each failure throws `InvariantViolation`
 * with what broke; the test adds the seed and the tail of the trace.
 */
import type { ElectionConfig, NodeId, PartitionId, PersistRecord } from '../../src';
import type { SimNode } from './sim-node';

/**
 * What the invariants read of the simulation that drives them (simulation.ts implements it). An
 * interface of their own, so that the checks and the simulation do not import each other.
 */
export interface ObservedSimulation {
  readonly now: number;
  readonly replicaSets: ReadonlyMap<PartitionId, readonly NodeId[]>;
  readonly electionConfig: Readonly<ElectionConfig>;
  localNow(node: SimNode): number;
  realOf(node: SimNode, localMs: number): number;
  node(id: NodeId): SimNode;
  servingLeaders(partition: PartitionId): NodeId[];
}

export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

function fail(message: string): never {
  throw new InvariantViolation(message);
}

/** A stretch of real time in which one node served a partition (isServingLeader was true). */
interface ServedInterval {
  node: string;
  term: number;
  fromMs: number;
  toMs: number;
}

/** The serving window a node currently has for a partition, in its local clock, and since when. */
interface OpenWindow {
  node: SimNode;
  partition: PartitionId;
  term: number;
  fromLocalMs: number;
  untilLocalMs: number;
  sinceRealMs: number;
}

/**
 * Served intervals older than this are forgotten. A node's serving window changes with every
 * lease extension and ends within a lease of the last one, so an interval being closed never
 * starts earlier than this before now (asserted, so that the check cannot silently weaken).
 */
const SERVED_HISTORY_MS = 10_000;

export class Invariants {
  /** partition/term → the node that became leader in it. */
  private readonly leaders = new Map<string, string>();
  /** Per node, per partition: the window it currently holds. */
  private readonly open = new Map<SimNode, Map<PartitionId, OpenWindow>>();
  private readonly served = new Map<PartitionId, ServedInterval[]>();
  /** Acknowledged writes per partition: id → term. */
  private readonly committed = new Map<PartitionId, Map<number, number>>();
  servedIntervals = 0;
  majorityChecks = 0;

  constructor(private readonly sim: ObservedSimulation) {}

  /** Election safety: at most one leader per partition per term, over the whole run. */
  onLeaderElected(node: SimNode, partition: PartitionId, term: number): void {
    const key = `${partition}/${term}`;
    const previous = this.leaders.get(key);
    if (previous !== undefined && previous !== node.id) fail(`partition ${partition} term ${term}: two leaders, ${previous} and ${node.id}`);
    this.leaders.set(key, node.id);
  }

  /** Terms on disk never go back; a vote on disk is never changed within its term. */
  onPersist(node: SimNode, record: PersistRecord): void {
    const old = node.disk.get(record.partition);
    if (!old) return;
    if (record.term < old.term) fail(`${node.id} p${record.partition}: persisted term went back ${old.term} → ${record.term}`);
    if (record.term === old.term && old.votedFor != null && record.votedFor !== old.votedFor) {
      fail(`${node.id} p${record.partition}: changed its vote in term ${old.term} from ${old.votedFor} to ${record.votedFor}`);
    }
  }

  /**
   * After each input a node processed (and its Ready was persisted and sent): what it will act on
   * is on disk, its serving window is tracked, and the query agrees with the window.
   */
  afterDrive(node: SimNode): void {
    const engine = node.engine!;
    const local = this.sim.localNow(node);
    for (const partition of node.partitions) {
      const state = engine.persistentState(partition)!;
      const disk = node.disk.get(partition);
      if ((disk?.term ?? 0) !== state.term || (disk?.votedFor ?? null) !== state.votedFor) {
        fail(`${node.id} p${partition}: acts on term ${state.term}/${state.votedFor} but disk has ${disk?.term}/${disk?.votedFor}`);
      }
      const window = engine.servingWindow(partition);
      const serving = engine.isServingLeader(partition, local);
      if (serving !== (window !== undefined && window.fromMs <= local && local < window.untilMs)) {
        fail(`${node.id} p${partition}: isServingLeader disagrees with servingWindow`);
      }
      this.updateWindow(node, partition, window);
    }
  }

  onCrash(node: SimNode): void {
    for (const partition of node.partitions) this.updateWindow(node, partition, undefined);
  }

  /** Closes every open window (end of run), so that its last stretch is checked too. */
  finish(): void {
    for (const windows of this.open.values()) for (const window of [...windows.values()]) this.updateWindow(window.node, window.partition, undefined);
  }

  private updateWindow(node: SimNode, partition: PartitionId, window: { term: number; fromMs: number; untilMs: number } | undefined): void {
    let windows = this.open.get(node);
    if (!windows) this.open.set(node, (windows = new Map()));
    const current = windows.get(partition);
    if (!current && !window) return;
    if (
      current &&
      window &&
      current.term === window.term &&
      current.fromLocalMs === window.fromMs &&
      current.untilLocalMs === window.untilMs
    ) {
      return;
    }
    if (current) this.close(current);
    if (window) {
      windows.set(partition, { node, partition, term: window.term, fromLocalMs: window.fromMs, untilLocalMs: window.untilMs, sinceRealMs: this.sim.now });
    } else {
      windows.delete(partition);
    }
  }

  /**
   * Lease safety, exactly: the window a node held from `sinceRealMs` until now was in force over
   * that stretch (state only changes when a node processes an input), so the node served during
   * its intersection with [from, until) converted to real time. No two nodes' stretches overlap.
   */
  private close(window: OpenWindow): void {
    const now = this.sim.now;
    const fromMs = Math.max(window.sinceRealMs, this.sim.realOf(window.node, window.fromLocalMs));
    const toMs = Math.min(now, this.sim.realOf(window.node, window.untilLocalMs));
    if (!(fromMs < toMs)) return;
    if (fromMs < now - SERVED_HISTORY_MS / 2) fail(`checker: served interval from ${fromMs} is older than its history (${now})`);
    let list = this.served.get(window.partition);
    if (!list) this.served.set(window.partition, (list = []));
    for (const other of list) {
      if (other.node !== window.node.id && other.fromMs < toMs && fromMs < other.toMs) {
        fail(
          `p${window.partition}: two serving leaders at once: ${other.node} (term ${other.term}) during [${other.fromMs.toFixed(1)}, ${other.toMs.toFixed(1)}) ` +
            `and ${window.node.id} (term ${window.term}) during [${fromMs.toFixed(1)}, ${toMs.toFixed(1)})`,
        );
      }
    }
    list.push({ node: window.node.id, term: window.term, fromMs, toMs });
    this.servedIntervals++;
    while (list.length > 0 && list[0].toMs < now - SERVED_HISTORY_MS) list.shift();
  }

  /**
   * A serving leader's term is the highest term a majority of the replicas has persisted. Leader
   * stickiness is what makes this hold; a replica that restarts forgets whom it acked, so within a
   * lease of a restart the property may lapse (the new leader's lease wait covers that case, and
   * the overlap check above still applies).
   */
  checkMajorityTerm(partition: PartitionId): void {
    const sim = this.sim;
    const replicas = sim.replicaSets.get(partition)!;
    const graceMs = sim.electionConfig.leaseDurationMs + sim.electionConfig.clockDriftMarginMs;
    const terms: number[] = [];
    for (const id of replicas) {
      const node = sim.node(id);
      if (sim.now - node.restartedAtMs < graceMs) return;
      terms.push(node.disk.get(partition)?.term ?? 0);
    }
    terms.sort((a, b) => b - a);
    const majorityTerm = terms[1];
    this.majorityChecks++;
    for (const id of replicas) {
      const node = sim.node(id);
      if (!node.engine || !node.engine.isServingLeader(partition, sim.localNow(node))) continue;
      const term = node.engine.termOf(partition)!;
      if (term < majorityTerm) fail(`p${partition}: ${id} serves in term ${term} while a majority has persisted term ${majorityTerm}`);
    }
  }

  /** At this instant at most one node serves each partition (a cross-check of the interval check). */
  checkInstant(): void {
    const sim = this.sim;
    for (const partition of sim.replicaSets.keys()) {
      const serving = sim.servingLeaders(partition);
      if (serving.length > 1) fail(`p${partition}: two serving leaders at once: ${serving.join(', ')} at ${sim.now.toFixed(1)}`);
      this.checkMajorityTerm(partition);
    }
  }

  /**
   * No acknowledged write lost: a leader that finished catch-up holds every write acknowledged so
   * far, and a write acknowledged later (by a leader of an older term) must already be held by
   * every caught-up leader of a newer term. This exercises `acceptsReplication`'s term fence.
   */
  onCommit(partition: PartitionId, id: number, term: number): void {
    let writes = this.committed.get(partition);
    if (!writes) this.committed.set(partition, (writes = new Map()));
    writes.set(id, term);
    for (const replica of this.sim.replicaSets.get(partition)!) {
      const node = this.sim.node(replica);
      const status = node.engine?.status(partition);
      if (!status || status.role !== 'leader' || !status.caughtUp || status.term <= term) continue;
      if (!node.storeOf(partition).has(id)) fail(`p${partition}: write ${id} of term ${term} acknowledged, but caught-up leader ${replica} of term ${status.term} lacks it`);
    }
  }

  onCatchUp(node: SimNode, partition: PartitionId, term: number): void {
    const store = node.storeOf(partition);
    for (const [id, writeTerm] of this.committed.get(partition) ?? []) {
      if (!store.has(id)) fail(`p${partition}: ${node.id} caught up for term ${term} without acknowledged write ${id} (term ${writeTerm})`);
    }
  }
}
