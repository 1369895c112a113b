import type { ElectionNode, NodeId, PartitionId, PersistedElectionState } from '../../src';
import type { Prng } from './prng';

/** One simulated storage node of the election simulator (simulation.ts): what a crash keeps and what it loses. */
export class SimNode {
  up = true;
  incarnation = 0;
  engine: ElectionNode | undefined;
  /** Survives crashes: the persisted election state... */
  readonly disk = new Map<PartitionId, PersistedElectionState>();
  /** ...and the synced data (write ids), per partition. */
  private readonly store = new Map<PartitionId, Set<number>>();
  /** Writes this incarnation issued and not yet acknowledged: id → partition. */
  readonly pendingWrites = new Map<number, PartitionId>();
  draining = false;
  restartedAtMs = -Infinity;
  readonly partitions: PartitionId[] = [];

  constructor(
    readonly id: NodeId,
    readonly clockOffsetMs: number,
    readonly clockRate: number,
    readonly random: Prng,
  ) {}

  storeOf(partition: PartitionId): Set<number> {
    let set = this.store.get(partition);
    if (!set) this.store.set(partition, (set = new Set()));
    return set;
  }
}
