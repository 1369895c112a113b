import { promClient, type ProcessIdentity } from '@triad/observability';
import type { Registry } from 'prom-client';

/** The storage node's own metrics, registered on the process registry. */
export function createStorageMetrics(registry: Registry) {
  return {
    diskFreeBytes: new promClient.Gauge({
      name: 'triad_storage_disk_free_bytes',
      help: 'Free bytes on the data directory\'s filesystem (for the service user); client writes are refused below triad_storage_disk_reserve_bytes',
      registers: [registry],
    }),
    diskReserveBytes: new promClient.Gauge({
      name: 'triad_storage_disk_reserve_bytes',
      help: 'The free-space reserve: below it the node refuses client writes (ServiceUnavailableException) and reports not ready',
      registers: [registry],
    }),
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
    learnerPartitions: new promClient.Gauge({
      name: 'triad_learner_partitions',
      help: 'Partitions this node replicates as a non-voting learner (it lost its data) until its promotion is applied',
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
      help: 'From a leader appending a write to its partition\'s log until the write is committed (on a majority) and applied there',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    indexFenceRefusals: new promClient.Counter({
      name: 'triad_index_fence_refusals_total',
      help: 'Writes refused as partition leader because they carried an index list older than the table\'s index fence (the router refreshes its catalog and retries)',
      registers: [registry],
    }),
    gsiReplicationLagSeconds: new promClient.Histogram({
      name: 'triad_gsi_replication_lag_seconds',
      help: "From an item's write committing to its global index entries being on a majority of the index partition's replicas",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    gsiPendingUpdates: new promClient.Gauge({
      name: 'triad_gsi_pending_updates',
      help: 'Items whose global index entries this leader has yet to deliver (outbox records)',
      registers: [registry],
    }),
    gsiEntriesDelivered: new promClient.Counter({
      name: 'triad_gsi_entries_delivered_total',
      help: 'Global index entries (and entry tombstones) delivered to their partitions by this leader',
      registers: [registry],
    }),
    gsiDeliveryFailures: new promClient.Counter({
      name: 'triad_gsi_delivery_failures_total',
      help: "Outbox deliveries that failed (no majority of an index partition's replicas reachable) and will be retried",
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

/** Reads one RocksDB property (`db.getProperty`) as a number; undefined when RocksDB does not know it or the database is closed. */
export type RocksDbPropertyReader = (property: string) => number | undefined;

/** RocksDB levels (0-6 by default): `rocksdb.num-files-at-level<N>` is reported for each. */
export const ROCKSDB_LEVELS = 7;

/**
 * RocksDB's own statistics as gauges, read from `db.getProperty()` at each scrape (a property read
 * is a lookup in memory, no I/O). Every property named here was checked to answer with the
 * `rocksdb` package's bundled RocksDB.
 */
export function createRocksDbMetrics(registry: Registry, read: RocksDbPropertyReader) {
  /** A gauge's collect(): set it from one property, or leave it unset when RocksDB did not answer. */
  const from = (property: string) =>
    function collect(this: promClient.Gauge) {
      const value = read(property);
      if (value !== undefined) this.set(value);
    };
  return {
    estimatedKeys: new promClient.Gauge({
      name: 'triad_rocksdb_estimated_keys',
      help: 'Estimated number of keys in RocksDB (rocksdb.estimate-num-keys): records, tombstones, hints and metadata',
      registers: [registry],
      collect: from('rocksdb.estimate-num-keys'),
    }),
    sstFilesBytes: new promClient.Gauge({
      name: 'triad_rocksdb_sst_files_bytes',
      help: 'Size of all SST files, including files kept for snapshots or compactions in progress (rocksdb.total-sst-files-size)',
      registers: [registry],
      collect: from('rocksdb.total-sst-files-size'),
    }),
    liveSstFilesBytes: new promClient.Gauge({
      name: 'triad_rocksdb_live_sst_files_bytes',
      help: 'Size of the SST files of the current version (rocksdb.live-sst-files-size)',
      registers: [registry],
      collect: from('rocksdb.live-sst-files-size'),
    }),
    liveDataBytes: new promClient.Gauge({
      name: 'triad_rocksdb_live_data_bytes',
      help: 'Estimated size of live data, without overwritten or deleted versions (rocksdb.estimate-live-data-size)',
      registers: [registry],
      collect: from('rocksdb.estimate-live-data-size'),
    }),
    memtableBytes: new promClient.Gauge({
      name: 'triad_rocksdb_memtable_bytes',
      help: 'Size of the active and unflushed immutable memtables (rocksdb.cur-size-all-mem-tables)',
      registers: [registry],
      collect: from('rocksdb.cur-size-all-mem-tables'),
    }),
    files: new promClient.Gauge({
      name: 'triad_rocksdb_files',
      help: 'SST files per level (rocksdb.num-files-at-level<N>); many level-0 files slow reads and stall writes',
      labelNames: ['level'],
      registers: [registry],
      collect() {
        for (let level = 0; level < ROCKSDB_LEVELS; level++) {
          const value = read(`rocksdb.num-files-at-level${level}`);
          if (value !== undefined) this.set({ level: String(level) }, value);
        }
      },
    }),
    pendingCompactionBytes: new promClient.Gauge({
      name: 'triad_rocksdb_pending_compaction_bytes',
      help: 'Estimated bytes compaction must rewrite to bring every level under its target size (rocksdb.estimate-pending-compaction-bytes)',
      registers: [registry],
      collect: from('rocksdb.estimate-pending-compaction-bytes'),
    }),
    runningCompactions: new promClient.Gauge({
      name: 'triad_rocksdb_running_compactions',
      help: 'Compactions running now (rocksdb.num-running-compactions)',
      registers: [registry],
      collect: from('rocksdb.num-running-compactions'),
    }),
    runningFlushes: new promClient.Gauge({
      name: 'triad_rocksdb_running_flushes',
      help: 'Memtable flushes running now (rocksdb.num-running-flushes)',
      registers: [registry],
      collect: from('rocksdb.num-running-flushes'),
    }),
    blockCacheBytes: new promClient.Gauge({
      name: 'triad_rocksdb_block_cache_bytes',
      help: 'Memory used by the block cache (rocksdb.block-cache-usage)',
      registers: [registry],
      collect: from('rocksdb.block-cache-usage'),
    }),
    tableReadersBytes: new promClient.Gauge({
      name: 'triad_rocksdb_table_readers_bytes',
      help: 'Memory used by SST readers (indexes and filters) outside the block cache (rocksdb.estimate-table-readers-mem)',
      registers: [registry],
      collect: from('rocksdb.estimate-table-readers-mem'),
    }),
    backgroundErrors: new promClient.Gauge({
      name: 'triad_rocksdb_background_errors',
      help: 'Errors of background flushes and compactions since the database opened (rocksdb.background-errors)',
      registers: [registry],
      collect: from('rocksdb.background-errors'),
    }),
    writeStopped: new promClient.Gauge({
      name: 'triad_rocksdb_write_stopped',
      help: '1 while RocksDB stops writes until compaction catches up (rocksdb.is-write-stopped)',
      registers: [registry],
      collect: from('rocksdb.is-write-stopped'),
    }),
    delayedWriteRate: new promClient.Gauge({
      name: 'triad_rocksdb_delayed_write_rate_bytes',
      help: 'Write rate RocksDB throttles to, in bytes per second, while compaction lags; 0 when writes are not delayed (rocksdb.actual-delayed-write-rate)',
      registers: [registry],
      collect: from('rocksdb.actual-delayed-write-rate'),
    }),
  };
}

/** Layout changes and partition movement (join, decommission) as seen by one storage node. */
export function createMovementMetrics(registry: Registry) {
  return {
    layoutEpoch: new promClient.Gauge({
      name: 'triad_layout_epoch',
      help: 'Epoch of the cluster layout this process has adopted; every process converges on the same value',
      registers: [registry],
    }),
    movesActive: new promClient.Gauge({
      name: 'triad_partition_moves_active',
      help: 'Partition moves this node runs now as the partition leader (streaming or switching)',
      registers: [registry],
    }),
    moves: new promClient.Counter({
      name: 'triad_partition_moves_total',
      help: 'Partition move attempts run by this node as leader, by outcome (done, retry, failed)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    recordsStreamed: new promClient.Counter({
      name: 'triad_partition_move_records_streamed_total',
      help: 'Records (tombstones included) streamed by this node to nodes a partition is moving to',
      registers: [registry],
    }),
    partitionsDropped: new promClient.Counter({
      name: 'triad_partitions_dropped_total',
      help: 'Partitions whose data this node deleted after they moved away from it',
      registers: [registry],
    }),
  };
}

export type MovementMetrics = ReturnType<typeof createMovementMetrics>;
