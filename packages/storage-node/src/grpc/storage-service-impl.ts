import * as grpc from '@grpc/grpc-js';
import { DynamoDbError, ServiceUnavailableException, ThrottlingException, type Item } from '@triad/model';
import { partitionOfKey, type Placement } from '@triad/ring';
import {
  decodeJson,
  encodeJson,
  type DropTableReply,
  type DropTableRequest,
  type ExecuteBatch,
  type ExecuteBatchReply,
  type ItemOp,
  type ItemOpBody,
  type OpResult,
  type OpResultBody,
  type PingReply,
  type PingRequest,
  type RangeReply,
  type RangeRequest,
  type ReadBatch,
  type ReadBatchReply,
  type ReplicateBatch,
  type ReplicateBatchReply,
  type StorageNodeService,
  type MerkleRootsRequest,
  type MerkleRootsReply,
  type MerkleDigestsRequest,
  type MerkleDigestsReply,
  type BucketRecordsRequest,
  type BucketRecordsReply,
  type ElectionPacket,
  type StoreHintsRequest,
  type StoreHintsReply,
  type NodeStatusReply,
  type RepairRequest,
  type RepairReply,
  type DrainRequest,
  type DrainReply,
  type GetLayoutRequest,
  type LayoutReply,
  type SetLayoutRequest,
  type MovePartitionRequest,
  type MovePartitionReply,
  type PrefixStatsReply,
  type PrefixStatsRequest,
  NOT_LEADER,
  UNSAFE_FOLLOWER_READS,
} from '@triad/rpc';
import type { HintedHandoff } from '../repair/hinted-handoff';
import type { AdminOperations } from '../admin/admin-operations';
import type { Logger } from '@triad/observability';
import type { Environment, TimerHandle } from '@triad/runtime';
import { applyItemOp } from '../write-path/apply-item-op';
import { compareVersions, decodeRecord, encodeRecord, recordItem, type StoredRecord, type Version } from '../storage/record-codec';
import type { IndexWrite } from '../indexes/index-writes';
import { OUTBOX_PREFIX, itemKeyOfOutbox, mergeOutbox, outboxDeliveries, outboxKeyOf, type Outbox } from '../indexes/global-index-outbox';
import type { Delivery, GlobalIndexPropagator } from '../indexes/global-index-propagator';
import { COLLECTION_PREFIX, collectionKeyOf, collectionSizeAfter } from '../indexes/item-collection';
import type { ReplicaState } from '../replica/replica-state';
import type { StorageEngine } from '../storage/storage-engine';
import { dataKey, itemKeyOf, partitionPrefix, prefixEnd } from '../storage/storage-keys';
import type { StorageMetrics } from '../storage-metrics';
import type { Movement } from '../movement/movement';
import type { PrefixStats } from '../admin/prefix-stats';
import { NotAppliedError, NotServingError, type ReplicaDriver } from '../replica/replica-driver';
import type { ProposalOverlay } from '../write-path/proposal-overlay';
import type { IdentityStore } from '../replica/node-identity';
import { KEY_OPERATIONS_QUEUED_MAX, WRITE_APPLY_WAIT_MS_MAX } from '../limits';
import { testDelay } from '../test-delays';
import type { PlantedBugs } from '../planted-bugs';
import { FENCE_PREFIX } from '../indexes/index-fence';
import type { IndexFences } from '../indexes/index-fences';

export interface StorageServiceComponents {
  nodeId: string;
  /** Why client writes are refused now (the disk is below its reserve), if they are. */
  writeRefusal?: () => string | undefined;
  zone: string;
  store: StorageEngine;
  replicas: ReplicaState;
  ring: Placement;
  /** The epoch of the layout this node follows now (told to a node without data that asks: see node-identity.ts). */
  layoutEpoch: () => number;
  metrics: StorageMetrics;
  log: Logger;
  handoff: HintedHandoff;
  /** Leadership and the partitions' replicated logs: every write is proposed through it. */
  replication: ReplicaDriver;
  /** A leader's writes in its log but not yet applied, which its next decisions on those keys see. */
  overlay: ProposalOverlay;
  admin: AdminOperations;
  movement: Movement;
  /** The item collection size limit of tables with local indexes (DynamoDB's 10 GB unless configured). */
  itemCollectionBytesMax: number;
  prefixStats: PrefixStats;
  globalIndexes: GlobalIndexPropagator;
  identities: IdentityStore;
  /** Admits or refuses writes by the index list they carry (index-fences.ts). */
  indexFences: IndexFences;
  env: Environment;
  /** The simulator's planted bugs (never set in a real process). */
  plantedBugs?: PlantedBugs;
}

const EMPTY = Buffer.alloc(0);

/** The size an item collection's counter record holds (0 without one). */
function collectionBytesOf(counter: StoredRecord | undefined): number {
  return counter && !counter.tombstone ? (recordItem(counter) as unknown as { bytes: number }).bytes : 0;
}

/**
 * Waits for a proposed write's outcome, at most `ms`: after that it may still take effect (it is
 * in the log), so the answer is a retriable "unknown", never a failure that claims no effect.
 */
async function withDeadline(applied: Promise<void>, ms: number, env: Environment): Promise<void> {
  let timer: TimerHandle | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = env.setTimeout(() => reject(new ServiceUnavailableException('The write is in the partition\'s log but not yet committed; its outcome is unknown, retry the request')), ms);
  });
  try {
    await Promise.race([applied, expired]);
  } finally {
    env.clearTimeout(timer);
  }
}

/** A record a write will put, before its version is known: the version comes from its log position. */
interface PlannedRecord {
  itemKey: Buffer;
  key: Buffer;
  /** The stored value for the version the log gives the write. */
  value: (version: Version) => Buffer;
}

/**
 * A storage node's gRPC service: leader-side item operations, proposed through the partition's
 * replicated log and answered once applied; local reads of applied state.
 */
export class StorageServiceImpl implements StorageNodeService {
  private readonly partitionOf = (encoded: Uint8Array) => partitionOfKey(encoded, this.c.ring.partitionCount);

  constructor(private readonly c: StorageServiceComponents) {}

  async execute(request: ExecuteBatch): Promise<ExecuteBatchReply> {
    const results = await Promise.all(request.ops.map((op) => this.executeOne(op)));
    return { results };
  }

  private notLeader(partition: number): OpResult {
    return { errorName: NOT_LEADER, errorMessage: this.c.replication.leaderHint(partition) ?? '', body: EMPTY };
  }

  /** A draining node sends every request elsewhere, as if it were down. */
  private refuseIfDraining(): void {
    if (this.c.admin.draining) {
      throw Object.assign(new Error('node is draining'), { grpcCode: grpc.status.UNAVAILABLE });
    }
  }

  async nodeStatus(): Promise<NodeStatusReply> {
    return this.c.admin.status();
  }

  async repair(request: RepairRequest): Promise<RepairReply> {
    return this.c.admin.repair(request.partitions);
  }

  async drain(request: DrainRequest): Promise<DrainReply> {
    return this.c.admin.drain(request.draining);
  }

  async getLayout(request: GetLayoutRequest): Promise<LayoutReply> {
    return this.c.movement.getLayout(request);
  }

  async setLayout(request: SetLayoutRequest): Promise<LayoutReply> {
    return this.c.movement.setLayout(request);
  }

  async movePartition(request: MovePartitionRequest): Promise<MovePartitionReply> {
    return this.c.movement.movePartition(request);
  }

  async prefixStats(request: PrefixStatsRequest): Promise<PrefixStatsReply> {
    return this.c.prefixStats.stats(request);
  }

  /** Writes and strong reads need the lease; the unsafe test mode lets any replica read. */
  private mayServe(kind: ItemOp['kind'], partition: number): boolean {
    if (this.c.admin.draining) return false;
    if (UNSAFE_FOLLOWER_READS && kind === 'OP_KIND_GET') return true;
    return this.c.replication.isServingLeader(partition);
  }

  /**
   * The key's record as this leader's next write must see it: its own newest write still in the
   * log (it commits before the next one or neither does), else the applied state.
   */
  private async latest(partition: number, key: Buffer): Promise<StoredRecord | undefined> {
    const pending = this.c.overlay.get(partition, key);
    return pending ? decodeRecord(pending) : this.c.replicas.current(key);
  }

  private async executeOne(op: ItemOp): Promise<OpResult> {
    if (!this.mayServe(op.kind, op.partition)) return this.notLeader(op.partition);
    if (this.c.replicas.queuedOn(op.partition, op.key) >= KEY_OPERATIONS_QUEUED_MAX) {
      // A hot key: refuse before anything is applied, so that the client's retry is safe.
      return this.errorResult(op, new ThrottlingException());
    }
    const refusal = op.kind === 'OP_KIND_GET' ? undefined : this.c.writeRefusal?.();
    // Refused before anything is decided or applied: the client's retry (elsewhere, later) is safe.
    if (refusal) return this.errorResult(op, new ServiceUnavailableException(`${this.c.nodeId}: ${refusal}`));
    try {
      const { result, applied, refusal } = await this.c.replicas.withKey<{ result?: OpResultBody; applied: Promise<void>; refusal?: unknown }>(op.partition, op.key, async (key) => {
        if (!this.mayServe(op.kind, op.partition)) return { result: undefined, applied: Promise.resolve() };
        // Between the serving check and the append (which checks again, in the step that fixes the term).
        if (op.kind !== 'OP_KIND_GET') await testDelay('write.afterLeaseCheck', op.key, this.c.log, this.c.env);
        const body = decodeJson<ItemOpBody>(op.body) ?? {};
        await this.c.indexFences.admit(op, body); // refuses a write made with an old index list (index-fence.ts)
        // Reads (and decisions without a write) see applied state only: never a write still in the log.
        // So does a backfill's re-index: its global entries go out now, outside the log, and a write
        // still in the log may never commit (seed 93 of --moves --indexes: the re-index saw such a
        // write without the index key, delivered nothing, and the item kept its committed key).
        // A write that does commit delivers its own entries from its outbox, at a newer version.
        const appliedOnly = (op.kind === 'OP_KIND_GET' && !this.c.plantedBugs?.strongReadsSeeUncommitted) || op.kind === 'OP_KIND_REINDEX'; // planted: reads see the log
        const current = appliedOnly ? await this.c.replicas.current(key) : await this.latest(op.partition, key);
        // A decision on this leader's own write still in the log is only as good as that write: an
        // answer without a write of its own waits for it to be applied (and is void if it never is).
        const decidedOn = op.kind === 'OP_KIND_GET' ? undefined : this.c.overlay.pendingWrite(op.partition, key);
        let outcome: ReturnType<typeof applyItemOp>;
        try {
          outcome = applyItemOp(op.kind, body, current && !current.tombstone ? recordItem(current) : undefined, this.partitionOf);
        } catch (error) {
          return { refusal: error, applied: decidedOn ?? Promise.resolve() };
        }
        outcome.result.sizeBytes = Math.max(current?.sizeBytes ?? 0, outcome.write?.sizeBytes ?? 0);
        const local = outcome.indexWrites.filter((w) => w.partition === undefined);
        const global = outcome.indexWrites.filter((w) => w.partition !== undefined);
        if (op.kind === 'OP_KIND_REINDEX') {
          // A backfill writes the entries of the item as it is, at its own version: a newer write's entries win.
          if (!current) return { result: outcome.result, applied: Promise.resolve() };
          const records = local.map((w) => ({ itemKey: w.key, value: encodeRecord(current.version, w.item, w.sizeBytes) }));
          const proposed = records.length > 0 ? this.c.replication.propose(op.partition, () => ({ records })).applied : undefined;
          const delivered = global.length > 0 ? this.deliverReindexed(op.partition, outboxDeliveries(mergeOutbox(undefined, global, current.version))) : undefined;
          return { result: outcome.result, applied: Promise.all([proposed, delivered]).then(() => undefined) };
        }
        const collection = body.indexes?.some((index) => index.local) ? collectionKeyOf(op.key, body.tableKeySchema!) : undefined;
        if (!outcome.write) {
          if (collection) outcome.result.collectionBytes = collectionBytesOf(await this.c.replicas.current(dataKey(op.partition, collection)));
          return { result: outcome.result, applied: decidedOn ?? Promise.resolve() };
        }
        const write = outcome.write;
        const planned: PlannedRecord[] = [
          { itemKey: op.key, key, value: (version) => encodeRecord(version, write.item, write.sizeBytes) },
          ...local.map((w) => ({ itemKey: w.key, key: dataKey(op.partition, w.key), value: (version: Version) => encodeRecord(version, w.item, w.sizeBytes) })),
        ];
        if (global.length > 0) planned.push(await this.outboxRecord(op.partition, op.key, global));
        // A write with a newer index list than the partition's fence raises it in its own entry (index-fences.ts).
        const fence = this.c.indexFences.recordToStage(op, body);
        const proposed = collection
          ? (await this.proposeCountingCollection(op.partition, collection, current, planned, outcome.result, fence)).applied
          : this.proposeWrite(op.partition, fence ? [...planned, fence] : planned);
        this.c.indexFences.staged(op, body);
        if (global.length > 0) proposed.then(() => this.c.globalIndexes.notify(op.partition, outboxKeyOf(op.key)), () => undefined);
        return { result: outcome.result, applied: proposed };
      });
      if (refusal !== undefined) {
        await withDeadline(applied, WRITE_APPLY_WAIT_MS_MAX, this.c.env);
        throw refusal;
      }
      if (!result) return this.notLeader(op.partition);
      await withDeadline(applied, WRITE_APPLY_WAIT_MS_MAX, this.c.env);
      this.c.metrics.itemOps.inc({ kind: op.kind, outcome: 'ok' });
      return { errorName: '', errorMessage: '', body: encodeJson(result) };
    } catch (error) {
      // Refused before the log (not serving), or replaced in it by a new leader's log: no effect.
      if (error instanceof NotServingError || error instanceof NotAppliedError) return this.notLeader(op.partition);
      return this.errorResult(op, error);
    }
  }

  /**
   * Delivers a re-index's global entries. A failure is a fault inside the cluster (an index
   * partition without a majority reachable, a timeout, a replica refusing while layouts differ),
   * not the request's: it answers ServiceUnavailable, which the backfill (or the reconciler) retries.
   * A retry is safe: the entries carry the item's version, so delivering them again changes nothing.
   */
  private async deliverReindexed(partition: number, deliveries: readonly Delivery[]): Promise<void> {
    try {
      await this.c.globalIndexes.deliver(deliveries);
    } catch (error) {
      this.c.log.warn('delivering a re-index\'s global index entries failed', { partition, error: String(error) });
      throw new ServiceUnavailableException('The item\'s global index entries could not be delivered to a majority of their replicas; retry the request');
    }
  }

  private errorResult(op: ItemOp, error: unknown): OpResult {
    if (error instanceof DynamoDbError) {
      this.c.metrics.itemOps.inc({ kind: op.kind, outcome: error.name });
      const item = (error as { item?: Item }).item;
      return { errorName: error.name, errorMessage: error.message, body: item ? encodeJson({ old: item }) : EMPTY };
    }
    this.c.metrics.itemOps.inc({ kind: op.kind, outcome: 'InternalServerError' });
    this.c.log.error('item operation failed', { error: String(error), partition: op.partition });
    return { errorName: 'InternalServerError', errorMessage: 'Internal server error', body: EMPTY };
  }

  /**
   * Proposes a write's records to the partition's log; each record's version is the entry's log
   * position. The overlay holds them until applied, so the next write of these keys sees them.
   * Resolves once applied here (the write took effect).
   */
  private proposeWrite(partition: number, planned: readonly PlannedRecord[]): Promise<void> {
    const records: { itemKey: Buffer; value: Buffer }[] = [];
    const { index, applied } = this.c.replication.propose(partition, (term, index) => {
      const version = { term, seq: index };
      for (const p of planned) records.push({ itemKey: p.itemKey, value: p.value(version) });
      return { records };
    });
    planned.forEach((p, i) => this.c.overlay.set(partition, p.key, index, records[i].value, applied));
    return applied;
  }

  /** The item's outbox record after this change: its global index writes merged into what is still undelivered. */
  private async outboxRecord(partition: number, itemKey: Buffer, writes: IndexWrite[]): Promise<PlannedRecord> {
    const outboxKey = outboxKeyOf(itemKey);
    const key = dataKey(partition, outboxKey);
    const previous = await this.latest(partition, key);
    const pending = previous && !previous.tombstone ? (recordItem(previous) as unknown as Outbox) : undefined;
    return { itemKey: outboxKey, key, value: (version) => encodeRecord(version, mergeOutbox(pending, writes, version) as never, 0) };
  }

  /**
   * Proposes a write of a table with local indexes with its item collection's new size (see
   * item-collection.ts), under the collection's lock so that writes of its items count in turn;
   * refuses a write that would grow the collection past the limit. Reports the size in `result`.
   */
  private proposeCountingCollection(
    partition: number,
    collection: Buffer,
    current: StoredRecord | undefined,
    planned: PlannedRecord[],
    result: OpResultBody,
    /** A record the collection does not count (a fence record: outside every table's items). */
    uncounted?: PlannedRecord,
  ): Promise<{ applied: Promise<void> }> {
    return this.c.replicas.withKey(partition, collection, async (counterKey) => {
      const counter = await this.latest(partition, counterKey);
      const liveBytes = (record: StoredRecord | undefined) => (record && !record.tombstone ? record.sizeBytes : 0);
      // Sizes before and after, of the item and its local index entries (outbox records count nothing).
      let delta = 0;
      for (const [i, p] of planned.entries()) {
        const previous = i === 0 ? current : await this.latest(partition, p.key);
        delta += decodeRecord(p.value({ term: 0, seq: 0 })).sizeBytes - liveBytes(previous);
      }
      const bytes = collectionSizeAfter(collectionBytesOf(counter), delta, this.c.itemCollectionBytesMax);
      result.collectionBytes = bytes;
      if (delta !== 0) planned.push({ itemKey: collection, key: counterKey, value: (version) => encodeRecord(version, { bytes } as never, 0) });
      return { applied: this.proposeWrite(partition, uncounted ? [...planned, uncounted] : planned) };
    });
  }

  /**
   * Removes an item's outbox record once its entries are delivered: a tombstone, committed like a
   * write, unless a newer change of the item replaced the record meanwhile or this node no longer leads.
   */
  async retireOutbox(partition: number, outboxKey: Buffer, delivered: Version): Promise<void> {
    const { applied } = await this.c.replicas.withKey(partition, itemKeyOfOutbox(outboxKey), async () => {
      const key = dataKey(partition, outboxKey);
      const current = await this.latest(partition, key);
      if (!this.c.replication.isServingLeader(partition) || !current || current.tombstone || compareVersions(current.version, delivered) !== 0) {
        return { applied: Promise.resolve() };
      }
      return { applied: this.proposeWrite(partition, [{ itemKey: outboxKey, key, value: (version) => encodeRecord(version, undefined, 0) }]) };
    });
    await applied.catch((error: unknown) => {
      if (!(error instanceof NotServingError || error instanceof NotAppliedError)) throw error;
    });
  }

  /**
   * Records sent outside the log: a partition's records streamed to a node it moves to (with the
   * leader's new writes), global index entries, hint replays and repairs. Each key keeps the newer version.
   */
  async replicate(request: ReplicateBatch): Promise<ReplicateBatchReply> {
    const refusedIndexes: number[] = [];
    const accepted = request.records.filter((r, i) => {
      const ok = request.fromLeader ? this.c.replication.acceptsReplication(r.partition) : this.c.movement.receives(r.partition);
      if (!ok) refusedIndexes.push(i);
      return ok;
    });
    const applied = await Promise.all(accepted.map((r) => this.c.replicas.applyIfNewer(r.partition, r.key, r.value)));
    const count = applied.filter(Boolean).length;
    this.c.metrics.recordsReplicatedIn.inc(count);
    return { applied: count, refused: refusedIndexes.length, refusedIndexes };
  }

  async merkleRoots(request: MerkleRootsRequest): Promise<MerkleRootsReply> {
    return { roots: request.partitions.map((p) => this.c.replicas.tree(p).root()) };
  }

  async merkleDigests(request: MerkleDigestsRequest): Promise<MerkleDigestsReply> {
    return { digests: this.c.replicas.tree(request.partition).nodeDigests(request.level, request.indices) };
  }

  async bucketRecords(request: BucketRecordsRequest): Promise<BucketRecordsReply> {
    const records = await this.c.replicas.bucketRecords(request.partition, request.buckets);
    return { records: records.map((r) => ({ partition: request.partition, key: r.itemKey, value: r.value })) };
  }

  async storeHints(request: StoreHintsRequest): Promise<StoreHintsReply> {
    for (const r of request.records) await this.c.handoff.keep(request.target, r.partition, r.key, r.value);
    return { stored: request.records.length };
  }

  async election(request: ElectionPacket): Promise<ElectionPacket> {
    return this.c.replication.onPacket(request);
  }

  async read(request: ReadBatch): Promise<ReadBatchReply> {
    this.refuseIfDraining();
    const values = await this.c.store.getMany(request.keys.map((k) => dataKey(k.partition, k.key)));
    return {
      results: values.map((value, i) => {
        // Checked after reading: a partition that moved away (its data dropped) must not read as empty.
        if (!this.c.movement.holds(request.keys[i].partition)) return { found: false, item: EMPTY, notHeld: true };
        const record = value ? decodeRecord(value) : undefined;
        return record && !record.tombstone ? { found: true, item: record.itemJson } : { found: false, item: EMPTY };
      }),
    };
  }

  async readRange(request: RangeRequest): Promise<RangeReply> {
    this.refuseIfDraining();
    // The planted bug `strongReadsSeeUncommitted` (simulation only) skips both lease checks.
    const leaseChecked = request.consistent && !UNSAFE_FOLLOWER_READS && !this.c.plantedBugs?.strongReadsSeeUncommitted;
    if (leaseChecked) {
      const notLed = request.ranges.find((r) => !this.c.replication.isServingLeader(r.partition));
      if (notLed) {
        throw Object.assign(new Error(`${NOT_LEADER}:${this.c.replication.leaderHint(notLed.partition) ?? ''}`), {
          grpcCode: grpc.status.FAILED_PRECONDITION,
        });
      }
    }
    if (request.consistent) {
      // Writes acknowledged before this read may still be on their way into RocksDB (staged, visible
      // to point reads only): a range read waits for them.
      for (const partition of new Set(request.ranges.map((r) => r.partition))) await this.c.replicas.settledPartition(partition);
    }
    const items: RangeReply['items'] = [];
    let bytes = 0;
    const full = () => (request.limit > 0 && items.length >= request.limit) || (request.byteLimit > 0 && bytes >= request.byteLimit);
    for (const range of request.ranges) {
      if (full()) return { items, exhausted: false };
      const start = dataKey(range.partition, range.start);
      const end = range.end.length > 0 ? dataKey(range.partition, range.end) : prefixEnd(partitionPrefix(range.partition));
      await this.c.store.forEach(
        {
          [range.startExclusive ? 'gt' : 'gte']: start,
          [range.endInclusive ? 'lte' : 'lt']: end,
          reverse: request.reverse,
        },
        (key, value) => {
          const record: StoredRecord = decodeRecord(value);
          if (record.tombstone) return true;
          items.push({ partition: range.partition, key: itemKeyOf(key), item: record.itemJson, sizeBytes: record.sizeBytes });
          bytes += record.sizeBytes;
          return !full();
        },
      );
    }
    const notHeld = request.localOnly ? undefined : request.ranges.find((r) => !this.c.movement.holds(r.partition));
    if (notHeld) {
      // Checked after reading, as for point reads; the router tries another replica.
      throw Object.assign(new Error(`${NOT_LEADER}:`), { grpcCode: grpc.status.FAILED_PRECONDITION });
    }
    if (leaseChecked) {
      // The lease may have ended while reading: a strong read counts only if it was served inside it.
      const lost = request.ranges.find((r) => !this.c.replication.isServingLeader(r.partition));
      if (lost) throw Object.assign(new Error(`${NOT_LEADER}:${this.c.replication.leaderHint(lost.partition) ?? ''}`), { grpcCode: grpc.status.FAILED_PRECONDITION });
    }
    this.c.metrics.rangeReads.inc(items.length);
    // A page that stopped exactly at its limit may have read the last item; the caller asks once more.
    return { items, exhausted: !full() };
  }

  async dropTable(request: DropTableRequest): Promise<DropTableReply> {
    for (let p = 0; p <= this.c.ring.partitionCount; p++) {
      const ranges = [{ start: dataKey(p, request.tableId), end: dataKey(p, prefixEnd(request.tableId)) }];
      // Undelivered global index entries and item collection sizes of a dropped table go with it.
      for (const prefix of [OUTBOX_PREFIX, COLLECTION_PREFIX, FENCE_PREFIX]) {
        const start = Buffer.concat([prefix, request.tableId]);
        ranges.push({ start: dataKey(p, start), end: dataKey(p, prefixEnd(start)) });
      }
      await this.c.replicas.clearRanges(p, ranges);
    }
    this.c.log.info('dropped table data', { tableId: request.tableId.toString('hex') });
    return { deleted: 0 };
  }

  async ping(request: PingRequest): Promise<PingReply> {
    return { nodeId: this.c.nodeId, zone: this.c.zone, knownGenerationOfCaller: this.c.identities.knownGenerationOf(request.from), layoutEpoch: this.c.layoutEpoch() };
  }
}
