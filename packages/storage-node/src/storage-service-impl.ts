import * as grpc from '@grpc/grpc-js';
import { DynamoDbError, ServiceUnavailableException, type Item } from '@triad/model';
import { WRITE_QUORUM, partitionOfKey, type Placement } from '@triad/ring';
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
import type { HintedHandoff } from './hinted-handoff';
import type { AdminOperations } from './admin-operations';
import type { Logger } from '@triad/observability';
import { applyItemOp } from './apply-item-op';
import { StaleTermError, type PeerClients } from './peer-clients';
import { awaitQuorum } from './quorum';
import { compareVersions, decodeRecord, encodeRecord, recordItem, type StoredRecord, type Version } from './record-codec';
import type { IndexWrite } from './index-writes';
import { OUTBOX_PREFIX, itemKeyOfOutbox, mergeOutbox, outboxDeliveries, outboxKeyOf, type Outbox } from './global-index-outbox';
import type { GlobalIndexPropagator } from './global-index-propagator';
import { COLLECTION_PREFIX, collectionKeyOf, collectionSizeAfter } from './item-collection';
import type { StagedRecord } from './replica-state';
import type { ReplicaState } from './replica-state';
import type { RocksStore } from './rocks-store';
import { dataKey, itemKeyOf, partitionPrefix, prefixEnd } from './storage-keys';
import type { StorageMetrics } from './storage-metrics';
import { VersionClock } from './version-clock';
import type { Leadership } from './leadership';
import type { Movement } from './movement';
import type { PrefixStats } from './prefix-stats';

export interface StorageServiceComponents {
  nodeId: string;
  zone: string;
  store: RocksStore;
  replicas: ReplicaState;
  ring: Placement;
  peers: PeerClients;
  metrics: StorageMetrics;
  log: Logger;
  handoff: HintedHandoff;
  leadership: Leadership;
  admin: AdminOperations;
  movement: Movement;
  /** The item collection size limit of tables with local indexes (DynamoDB's 10 GB unless configured). */
  itemCollectionBytesMax: number;
  prefixStats: PrefixStats;
  onElectionPacket: (packet: ElectionPacket) => Promise<ElectionPacket>;
}

const EMPTY = Buffer.alloc(0);

/** The size an item collection's counter record holds (0 without one). */
function collectionBytesOf(counter: StoredRecord | undefined): number {
  return counter && !counter.tombstone ? (recordItem(counter) as unknown as { bytes: number }).bytes : 0;
}

/**
 * A storage node's gRPC service: leader-side item operations with majority replication,
 * follower-side application of replicated records, and local reads.
 */
export class StorageServiceImpl implements StorageNodeService {
  /** Writes this leader has sent and not yet seen on a majority, by key: strong reads wait for them. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** The same writes by partition: a leader handing a partition over waits for them. */
  private readonly inFlightByPartition = new Map<number, Set<Promise<void>>>();
  private readonly clock = new VersionClock();
  /** Delivers global index entries; set once created (it retires outboxes through this service). */
  globalIndexes?: GlobalIndexPropagator;
  private readonly partitionOf = (encoded: Uint8Array) => partitionOfKey(encoded, this.c.ring.partitionCount);

  constructor(private readonly c: StorageServiceComponents) {}

  async execute(request: ExecuteBatch): Promise<ExecuteBatchReply> {
    const results = await Promise.all(request.ops.map((op) => this.executeOne(op)));
    return { results };
  }

  /** Resolves once every write this node sent for the partition has reached a majority or failed. */
  async writesSettled(partition: number): Promise<void> {
    const pending = this.inFlightByPartition.get(partition);
    if (pending && pending.size > 0) await Promise.allSettled([...pending]);
  }

  private notLeader(partition: number): OpResult {
    return { errorName: NOT_LEADER, errorMessage: this.c.leadership.leaderHint(partition) ?? '', body: EMPTY };
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
    return this.c.leadership.isServingLeader(partition);
  }

  private async executeOne(op: ItemOp): Promise<OpResult> {
    if (!this.mayServe(op.kind, op.partition)) return this.notLeader(op.partition);
    try {
      const { result, durable } = await this.c.replicas.withKey(op.partition, op.key, async (key) => {
        // Decide only on committed state: a write of this key still on its way to a majority may
        // yet fail, and a condition or a read must not have seen it then.
        await this.inFlight.get(key.toString('latin1'))?.catch(() => undefined);
        // That write may have failed and paused the partition (or the lease ran out while waiting).
        if (!this.mayServe(op.kind, op.partition)) return { result: undefined, durable: Promise.resolve() };
        const current = await this.c.replicas.current(key);
        const body = decodeJson<ItemOpBody>(op.body) ?? {};
        const outcome = applyItemOp(op.kind, body, current && !current.tombstone ? recordItem(current) : undefined, this.partitionOf);
        outcome.result.sizeBytes = Math.max(current?.sizeBytes ?? 0, outcome.write?.sizeBytes ?? 0);
        const local = outcome.indexWrites.filter((w) => w.partition === undefined);
        const global = outcome.indexWrites.filter((w) => w.partition !== undefined);
        if (op.kind === 'OP_KIND_REINDEX') {
          // A backfill writes the entries of the item as it is, at its own version: a newer write's entries win.
          if (!current) return { result: outcome.result, durable: Promise.resolve() };
          const records = await this.indexRecords(op.partition, current.version, local, true);
          return {
            result: outcome.result,
            durable: Promise.all([
              records.length > 0 ? this.commit(op.partition, key, records) : undefined,
              global.length > 0 ? this.propagator.deliver(outboxDeliveries(mergeOutbox(undefined, global, current.version))) : undefined,
            ]).then(() => undefined),
          };
        }
        const collection = body.indexes?.some((index) => index.local) ? collectionKeyOf(op.key, body.tableKeySchema!) : undefined;
        if (!outcome.write) {
          if (collection) outcome.result.collectionBytes = collectionBytesOf(await this.c.replicas.current(dataKey(op.partition, collection)));
          return { result: outcome.result, durable: Promise.resolve() };
        }
        const version = this.clock.next(this.c.leadership.termOf(op.partition), current?.version);
        const value = encodeRecord(version, outcome.write.item, outcome.write.sizeBytes);
        const records: StagedRecord[] = [
          { itemKey: op.key, key, value, previous: current },
          ...(await this.indexRecords(op.partition, version, local, false)),
        ];
        const outbox = global.length > 0 ? await this.outboxRecord(op.partition, op.key, version, global) : undefined;
        if (outbox) records.push(outbox);
        const { committed } = collection
          ? await this.commitCountingCollection(op.partition, collection, key, records, outcome.result)
          : { committed: this.commit(op.partition, key, records) };
        if (outbox) committed.then(() => this.propagator.notify(op.partition, outbox.itemKey), () => undefined);
        return { result: outcome.result, durable: committed };
      });
      await durable;
      if (!result) return this.notLeader(op.partition);
      this.c.metrics.itemOps.inc({ kind: op.kind, outcome: 'ok' });
      return { errorName: '', errorMessage: '', body: encodeJson(result) };
    } catch (error) {
      return this.errorResult(op, error);
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
   * The records of an item's index entries, at the item's version. Only this item ever writes
   * these keys, under its lock; `onlyIfNewer` skips entries that already hold that version or newer.
   */
  private async indexRecords(partition: number, version: Version, writes: IndexWrite[], onlyIfNewer: boolean): Promise<StagedRecord[]> {
    const records: StagedRecord[] = [];
    for (const write of writes) {
      const key = dataKey(partition, write.key);
      const previous = await this.c.replicas.current(key);
      if (onlyIfNewer && previous && compareVersions(previous.version, version) >= 0) continue;
      records.push({ itemKey: write.key, key, value: encodeRecord(version, write.item, write.sizeBytes), previous });
    }
    return records;
  }

  private get propagator(): GlobalIndexPropagator {
    if (!this.globalIndexes) throw new Error('global index propagator not started');
    return this.globalIndexes;
  }

  /** The item's outbox record after this change: its global index writes merged into what is still undelivered. */
  private async outboxRecord(partition: number, itemKey: Buffer, version: Version, writes: IndexWrite[]): Promise<StagedRecord> {
    const outboxKey = outboxKeyOf(itemKey);
    const key = dataKey(partition, outboxKey);
    const previous = await this.c.replicas.current(key);
    const pending = previous && !previous.tombstone ? (recordItem(previous) as unknown as Outbox) : undefined;
    const outbox = mergeOutbox(pending, writes, version);
    return { itemKey: outboxKey, key, value: encodeRecord(version, outbox as never, 0), previous };
  }

  /**
   * Commits a write of a table with local indexes with its item collection's new size (see
   * item-collection.ts), under the collection's lock so that writes of its items count in turn;
   * refuses a write that would grow the collection past the limit. Reports the size in `result`.
   */
  private commitCountingCollection(
    partition: number,
    collection: Buffer,
    key: Buffer,
    records: StagedRecord[],
    result: OpResultBody,
  ): Promise<{ committed: Promise<void> }> {
    return this.c.replicas.withKey(partition, collection, async (counterKey) => {
      const counter = await this.c.replicas.current(counterKey);
      const liveBytes = (record: StoredRecord | undefined) => (record && !record.tombstone ? record.sizeBytes : 0);
      const delta = records.reduce((sum, r) => sum + decodeRecord(r.value).sizeBytes - liveBytes(r.previous), 0);
      const bytes = collectionSizeAfter(collectionBytesOf(counter), delta, this.c.itemCollectionBytesMax);
      result.collectionBytes = bytes;
      if (delta !== 0) {
        const version = this.clock.next(this.c.leadership.termOf(partition), counter?.version);
        records.push({ itemKey: collection, key: counterKey, value: encodeRecord(version, { bytes } as never, 0), previous: counter });
      }
      return { committed: this.commit(partition, key, records) };
    });
  }

  /**
   * Removes an item's outbox record once its entries are delivered: a tombstone, committed like a
   * write, unless a newer change of the item replaced the record meanwhile or this node no longer leads.
   */
  async retireOutbox(partition: number, outboxKey: Buffer, delivered: Version): Promise<void> {
    const { durable } = await this.c.replicas.withKey(partition, itemKeyOfOutbox(outboxKey), async () => {
      const key = dataKey(partition, outboxKey);
      const current = await this.c.replicas.current(key);
      if (!this.c.leadership.isServingLeader(partition) || !current || current.tombstone || compareVersions(current.version, delivered) !== 0) {
        return { durable: Promise.resolve() };
      }
      const version = this.clock.next(this.c.leadership.termOf(partition), current.version);
      return { durable: this.commit(partition, key, [{ itemKey: outboxKey, key, value: encodeRecord(version, undefined, 0), previous: current }]) };
    });
    await durable;
  }

  /**
   * Writes an item's records (the item and its index entries) locally in one batch and to the
   * followers; resolves once a majority holds all of them durably. `key` is the item's own key.
   */
  private commit(partition: number, key: Buffer, records: StagedRecord[]): Promise<void> {
    const local = this.c.replicas.stageAll(partition, records);
    this.c.movement.forwardToIncoming(partition, records);
    const followers = this.c.ring.replicaSet(partition).filter((n) => n.id !== this.c.nodeId);
    const remote = followers.map((follower) =>
      Promise.all(
        records.map((record) =>
          this.c.peers.replicate(follower, { partition, key: record.itemKey, value: record.value }).catch(async (error: unknown) => {
            this.c.metrics.replicationFailures.inc({ follower: follower.id });
            // A follower that is unreachable gets the record later; one with a newer term must not.
            if (!(error instanceof StaleTermError)) await this.c.handoff.hint(follower, partition, record.itemKey, record.value);
            throw error;
          }),
        ),
      ),
    );
    const lockKey = key.toString('latin1');
    const quorum = awaitQuorum([local, ...remote], WRITE_QUORUM).catch((error: unknown) => {
      this.c.log.warn('write lacks a majority', { partition, error: String(error) });
      // Its copy now holds a write the others may never get: serve nothing here until they agree.
      this.c.leadership.reconfirm(partition);
      throw new ServiceUnavailableException('The partition has no majority of its replicas reachable; retry the request');
    });
    this.inFlight.set(lockKey, quorum);
    let ofPartition = this.inFlightByPartition.get(partition);
    if (!ofPartition) this.inFlightByPartition.set(partition, (ofPartition = new Set()));
    ofPartition.add(quorum);
    const forget = () => {
      if (this.inFlight.get(lockKey) === quorum) this.inFlight.delete(lockKey);
      ofPartition!.delete(quorum);
    };
    quorum.then(forget, forget);
    return quorum;
  }

  async replicate(request: ReplicateBatch): Promise<ReplicateBatchReply> {
    const refusedIndexes: number[] = [];
    const accepted = request.fromLeader
      ? request.records.filter((r, i) => {
          const ok = this.c.leadership.acceptsReplication(r.partition, decodeRecord(r.value).version.term, request.from ?? '');
          if (!ok) refusedIndexes.push(i);
          return ok;
        })
      : request.records.filter((r) => this.c.movement.receives(r.partition)); // nothing of a partition that moved away
    // A term adopted from these records must be on disk before they are acknowledged.
    if (request.fromLeader) await this.c.leadership.persisted();
    const applied = await Promise.all(accepted.map((r) => this.c.replicas.applyIfNewer(r.partition, r.key, r.value)));
    if (request.fromLeader) {
      const nowUs = Date.now() * 1000;
      // Versions are hybrid clocks in microseconds: their age is the replication lag.
      for (const r of accepted) this.c.metrics.replicationLagSeconds.observe(Math.max(0, nowUs - decodeRecord(r.value).version.seq) / 1e6);
    }
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
    return this.c.onElectionPacket(request);
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
    if (request.consistent && !UNSAFE_FOLLOWER_READS) {
      const notLed = request.ranges.find((r) => !this.c.leadership.isServingLeader(r.partition));
      if (notLed) {
        throw Object.assign(new Error(`${NOT_LEADER}:${this.c.leadership.leaderHint(notLed.partition) ?? ''}`), {
          grpcCode: grpc.status.FAILED_PRECONDITION,
        });
      }
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
    this.c.metrics.rangeReads.inc(items.length);
    // A page that stopped exactly at its limit may have read the last item; the caller asks once more.
    return { items, exhausted: !full() };
  }

  async dropTable(request: DropTableRequest): Promise<DropTableReply> {
    for (let p = 0; p <= this.c.ring.partitionCount; p++) {
      await this.c.store.clearRange(dataKey(p, request.tableId), dataKey(p, prefixEnd(request.tableId)));
      // Undelivered global index entries and item collection sizes of a dropped table go with it.
      for (const prefix of [OUTBOX_PREFIX, COLLECTION_PREFIX]) {
        const start = Buffer.concat([prefix, request.tableId]);
        await this.c.store.clearRange(dataKey(p, start), dataKey(p, prefixEnd(start)));
      }
    }
    this.c.log.info('dropped table data', { tableId: request.tableId.toString('hex') });
    return { deleted: 0 };
  }

  async ping(): Promise<PingReply> {
    return { nodeId: this.c.nodeId, zone: this.c.zone };
  }
}
