import type { StorageNodeInfo } from '@triad/ring';
import type { ReplicateBatch, ReplicateBatchReply, ReplicatedRecord } from '@triad/rpc';
import type { SimulatedEnvironment } from '@triad/runtime';

/** Three storage nodes, one per zone: every partition's replicas are a, b and c. */
export const NODES_ABC: StorageNodeInfo[] = [
  { id: 'a', zone: 'a', address: 'a:7000' },
  { id: 'b', zone: 'b', address: 'b:7000' },
  { id: 'c', zone: 'c', address: 'c:7000' },
];

/**
 * A peer's side of Replicate as the storage service answers records that are not a leader's
 * (`StorageServiceImpl.replicate` with `fromLeader: false`), 1 simulated ms later: it applies the
 * records of the partitions its layout gives it and refuses the others by index, applying nothing
 * of them. `down`: the call fails as gRPC does when nobody answers.
 */
export class FakeReplicatePeer {
  /** Partitions this peer's layout does not give it (it has not learned of a move to it yet, or left them). */
  readonly refuses = new Set<number>();
  down = false;
  readonly applied: ReplicatedRecord[] = [];
  readonly batches: ReplicateBatch[] = [];

  constructor(private readonly env: SimulatedEnvironment) {}

  replicate(request: ReplicateBatch): Promise<ReplicateBatchReply> {
    this.batches.push(request);
    return new Promise((resolve, reject) =>
      this.env.setTimeout(() => {
        if (this.down) return reject(Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 }));
        const refusedIndexes: number[] = [];
        request.records.forEach((r, i) => (this.refuses.has(r.partition) ? refusedIndexes.push(i) : this.applied.push(r)));
        resolve({ applied: request.records.length - refusedIndexes.length, refused: refusedIndexes.length, refusedIndexes });
      }, 1),
    );
  }
}
