import type { Environment } from '@triad/runtime';
import type {
  GetLayoutRequest,
  LayoutReply,
  MovePartitionReply,
  MovePartitionRequest,
  PingReply,
  PingRequest,
  PrefixStatsReply,
  PrefixStatsRequest,
  ReplicateBatch,
  ReplicateBatchReply,
  SetLayoutRequest,
  StorageNodeService,
} from './storage-messages';
import { StorageNodeClient } from './storage-service';
import type { GrpcSecurity } from './grpc-tls';

/**
 * The client side of one storage node, as the other processes call it: every method of the
 * service, each bounded by a deadline, and the variants callers choose between. `StorageNodeClient`
 * is the gRPC one; the simulator brings one that delivers to the node's service object in memory.
 * Failures carry gRPC status codes either way (`code`, `details`), so that `isUnreachable` and
 * `certainlyNotSent` read them the same.
 */
export interface StorageNodeConnection extends StorageNodeService {
  readonly address: string;
  /** Replicate on the node's long-lived stream (a leader's small, frequent batches), in order. */
  replicateOnStream(request: ReplicateBatch): Promise<ReplicateBatchReply>;
  ping(request: PingRequest, deadlineMs?: number): Promise<PingReply>;
  getLayout(request: GetLayoutRequest, deadlineMs?: number): Promise<LayoutReply>;
  setLayout(request: SetLayoutRequest, deadlineMs?: number): Promise<LayoutReply>;
  movePartition(request: MovePartitionRequest, deadlineMs?: number): Promise<MovePartitionReply>;
  prefixStats(request: PrefixStatsRequest, deadlineMs?: number): Promise<PrefixStatsReply>;
  /** Ends the connection; calls still pending fail. */
  close(): void;
}

/** The deadlines a connection's calls get unless a call names its own. */
export interface ConnectionDeadlines {
  /** Every call. */
  deadlineMs: number;
  /** Item operations (Execute); default `deadlineMs`. */
  executeDeadlineMs?: number;
}

/**
 * Opens connections to storage nodes: the one seam between a process's code and the network for
 * the storage service (the storage node's peers, the router's storage client and layout follower).
 */
export interface StorageConnector {
  connect(address: string, deadlines: ConnectionDeadlines): StorageNodeConnection;
}

/** Connections over gRPC (production), secured by `security`; `env` times the batches on their streams. */
export function grpcStorageConnector(env: Environment, security: GrpcSecurity): StorageConnector {
  return {
    connect: (address, { deadlineMs, executeDeadlineMs }) => new StorageNodeClient(address, deadlineMs, security, { executeDeadlineMs, env }),
  };
}
