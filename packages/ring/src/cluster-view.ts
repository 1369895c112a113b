import { layoutEpoch, type ClusterLayout, type StorageNodeInfo } from './cluster-layout';
import { Ring, type Placement } from './ring';

/**
 * The layout a process works with now: the newest it has adopted. Components hold the view, not a
 * ring, so that they follow joins and decommissions without being rebuilt. Adoption only moves
 * forward (a higher epoch); listeners run synchronously with the ring before and after.
 */
export class ClusterView implements Placement {
  private current: Ring;
  private readonly listeners: ((after: Ring, before: Ring) => void)[] = [];

  constructor(layout: ClusterLayout) {
    this.current = new Ring(layout);
  }

  get ring(): Ring {
    return this.current;
  }

  get layout(): ClusterLayout {
    return this.current.layout;
  }

  get epoch(): number {
    return this.current.epoch;
  }

  /** Calls `listener` after every adoption. */
  onChange(listener: (after: Ring, before: Ring) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Adopts `layout` if it is newer than the current one; returns whether it did. A layout of
   * another partition count is refused (a different cluster, or a configuration mistake).
   */
  adopt(layout: ClusterLayout): boolean {
    if (layoutEpoch(layout) <= this.current.epoch) return false;
    if (layout.partitionCount !== this.current.partitionCount) {
      throw new Error(`layout epoch ${layoutEpoch(layout)} has ${layout.partitionCount} partitions, this cluster ${this.current.partitionCount}`);
    }
    const before = this.current;
    this.current = new Ring(layout);
    for (const listener of this.listeners) listener(this.current, before);
    return true;
  }

  get partitionCount(): number {
    return this.current.partitionCount;
  }

  get systemPartition(): number {
    return this.current.systemPartition;
  }

  replicaSet(partition: number): readonly StorageNodeInfo[] {
    return this.current.replicaSet(partition);
  }

  incoming(partition: number): readonly StorageNodeInfo[] {
    return this.current.incoming(partition);
  }

  node(id: string): StorageNodeInfo | undefined {
    return this.current.node(id);
  }

  get nodes(): StorageNodeInfo[] {
    return this.current.nodes;
  }

  partitionsOf(nodeId: string): number[] {
    return this.current.partitionsOf(nodeId);
  }

  receives(nodeId: string, partition: number): boolean {
    return this.current.receives(nodeId, partition);
  }
}
