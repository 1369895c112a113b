/** TypeScript shapes of proto/triad/storage.proto messages as @grpc/proto-loader presents them. */
export type OpKind = 'OP_KIND_UNSPECIFIED' | 'OP_KIND_GET' | 'OP_KIND_PUT' | 'OP_KIND_DELETE' | 'OP_KIND_UPDATE' | 'OP_KIND_REINDEX';

export interface ItemOp {
  partition: number;
  key: Buffer;
  kind: OpKind;
  body: Buffer;
}
export interface OpResult {
  errorName: string;
  errorMessage: string;
  body: Buffer;
}
/** batchId, errorCode, errorMessage: on a stream (see batch-stream.ts). */
export interface ExecuteBatch { ops: ItemOp[]; batchId?: number }
export interface ExecuteBatchReply { results: OpResult[]; batchId?: number; errorCode?: number; errorMessage?: string }

export interface ReadKey { partition: number; key: Buffer }
export interface ReadResult { found: boolean; item: Buffer; /** The node does not hold the partition: ask another replica. */ notHeld?: boolean }
export interface ReadBatch {
  keys: ReadKey[];
  /** On a ReadStream, the caller's number for the batch, which its reply carries back. */
  batchId?: number;
}
export interface ReadBatchReply {
  results: ReadResult[];
  /** On a ReadStream: the batch answered. */
  batchId?: number;
  /** On a ReadStream: a batch that failed, with the gRPC status a unary Read would have ended with (0: none). */
  errorCode?: number;
  errorMessage?: string;
}

export interface PartitionRange {
  partition: number;
  start: Buffer;
  startExclusive: boolean;
  end: Buffer;
  endInclusive: boolean;
}
export interface RangeRequest {
  ranges: PartitionRange[];
  reverse: boolean;
  limit: number;
  byteLimit: number;
  consistent?: boolean;
  /** Inspection: this node's own copy, even of a partition it does not hold. */
  localOnly?: boolean;
}
export interface RangeItem { partition: number; key: Buffer; item: Buffer; sizeBytes: number }
export interface RangeReply { items: RangeItem[]; exhausted: boolean }

export interface ReplicatedRecord { partition: number; key: Buffer; value: Buffer }
export interface ReplicateBatch { records: ReplicatedRecord[]; fromLeader: boolean; /** The sender's node id (required with fromLeader). */ from?: string; batchId?: number }
export interface ReplicateBatchReply { applied: number; refused: number; refusedIndexes?: number[]; batchId?: number; errorCode?: number; errorMessage?: string }

export interface DropTableRequest { tableId: Buffer }
export interface DropTableReply { deleted: number }

export interface PingRequest { from: string }
export interface PingReply { nodeId: string; zone: string; knownGenerationOfCaller?: number; layoutEpoch?: number }

export interface MerkleRootsRequest { partitions: number[] }
export interface MerkleRootsReply { roots: string[] }
export interface MerkleDigestsRequest { partition: number; level: number; indices: number[] }
export interface MerkleDigestsReply { digests: string[] }
export interface BucketRecordsRequest { partition: number; buckets: number[] }
export interface BucketRecordsReply { records: ReplicatedRecord[] }
export interface ElectionPacket { from: string; payload: Buffer; log?: Buffer; generation?: number; batchId?: number; errorCode?: number; errorMessage?: string }
export interface StoreHintsRequest { target: string; records: ReplicatedRecord[] }
export interface StoreHintsReply { stored: number }

export interface NodeStatusRequest {}
export interface NodeStatusReply {
  nodeId: string;
  zone: string;
  partitionsHeld: number[];
  partitionsLed: number[];
  hintsPending: number;
  diskBytes: number;
  draining: boolean;
  layoutEpoch?: number;
  moves?: MoveProgress[];
}
export interface MoveProgress { partition: number; incoming: string[]; phase: string; recordsSent: number; recordsScanned: number; recordsTotal: number }
export interface RepairRequest { partitions: number[] }
export interface RepairReply { partitionsRepaired: number; bucketsDiffering: number; recordsPulled: number; recordsPushed: number }
export interface DrainRequest { draining: boolean }
export interface DrainReply { partitionsLed: number }
export interface GetLayoutRequest { knownEpoch: number }
export interface SetLayoutRequest { layout: Buffer }
export interface LayoutReply { epoch: number; layout: Buffer }
export interface MovePartitionRequest { partition: number; minEpoch: number }
export type MoveStatus = 'MOVE_STATUS_UNSPECIFIED' | 'MOVE_STATUS_DONE' | 'MOVE_STATUS_NOT_LEADER' | 'MOVE_STATUS_RETRY';
export interface MovePartitionReply { status: MoveStatus; leaderHint: string; epoch: number; recordsStreamed: number; detail: string }
/** Per 8-byte key prefix (table or index id), live records and their sizes in the given partitions. */
export interface PrefixStatsRequest { prefixes: Buffer[]; partitions: number[] }
export interface PrefixStat { items: number; sizeBytes: number }
export interface PrefixStatsReply { stats: PrefixStat[]; partitionsNotHeld: number[] }

/** The service as a storage node implements it (promise-based; the server adapter wraps it). */
export interface StorageNodeService {
  execute(request: ExecuteBatch): Promise<ExecuteBatchReply>;
  read(request: ReadBatch): Promise<ReadBatchReply>;
  readRange(request: RangeRequest): Promise<RangeReply>;
  replicate(request: ReplicateBatch): Promise<ReplicateBatchReply>;
  dropTable(request: DropTableRequest): Promise<DropTableReply>;
  ping(request: PingRequest): Promise<PingReply>;
  merkleRoots(request: MerkleRootsRequest): Promise<MerkleRootsReply>;
  merkleDigests(request: MerkleDigestsRequest): Promise<MerkleDigestsReply>;
  bucketRecords(request: BucketRecordsRequest): Promise<BucketRecordsReply>;
  election(request: ElectionPacket): Promise<ElectionPacket>;
  storeHints(request: StoreHintsRequest): Promise<StoreHintsReply>;
  nodeStatus(request: NodeStatusRequest): Promise<NodeStatusReply>;
  repair(request: RepairRequest): Promise<RepairReply>;
  drain(request: DrainRequest): Promise<DrainReply>;
  getLayout(request: GetLayoutRequest): Promise<LayoutReply>;
  setLayout(request: SetLayoutRequest): Promise<LayoutReply>;
  movePartition(request: MovePartitionRequest): Promise<MovePartitionReply>;
  prefixStats(request: PrefixStatsRequest): Promise<PrefixStatsReply>;
}
