import * as grpc from '@grpc/grpc-js';
import { DynamoDbError, ServiceUnavailableException, type Item } from '@triad/model';
import { WRITE_QUORUM, type Placement } from '@triad/ring';
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
import type { StagedRecord } from './replica-state';
import type { ReplicaState } from './replica-state';
import type { RocksStore } from './rocks-store';
import { dataKey, itemKeyOf, partitionPrefix, prefixEnd } from './storage-keys';
import type { StorageMetrics } from './storage-metrics';
import { VersionClock } from './version-clock';
import type { Leadership } from './leadership';
import type { Movement } from './movement';

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
  onElectionPacket: (packet: ElectionPacket) => Promise<ElectionPacket>;
}

const EMPTY = Buffer.alloc(0);

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
        const outcome = applyItemOp(op.kind, body, current && !current.tombstone ? recordItem(current) : undefined);
        outcome.result.sizeBytes = Math.max(current?.sizeBytes ?? 0, outcome.write?.sizeBytes ?? 0);
        if (op.kind === 'OP_KIND_REINDEX') {
          // A backfill writes the entries of the item as it is, at its own version: a newer write's entries win.
          const records = current ? await this.indexRecords(op.partition, current.version, outcome.indexWrites, true) : [];
          return { result: outcome.result, durable: records.length > 0 ? this.commit(op.partition, key, records) : Promise.resolve() };
        }
        if (!outcome.write) return { result: outcome.result, durable: Promise.resolve() };
        const version = this.clock.next(this.c.leadership.termOf(op.partition), current?.version);
        const value = encodeRecord(version, outcome.write.item, outcome.write.sizeBytes);
        const records: StagedRecord[] = [
          { itemKey: op.key, key, value, previous: current },
          ...(await this.indexRecords(op.partition, version, outcome.indexWrites, false)),
        ];
        return { result: outcome.result, durable: this.commit(op.partition, key, records) };
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
    const rangeExhausted: boolean[] = [];
    let bytes = 0;
    // Per range, the limits restart with each range; otherwise they count the whole request.
    let counted = 0;
    const full = () => (request.limit > 0 && items.length - counted >= request.limit) || (request.byteLimit > 0 && bytes >= request.byteLimit);
    for (const range of request.ranges) {
      if (request.perRange) {
        counted = items.length;
        bytes = 0;
      } else if (full()) {
        return { items, exhausted: false };
      }
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
      rangeExhausted.push(!full());
    }
    const notHeld = request.localOnly ? undefined : request.ranges.find((r) => !this.c.movement.holds(r.partition));
    if (notHeld) {
      // Checked after reading, as for point reads; the router tries another replica.
      throw Object.assign(new Error(`${NOT_LEADER}:`), { grpcCode: grpc.status.FAILED_PRECONDITION });
    }
    this.c.metrics.rangeReads.inc(items.length);
    // A page that stopped exactly at its limit may have read the last item; the caller asks once more.
    if (request.perRange) return { items, exhausted: rangeExhausted.every(Boolean), rangeExhausted };
    return { items, exhausted: !full() };
  }

  async dropTable(request: DropTableRequest): Promise<DropTableReply> {
    for (let p = 0; p <= this.c.ring.partitionCount; p++) {
      await this.c.store.clearRange(dataKey(p, request.tableId), dataKey(p, prefixEnd(request.tableId)));
    }
    this.c.log.info('dropped table data', { tableId: request.tableId.toString('hex') });
    return { deleted: 0 };
  }

  async ping(): Promise<PingReply> {
    return { nodeId: this.c.nodeId, zone: this.c.zone };
  }
}
