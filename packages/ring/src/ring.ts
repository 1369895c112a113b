import HashRing from 'hashring';
import { layoutEpoch, type ClusterLayout, type PartitionMove, type StorageNodeInfo } from './cluster-layout';
import { REPLICATION_FACTOR, VNODES_PER_NODE } from './limits';
import { assertPartitionCount } from './partition-hash';

/**
 * What every component asks of placement. `Ring` answers for one layout; `ClusterView` answers for
 * whichever layout the process adopted last, so components holding it follow joins and decommissions.
 */
export interface Placement {
  readonly partitionCount: number;
  readonly systemPartition: number;
  /** The layout's version. */
  readonly epoch: number;
  /** The replicas of a partition, in preference order (the first is the preferred leader). */
  replicaSet(partition: number): readonly StorageNodeInfo[];
  /**
   * Nodes a partition is being moved to: they get the leader's new writes and the streamed records,
   * but count in no quorum and serve no reads until the move switches the partition to them.
   */
  incoming(partition: number): readonly StorageNodeInfo[];
  node(id: string): StorageNodeInfo | undefined;
  /** Every storage node the layout names (a leaving node included until its decommission completes). */
  readonly nodes: StorageNodeInfo[];
  /** Every partition (the system partition included) that has the node among its replicas. */
  partitionsOf(nodeId: string): number[];
}

/**
 * Placement: each partition's replica set is the first nodes met on the hash ring, walking from the
 * partition's position, that lie in distinct zones. Replica sets are computed once per layout; the
 * ring changes only by an explicit join or decommission, never because a node looks dead. While a
 * change is in progress, a partition whose move is not done yet keeps its old replica set (the
 * move's `from`), and the node it moves to is `incoming`.
 */
/**
 * Ring walks already computed, by node ids and partition count. Hashing every node's virtual nodes
 * is most of the cost of a `Ring`, and a process builds one per layout it sees (each node, router
 * and restart of the simulator's runs builds several of the same), while the set of nodes rarely
 * changes. Bounded: a long-lived process sees few node sets; an evicted one is computed again.
 */
const RING_WALKS_CACHED_MAX = 32;
const ringWalkCache = new Map<string, readonly (readonly string[])[]>();

/** Per partition (0..lastPartition), every node id in ring order from the partition's position. */
function ringWalks(nodeIds: readonly string[], lastPartition: number): readonly (readonly string[])[] {
  const key = `${lastPartition}:${nodeIds.join(',')}`;
  const cached = ringWalkCache.get(key);
  if (cached) return cached;
  const servers: Record<string, { vnodes: number }> = {};
  for (const id of nodeIds) servers[id] = { vnodes: VNODES_PER_NODE };
  const ring = new HashRing(servers, 'md5');
  const walks: string[][] = [];
  for (let p = 0; p <= lastPartition; p++) walks.push(ring.range(`partition-${p}`, nodeIds.length, true));
  if (ringWalkCache.size >= RING_WALKS_CACHED_MAX) ringWalkCache.delete(ringWalkCache.keys().next().value!);
  ringWalkCache.set(key, walks);
  return walks;
}

export class Ring implements Placement {
  readonly partitionCount: number;
  /** The partition that holds the catalog (table definitions), placed like any other. */
  readonly systemPartition: number;
  readonly epoch: number;
  private readonly replicaSets: StorageNodeInfo[][];
  private readonly incomingSets: StorageNodeInfo[][];
  private readonly pendingMoves = new Map<number, PartitionMove>();
  private readonly nodesById: Map<string, StorageNodeInfo>;

  constructor(readonly layout: ClusterLayout) {
    assertPartitionCount(layout.partitionCount);
    if (layout.storageNodes.length === 0) throw new Error('a cluster needs at least one storage node');
    this.partitionCount = layout.partitionCount;
    this.systemPartition = layout.partitionCount;
    this.epoch = layoutEpoch(layout);
    this.nodesById = new Map(layout.storageNodes.map((n) => [n.id, n]));
    const walks = ringWalks(layout.storageNodes.map((n) => n.id), this.systemPartition);
    this.replicaSets = [];
    this.incomingSets = [];
    for (let p = 0; p <= this.systemPartition; p++) {
      this.replicaSets.push(this.place(walks[p]!));
      this.incomingSets.push([]);
    }
    this.balancePreferredLeaders();
    const change = layout.change;
    if (change) {
      if (!this.nodesById.has(change.node.id)) this.nodesById.set(change.node.id, change.node);
      for (const move of change.moves) {
        if (move.done || this.pendingMoves.has(move.partition)) continue;
        this.pendingMoves.set(move.partition, move);
        this.replicaSets[move.partition] = move.from.map((id) => this.known(id));
        this.incomingSets[move.partition] = move.to.filter((id) => !move.from.includes(id)).map((id) => this.known(id));
      }
    }
  }

  private known(id: string): StorageNodeInfo {
    const node = this.nodesById.get(id);
    if (!node) throw new Error(`layout epoch ${this.epoch} moves a partition to or from unknown node ${id}`);
    return node;
  }

  /**
   * The first replica of a set is the partition's preferred leader. The ring alone leaves some
   * nodes first far more often than others, so each set is rotated to start with the member that
   * is preferred leader of the fewest partitions so far: leadership load then spreads evenly.
   */
  private balancePreferredLeaders(): void {
    const led = new Map<string, number>();
    for (const set of this.replicaSets) {
      let best = 0;
      for (let i = 1; i < set.length; i++) {
        if ((led.get(set[i].id) ?? 0) < (led.get(set[best].id) ?? 0)) best = i;
      }
      const rotated = [...set.slice(best), ...set.slice(0, best)];
      set.splice(0, set.length, ...rotated);
      led.set(set[0].id, (led.get(set[0].id) ?? 0) + 1);
    }
  }

  private place(walkIds: readonly string[]): StorageNodeInfo[] {
    const walk = walkIds.map((id) => this.nodesById.get(id)!);
    const chosen: StorageNodeInfo[] = [];
    const zones = new Set<string>();
    for (const node of walk) {
      if (chosen.length === REPLICATION_FACTOR) break;
      if (!zones.has(node.zone)) {
        zones.add(node.zone);
        chosen.push(node);
      }
    }
    // Fewer zones than replicas (a laptop with one zone): fill from the walk so data still has copies.
    for (const node of walk) {
      if (chosen.length === REPLICATION_FACTOR) break;
      if (!chosen.includes(node)) chosen.push(node);
    }
    return chosen;
  }

  /** The replicas of a partition, in preference order (the first is the preferred leader). */
  replicaSet(partition: number): readonly StorageNodeInfo[] {
    const set = this.replicaSets[partition];
    if (!set) throw new Error(`no partition ${partition}`);
    return set;
  }

  incoming(partition: number): readonly StorageNodeInfo[] {
    return this.incomingSets[partition] ?? [];
  }

  /** The move step of a partition that is in progress in this layout, if any. */
  pendingMove(partition: number): PartitionMove | undefined {
    return this.pendingMoves.get(partition);
  }

  /** Partitions with a move in progress, in order. */
  movingPartitions(): number[] {
    return [...this.pendingMoves.keys()].sort((a, b) => a - b);
  }

  node(id: string): StorageNodeInfo | undefined {
    return this.nodesById.get(id);
  }

  get nodes(): StorageNodeInfo[] {
    return [...this.nodesById.values()];
  }

  /** Every partition (the system partition included) that has the node among its replicas. */
  partitionsOf(nodeId: string): number[] {
    const result: number[] = [];
    this.replicaSets.forEach((set, p) => {
      if (set.some((n) => n.id === nodeId)) result.push(p);
    });
    return result;
  }

  /** Whether the node keeps data of the partition: a replica, or the node it is moving to. */
  receives(nodeId: string, partition: number): boolean {
    return this.replicaSet(partition).some((n) => n.id === nodeId) || this.incoming(partition).some((n) => n.id === nodeId);
  }
}
