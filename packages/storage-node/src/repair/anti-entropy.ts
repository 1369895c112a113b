import { diffTreesAsync, reconcileBucket, type MerkleRecord } from '@triad/merkle';
import type { ClusterView, StorageNodeInfo } from '@triad/ring';
import type { ReplicatedRecord } from '@triad/rpc';
import type { Logger } from '@triad/observability';
import type { Environment, TimerHandle } from '@triad/runtime';
import type { PeerClients } from '../replica/peer-clients';
import { decodeRecord } from '../storage/record-codec';
import type { ReplicaState } from '../replica/replica-state';
import type { StorageMetrics } from '../storage-metrics';

/** Each replica compares its partitions with its peers this often (every round costs one message per peer when nothing differs). */
export const ANTI_ENTROPY_INTERVAL_MS_DEFAULT = 10_000;
/** Buckets whose records travel in one BucketRecords exchange, at most. */
const REPAIR_BUCKETS_PER_EXCHANGE_MAX = 128;
/** Records pushed to a peer in one Replicate message, at most. */
const REPAIR_PUSH_RECORDS_MAX = 512;

export interface AntiEntropyComponents {
  nodeId: string;
  ring: ClusterView;
  replicas: ReplicaState;
  peers: PeerClients;
  isUp: (node: StorageNodeInfo) => boolean;
  metrics: StorageMetrics;
  log: Logger;
  env: Environment;
}

export interface RepairOutcome {
  bucketsDiffering: number;
  recordsPulled: number;
  recordsPushed: number;
}

const keyHex = (key: Uint8Array) => Buffer.from(key).toString('hex');

/**
 * Merkle-tree anti-entropy: replicas of a partition compare trees top-down and exchange only the
 * records of the buckets that differ; each side keeps the newer version of every key. Runs
 * periodically over every partition the node holds, and on demand (a new leader catching up).
 */
export class AntiEntropy {
  private timer?: TimerHandle;
  private running = false;

  constructor(private readonly c: AntiEntropyComponents) {}

  /** Starts periodic rounds; `intervalMs` 0 disables them. */
  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.timer = this.c.env.setInterval(() => void this.round(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.c.env.clearInterval(this.timer);
  }

  /** One pass over every partition this node holds, against every replica that is up. */
  async round(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const mine = this.c.ring.partitionsOf(this.c.nodeId);
      for (const peer of this.c.ring.nodes) {
        if (peer.id === this.c.nodeId || !this.c.isUp(peer)) continue;
        const shared = mine.filter((p) => this.c.ring.replicaSet(p).some((n) => n.id === peer.id));
        if (shared.length === 0) continue;
        try {
          const { roots } = await this.c.peers.client(peer).merkleRoots({ partitions: shared });
          for (let i = 0; i < shared.length; i++) {
            this.c.metrics.antiEntropyPartitionsCompared.inc();
            if (roots[i] !== this.c.replicas.tree(shared[i]).root()) await this.repair(shared[i], peer);
          }
        } catch (error) {
          this.c.log.debug('anti-entropy round with peer failed', { peer: peer.id, error: String(error) });
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Makes this replica and `peer` hold the same records for the partition. */
  async repair(partition: number, peer: StorageNodeInfo): Promise<RepairOutcome> {
    const client = this.c.peers.client(peer);
    // A copy, so that writes arriving during the walk do not change the tree under it.
    const tree = this.c.replicas.tree(partition).clone();
    const buckets = await diffTreesAsync(tree, async (request) => (await client.merkleDigests({ partition, level: request.level, indices: [...request.indices] })).digests);
    const outcome: RepairOutcome = { bucketsDiffering: buckets.length, recordsPulled: 0, recordsPushed: 0 };
    for (let i = 0; i < buckets.length; i += REPAIR_BUCKETS_PER_EXCHANGE_MAX) {
      const chunk = buckets.slice(i, i + REPAIR_BUCKETS_PER_EXCHANGE_MAX);
      const [local, remote] = await Promise.all([
        this.c.replicas.bucketRecords(partition, chunk),
        client.bucketRecords({ partition, buckets: chunk }),
      ]);
      const values = new Map<string, Buffer>();
      const asMerkle = (itemKey: Buffer, value: Buffer): MerkleRecord => {
        values.set(keyHex(itemKey), value);
        const record = decodeRecord(value);
        return { key: itemKey, version: record.version, tombstone: record.tombstone };
      };
      const localRecords = local.map((r) => asMerkle(r.itemKey, r.value));
      const localValues = new Map(values);
      values.clear();
      const remoteRecords = remote.records.map((r) => asMerkle(r.key, r.value));
      const { toLocal, toRemote } = reconcileBucket(localRecords, remoteRecords);
      await Promise.all(toLocal.map((r) => this.c.replicas.applyIfNewer(partition, Buffer.from(r.key), values.get(keyHex(r.key))!)));
      const push: ReplicatedRecord[] = toRemote.map((r) => ({ partition, key: Buffer.from(r.key), value: localValues.get(keyHex(r.key))! }));
      for (let j = 0; j < push.length; j += REPAIR_PUSH_RECORDS_MAX) {
        await client.replicate({ records: push.slice(j, j + REPAIR_PUSH_RECORDS_MAX), fromLeader: false });
      }
      outcome.recordsPulled += toLocal.length;
      outcome.recordsPushed += toRemote.length;
    }
    this.c.metrics.antiEntropyBucketsRepaired.inc(outcome.bucketsDiffering);
    this.c.metrics.antiEntropyRecordsRepaired.inc({ direction: 'pulled' }, outcome.recordsPulled);
    this.c.metrics.antiEntropyRecordsRepaired.inc({ direction: 'pushed' }, outcome.recordsPushed);
    if (outcome.bucketsDiffering > 0) this.c.log.info('anti-entropy repaired a partition', { partition, peer: peer.id, ...outcome });
    return outcome;
  }
}
