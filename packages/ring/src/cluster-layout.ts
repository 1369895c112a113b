/** A storage node as every process knows it. */
export interface StorageNodeInfo {
  id: string;
  zone: string;
  /** host:port of its gRPC service. */
  address: string;
}

/**
 * One step of moving a partition: its replica set goes from `from` to `to`, which differ in exactly
 * one node (the leaving one is replaced by the incoming one at the same position).
 */
export interface PartitionMove {
  partition: number;
  /** Node ids of the replica set before the step, preferred leader first. */
  from: string[];
  /** Node ids of the replica set after the step. */
  to: string[];
  /** Set once the partition's leader switched it to `to` (its data is on a majority of `to`). */
  done: boolean;
}

/** A join or decommission in progress: the partitions to move, in order, and how far it got. */
export interface LayoutChange {
  kind: 'join' | 'decommission';
  /** The node joining, or the node leaving (no longer in `storageNodes`; kept here for its address). */
  node: StorageNodeInfo;
  moves: PartitionMove[];
}

/**
 * The shape of a cluster: its partitions and its storage nodes, versioned. A layout file written
 * by hand or by `npm start` has no epoch (0) and no change; every join or decommission step makes a
 * new layout with a higher epoch, which every process adopts when it learns of it.
 */
export interface ClusterLayout {
  /** Hash partitions of user data (a power of two). The catalog lives in one more, the system partition. */
  partitionCount: number;
  /** The storage nodes; while a change is in progress, the nodes as they will be once it is done. */
  storageNodes: StorageNodeInfo[];
  /** Version of the layout: higher wins. Absent in a static layout file (0). */
  epoch?: number;
  /** A join or decommission in progress. */
  change?: LayoutChange;
}

export function layoutEpoch(layout: ClusterLayout): number {
  return layout.epoch ?? 0;
}

const isNodeInfo = (node: StorageNodeInfo) =>
  node && typeof node.id === 'string' && typeof node.zone === 'string' && typeof node.address === 'string';

/** Checks a layout read from a file, an environment variable or another process. */
export function parseClusterLayout(value: unknown): ClusterLayout {
  const layout = value as ClusterLayout;
  if (!layout || typeof layout.partitionCount !== 'number' || !Array.isArray(layout.storageNodes)) {
    throw new Error('cluster layout needs partitionCount and storageNodes');
  }
  for (const node of layout.storageNodes) {
    if (!isNodeInfo(node)) throw new Error(`storage node entries need id, zone and address: ${JSON.stringify(node)}`);
  }
  if (layout.epoch !== undefined && (!Number.isSafeInteger(layout.epoch) || layout.epoch < 0)) {
    throw new Error(`layout epoch must be a non-negative integer, got ${JSON.stringify(layout.epoch)}`);
  }
  const change = layout.change;
  if (change !== undefined) {
    if ((change.kind !== 'join' && change.kind !== 'decommission') || !isNodeInfo(change.node) || !Array.isArray(change.moves)) {
      throw new Error(`layout change needs kind (join or decommission), node and moves: ${JSON.stringify(change).slice(0, 200)}`);
    }
    for (const move of change.moves) {
      const ids = (list: unknown) => Array.isArray(list) && list.every((id) => typeof id === 'string');
      if (!Number.isInteger(move.partition) || move.partition < 0 || move.partition > layout.partitionCount || !ids(move.from) || !ids(move.to) || typeof move.done !== 'boolean') {
        throw new Error(`bad partition move: ${JSON.stringify(move)}`);
      }
    }
  }
  return layout;
}
