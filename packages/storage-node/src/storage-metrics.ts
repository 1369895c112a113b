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
    rangeReads: new promClient.Counter({
      name: 'triad_storage_range_read_items_total',
      help: 'Items returned by range reads (Query and Scan pages)',
      registers: [registry],
    }),
  };
}

export type StorageMetrics = ReturnType<typeof createStorageMetrics>;
export type { ProcessIdentity };
