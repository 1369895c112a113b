import type { GetLayoutRequest, LayoutReply, MovePartitionReply, MovePartitionRequest, SetLayoutRequest } from '@triad/rpc';

/**
 * What the storage service asks of the cluster layout and partition movement (join, decommission).
 * `PartitionMover` implements it.
 */
export interface Movement {
  getLayout(request: GetLayoutRequest): LayoutReply;
  setLayout(request: SetLayoutRequest): Promise<LayoutReply>;
  movePartition(request: MovePartitionRequest): Promise<MovePartitionReply>;
  /** Sends a leader's new records of a moving partition to the nodes it moves to (they count in no quorum). */
  forwardToIncoming(partition: number, records: readonly { itemKey: Buffer; value: Buffer }[]): void;
  /** Whether this node is a replica of the partition in its layout: only then does it answer reads of it. */
  holds(partition: number): boolean;
  /** Whether this node keeps records of the partition: a replica, or a node the partition is moving to. */
  receives(partition: number): boolean;
}
