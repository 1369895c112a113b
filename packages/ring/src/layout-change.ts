/**
 * Joins and decommissions as pure decisions: which partitions move from whom to whom, in which
 * order, and the layout of every step. The storage nodes and the CLI do the I/O; every function
 * here is deterministic, so that any process computing a step from the same layout gets the same
 * result (a retried step after a crash produces the layout the first attempt would have).
 */
import { layoutEpoch, type ClusterLayout, type LayoutChange, type PartitionMove, type StorageNodeInfo } from './cluster-layout';
import { REPLICATION_FACTOR } from './limits';
import { Ring } from './ring';

/** An operator's request the cluster cannot take as it is (typed: the CLI prints it, nothing crashes). */
export class LayoutChangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayoutChangeError';
  }
}

const withoutChange = (layout: ClusterLayout): ClusterLayout => ({
  partitionCount: layout.partitionCount,
  storageNodes: layout.storageNodes,
  epoch: layoutEpoch(layout),
});

/**
 * The steps that take every partition from its replica set in `before` to its set in `after`. A
 * partition whose set differs in k nodes gets k steps, each replacing one node (in `from` order by
 * the incoming nodes in `to` order), so that every step keeps two replicas in common: a majority of
 * the old set and of the new one. With zone-distinct placement a join or decommission changes one
 * node per partition. Partitions whose set only changes order move nothing.
 */
export function planMoves(before: Ring, after: Ring): PartitionMove[] {
  if (before.partitionCount !== after.partitionCount) throw new LayoutChangeError('the partition count cannot change');
  const moves: PartitionMove[] = [];
  for (let p = 0; p <= before.systemPartition; p++) {
    const from = before.replicaSet(p).map((n) => n.id);
    const to = after.replicaSet(p).map((n) => n.id);
    const leaving = from.filter((id) => !to.includes(id));
    const joining = to.filter((id) => !from.includes(id));
    if (leaving.length !== joining.length) {
      throw new LayoutChangeError(`partition ${p} would go from ${from.length} to ${to.length} replicas; a cluster needs ${REPLICATION_FACTOR} storage nodes`);
    }
    let current = from;
    for (let i = 0; i < leaving.length; i++) {
      const next = i === leaving.length - 1 ? to : current.map((id) => (id === leaving[i] ? joining[i] : id));
      moves.push({ partition: p, from: current, to: next, done: false });
      current = next;
    }
  }
  return moves;
}

/** Zones with at least one storage node. */
const zonesOf = (nodes: readonly StorageNodeInfo[]) => new Set(nodes.map((n) => n.zone));

/** The first step of a join: the new layout (next epoch) with every partition move it takes, none done yet. */
export function planJoin(layout: ClusterLayout, node: StorageNodeInfo): ClusterLayout {
  if (layout.change) throw new LayoutChangeError(`a ${layout.change.kind} of ${layout.change.node.id} is in progress; finish it first`);
  if (!node.id || !node.zone || !node.address) throw new LayoutChangeError('a joining node needs an id, a zone and an address');
  if (layout.storageNodes.some((n) => n.id === node.id)) throw new LayoutChangeError(`${node.id} is already in the cluster`);
  const sameAddress = layout.storageNodes.find((n) => n.address === node.address);
  if (sameAddress) throw new LayoutChangeError(`${sameAddress.id} already has the address ${node.address}`);
  const storageNodes = [...layout.storageNodes, { id: node.id, zone: node.zone, address: node.address }];
  const target: ClusterLayout = { partitionCount: layout.partitionCount, storageNodes };
  const moves = planMoves(new Ring(withoutChange(layout)), new Ring(target));
  return { ...target, epoch: layoutEpoch(layout) + 1, change: { kind: 'join', node: storageNodes[storageNodes.length - 1], moves } };
}

/** The first step of a decommission: the node leaves `storageNodes`, and every partition it holds moves. */
export function planDecommission(layout: ClusterLayout, nodeId: string): ClusterLayout {
  if (layout.change) throw new LayoutChangeError(`a ${layout.change.kind} of ${layout.change.node.id} is in progress; finish it first`);
  const node = layout.storageNodes.find((n) => n.id === nodeId);
  if (!node) throw new LayoutChangeError(`${nodeId} is not in the cluster`);
  const storageNodes = layout.storageNodes.filter((n) => n.id !== nodeId);
  if (storageNodes.length < REPLICATION_FACTOR) {
    throw new LayoutChangeError(`the cluster would have ${storageNodes.length} storage nodes; it needs at least ${REPLICATION_FACTOR}`);
  }
  const zonesBefore = zonesOf(layout.storageNodes).size;
  if (zonesOf(storageNodes).size < Math.min(zonesBefore, REPLICATION_FACTOR)) {
    throw new LayoutChangeError(`zone ${node.zone} would have no storage node left; join another node in zone ${node.zone} first`);
  }
  const target: ClusterLayout = { partitionCount: layout.partitionCount, storageNodes };
  const moves = planMoves(new Ring(withoutChange(layout)), new Ring(target));
  return { ...target, epoch: layoutEpoch(layout) + 1, change: { kind: 'decommission', node, moves } };
}

/** The move in progress for a partition (its first step not done), if any. */
export function pendingMoveOf(layout: ClusterLayout, partition: number): PartitionMove | undefined {
  return layout.change?.moves.find((m) => m.partition === partition && !m.done);
}

/** The next step to run: the first move not done, in plan order. */
export function nextMove(layout: ClusterLayout): PartitionMove | undefined {
  return layout.change?.moves.find((m) => !m.done);
}

/**
 * The layout once the partition's current step is switched to its new replica set (next epoch).
 * Throws when the partition has no step in progress.
 */
export function completeMove(layout: ClusterLayout, partition: number): ClusterLayout {
  const change = layout.change;
  const index = change?.moves.findIndex((m) => m.partition === partition && !m.done) ?? -1;
  if (!change || index < 0) throw new LayoutChangeError(`partition ${partition} has no move in progress in layout epoch ${layoutEpoch(layout)}`);
  const moves = change.moves.map((m, i) => (i === index ? { ...m, done: true } : m));
  return { ...layout, epoch: layoutEpoch(layout) + 1, change: { ...change, moves } };
}

/** The layout once every step is done: the change is over (next epoch). */
export function finishChange(layout: ClusterLayout): ClusterLayout {
  const change = layout.change;
  if (!change) throw new LayoutChangeError(`layout epoch ${layoutEpoch(layout)} has no change in progress`);
  const left = change.moves.filter((m) => !m.done).length;
  if (left > 0) throw new LayoutChangeError(`${left} partition moves of the ${change.kind} of ${change.node.id} are not done`);
  return { partitionCount: layout.partitionCount, storageNodes: layout.storageNodes, epoch: layoutEpoch(layout) + 1 };
}

export interface ChangeProgress {
  kind: LayoutChange['kind'];
  nodeId: string;
  movesDone: number;
  movesTotal: number;
}

export function changeProgress(layout: ClusterLayout): ChangeProgress | undefined {
  const change = layout.change;
  if (!change) return undefined;
  return { kind: change.kind, nodeId: change.node.id, movesDone: change.moves.filter((m) => m.done).length, movesTotal: change.moves.length };
}

/** What the CLI does next with a layout: move a partition, end the change, or nothing. */
export type ChangeStep = { kind: 'move'; move: PartitionMove } | { kind: 'finish' } | { kind: 'idle' };

export function nextChangeStep(layout: ClusterLayout): ChangeStep {
  if (!layout.change) return { kind: 'idle' };
  const move = nextMove(layout);
  return move ? { kind: 'move', move } : { kind: 'finish' };
}

/** What the node asked to move a partition does, decided from its layout and its leadership. */
export type MoveDecision =
  /** No step of this partition is in progress in the node's layout. */
  | { action: 'done' }
  /** The node is not a replica of the partition: the CLI asks another. */
  | { action: 'not-replica' }
  /** A replica, but not the serving leader: the CLI asks the leader. */
  | { action: 'not-leader' }
  /** The leader is the node leaving the partition: it hands leadership to a staying replica first. */
  | { action: 'hand-over'; candidates: string[] }
  /** The leader streams to the incoming node, then switches the partition. */
  | { action: 'move'; move: PartitionMove; incoming: string[] };

export function decideMove(ring: Ring, partition: number, selfId: string, servingLeader: boolean): MoveDecision {
  const move = ring.pendingMove(partition);
  if (!move) return { action: 'done' };
  if (!move.from.includes(selfId)) return { action: 'not-replica' };
  if (!servingLeader) return { action: 'not-leader' };
  if (!move.to.includes(selfId)) return { action: 'hand-over', candidates: move.from.filter((id) => move.to.includes(id)) };
  return { action: 'move', move, incoming: move.to.filter((id) => !move.from.includes(id)) };
}

/** What a node must do on adopting a newer layout. */
export interface LayoutTransition {
  /** Partitions whose data the node kept (replica or incoming) and keeps no longer: drop it. */
  dropped: number[];
  /**
   * Partitions the node starts receiving (as an incoming node) without having kept them: whatever
   * it still holds of them is left from an earlier stay and must go before the stream arrives
   * (a record the leader no longer has would keep the two Merkle roots apart for ever).
   */
  entered: number[];
  /** Partitions the node now replicates and did not before. */
  gained: number[];
  /** Partitions the node replicates before and after, whose replica set changed members. */
  reshaped: number[];
}

export function layoutTransition(before: Ring, after: Ring, selfId: string): LayoutTransition {
  const result: LayoutTransition = { dropped: [], entered: [], gained: [], reshaped: [] };
  for (let p = 0; p <= after.systemPartition; p++) {
    const heldBefore = before.replicaSet(p).some((n) => n.id === selfId);
    const heldAfter = after.replicaSet(p).some((n) => n.id === selfId);
    if (before.receives(selfId, p) && !after.receives(selfId, p)) result.dropped.push(p);
    if (!before.receives(selfId, p) && after.receives(selfId, p) && !heldAfter) result.entered.push(p);
    if (heldAfter && !heldBefore) result.gained.push(p);
    if (heldAfter && heldBefore) {
      const ids = new Set(before.replicaSet(p).map((n) => n.id));
      if (after.replicaSet(p).some((n) => !ids.has(n.id))) result.reshaped.push(p);
    }
  }
  return result;
}
