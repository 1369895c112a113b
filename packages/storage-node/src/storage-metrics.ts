import { promClient, type ProcessIdentity } from '@triad/observability';
import type { Registry } from 'prom-client';

/** The storage node's own metrics, registered on the process registry. */
export function createStorageMetrics(registry: Registry) {
  return {
    itemOps: new promClient.Counter({
      name: 'triad_storage_item_ops_total',
      help: 'Item operations executed as partition leader, by kind and outcome',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    }),
    groupCommitOps: new promClient.Histogram({
      name: 'triad_storage_group_commit_ops',
      help: 'Writes per synced RocksDB batch (group commit)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096],
      registers: [registry],
    }),
    groupCommitSeconds: new promClient.Histogram({
      name: 'triad_storage_group_commit_seconds',
      help: 'Time to write and sync one group-commit batch',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    replicationFailures: new promClient.Counter({
      name: 'triad_storage_replication_failures_total',
      help: 'Records a follower did not acknowledge, by follower',
      labelNames: ['follower'],
      registers: [registry],
    }),
    recordsReplicatedIn: new promClient.Counter({
      name: 'triad_storage_replicated_records_applied_total',
      help: 'Records received from leaders and applied (newer than the local copy)',
      registers: [registry],
    }),
    antiEntropyPartitionsCompared: new promClient.Counter({
      name: 'triad_anti_entropy_partitions_compared_total',
      help: 'Partition Merkle roots compared with a peer replica',
      registers: [registry],
    }),
    antiEntropyBucketsRepaired: new promClient.Counter({
      name: 'triad_anti_entropy_buckets_repaired_total',
      help: 'Merkle buckets (key ranges) found different from a peer and exchanged',
      registers: [registry],
    }),
    antiEntropyRecordsRepaired: new promClient.Counter({
      name: 'triad_anti_entropy_records_repaired_total',
      help: 'Records exchanged by anti-entropy, pulled from or pushed to a peer',
      labelNames: ['direction'],
      registers: [registry],
    }),
    hintsStored: new promClient.Counter({
      name: 'triad_hints_stored_total',
      help: 'Hints stored for an unreachable replica, by target',
      labelNames: ['target'],
      registers: [registry],
    }),
    hintsReplayed: new promClient.Counter({
      name: 'triad_hints_replayed_total',
      help: 'Hints delivered to their replica once it was back, by target',
      labelNames: ['target'],
      registers: [registry],
    }),
    hintsDropped: new promClient.Counter({
      name: 'triad_hints_dropped_total',
      help: 'Hints dropped (past the window or over the size cap), left to anti-entropy',
      labelNames: ['target', 'reason'],
      registers: [registry],
    }),
    hintsPending: new promClient.Gauge({
      name: 'triad_hints_pending',
      help: 'Hints held for a replica and not yet delivered, by target',
      labelNames: ['target'],
      registers: [registry],
    }),
    leaderChanges: new promClient.Counter({
      name: 'triad_leader_changes_total',
      help: 'Partition leader changes seen by this node',
      registers: [registry],
    }),
    partitionsLed: new promClient.Gauge({
      name: 'triad_partitions_led',
      help: 'Partitions this node serves as leader (within its lease)',
      registers: [registry],
    }),
    failoverSeconds: new promClient.Histogram({
      name: 'triad_failover_seconds',
      help: 'From a partition losing its leader (this node starting an election) until this node serves it',
      buckets: [0.25, 0.5, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 20],
      registers: [registry],
    }),
    catchUpSeconds: new promClient.Histogram({
      name: 'triad_leader_catch_up_seconds',
      help: 'Time a new leader takes to sync with a peer replica before serving',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    replicationLagSeconds: new promClient.Histogram({
      name: 'triad_replication_lag_seconds',
      help: "From a leader assigning a write's version to this follower applying it (clocks of two nodes: approximate)",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    rangeReads: new promClient.Counter({
      name: 'triad_storage_range_read_items_total',
      help: 'Items returned by range reads (Query and Scan pages)',
      registers: [registry],
    }),
  };
}

export type StorageMetrics = ReturnType<typeof createStorageMetrics>;
export type { ProcessIdentity };
