import type { ClusterView } from '@triad/ring';
import type { DrainReply, MoveProgress, NodeStatusReply, RepairReply } from '@triad/rpc';
import type { Logger } from '@triad/observability';
import type { AntiEntropy } from '../repair/anti-entropy';
import type { ReplicaDriver } from '../replica/replica-driver';
import type { HintStore } from '../repair/hint-store';
import type { StorageEngine } from '../storage/storage-engine';
import { partitionPrefix, prefixEnd } from '../storage/storage-keys';

export interface AdminComponents {
  nodeId: string;
  zone: string;
  ring: ClusterView;
  store: StorageEngine;
  hints: HintStore;
  election: ReplicaDriver;
  antiEntropy: AntiEntropy;
  isUp: (nodeId: string) => boolean;
  log: Logger;
  /** Partition moves this node runs now (set once the mover exists). */
  moves?: () => MoveProgress[];
}

/** What `triad status`, `triad repair` and `triad drain` ask of a storage node. */
export class AdminOperations {
  /** While draining, the node serves no requests: routers go to other replicas. */
  draining = false;

  constructor(private readonly c: AdminComponents) {}

  async status(): Promise<NodeStatusReply> {
    const held = this.c.ring.partitionsOf(this.c.nodeId);
    const first = partitionPrefix(0);
    const last = prefixEnd(partitionPrefix(this.c.ring.systemPartition));
    return {
      nodeId: this.c.nodeId,
      zone: this.c.zone,
      partitionsHeld: held,
      partitionsLed: held.filter((p) => this.c.election.isServingLeader(p)),
      hintsPending: this.c.hints.totalPending,
      diskBytes: await this.c.store.approximateSize(first, last),
      draining: this.draining,
      layoutEpoch: this.c.ring.epoch,
      moves: this.c.moves?.() ?? [],
    };
  }

  /** Runs anti-entropy now with every live peer replica, partition by partition, and counts what it fixed. */
  async repair(partitions: number[]): Promise<RepairReply> {
    const held = this.c.ring.partitionsOf(this.c.nodeId);
    const wanted = partitions.length > 0 ? partitions.filter((p) => held.includes(p)) : held;
    const reply: RepairReply = { partitionsRepaired: 0, bucketsDiffering: 0, recordsPulled: 0, recordsPushed: 0 };
    for (const partition of wanted) {
      for (const peer of this.c.ring.replicaSet(partition)) {
        if (peer.id === this.c.nodeId || !this.c.isUp(peer.id)) continue;
        const outcome = await this.c.antiEntropy.repair(partition, peer);
        reply.bucketsDiffering += outcome.bucketsDiffering;
        reply.recordsPulled += outcome.recordsPulled;
        reply.recordsPushed += outcome.recordsPushed;
      }
      reply.partitionsRepaired++;
    }
    this.c.log.info('repair requested by an operator finished', { ...reply });
    return reply;
  }

  /** Starts (or ends) draining: leadership moves to other replicas and requests go elsewhere. */
  async drain(draining: boolean): Promise<DrainReply> {
    this.draining = draining;
    this.c.election.setDraining(draining);
    this.c.log.info(draining ? 'node draining' : 'node serving again');
    const led = this.c.ring.partitionsOf(this.c.nodeId).filter((p) => this.c.election.isServingLeader(p));
    return { partitionsLed: led.length };
  }
}
