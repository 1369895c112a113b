import * as grpc from '@grpc/grpc-js';
import { realEnvironment, systemDeadline, type Environment } from '@triad/runtime';
import { faultGate } from './fault-gate';
import { channelCredentials, channelOptions, serverCredentials, type GrpcSecurity } from './grpc-tls';
import { CHANNEL_OPTIONS, loadProto } from './proto-loader';
import { BatchStreamClient, BatchStreamServer } from './batch-stream';
import type { ElectionPacket, ExecuteBatch, ExecuteBatchReply, ReadBatch, ReadBatchReply, ReplicateBatch, ReplicateBatchReply, StorageNodeService } from './storage-messages';

type ServiceConstructor = grpc.ServiceClientConstructor;

/** A MovePartition call streams one partition; at a few thousand records per second, 10 minutes covers millions. */
export const MOVE_PARTITION_DEADLINE_MS = 600_000;
/** A PrefixStats call walks every partition it names on disk, after any such walk already queued there. */
export const PREFIX_STATS_DEADLINE_MS = 600_000;
/**
 * Prefixes per PrefixStats request: DynamoDB's default quota of 2,500 tables, each with its own id
 * and up to 5 local and 20 global indexes, needs 65,000.
 */
export const PREFIX_STATS_PREFIXES_MAX = 65_536;

/**
 * Calls that take longer than a connection's deadline, whatever it is, and their own deadlines
 * (every implementation of StorageNodeConnection gives them these): dropping a table walks every
 * partition on disk; a bucket exchange may carry a large part of a partition; a repair walks
 * whole partitions; a move streams a whole partition before it answers.
 */
export const LONG_CALL_DEADLINES_MS = {
  dropTable: 60_000,
  bucketRecords: 60_000,
  repair: 600_000,
  movePartition: MOVE_PARTITION_DEADLINE_MS,
  prefixStats: PREFIX_STATS_DEADLINE_MS,
} as const;

function storageServiceConstructor(): ServiceConstructor {
  const loaded = loadProto('triad/storage.proto') as unknown as {
    triad: { storage: { v1: { StorageNode: ServiceConstructor } } };
  };
  return loaded.triad.storage.v1.StorageNode;
}

const METHODS: (keyof StorageNodeService)[] = [
  'execute',
  'read',
  'readRange',
  'replicate',
  'dropTable',
  'ping',
  'merkleRoots',
  'merkleDigests',
  'bucketRecords',
  'election',
  'storeHints',
  'nodeStatus',
  'repair',
  'drain',
  'getLayout',
  'setLayout',
  'movePartition',
  'prefixStats',
];

/** Errors a handler throws travel as gRPC INTERNAL with the message; typed results travel in replies. */
function unaryHandler<Req, Res>(handler: (request: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    handler(call.request).then(
      (reply) => callback(null, reply),
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        const code = (error as { grpcCode?: grpc.status }).grpcCode ?? grpc.status.INTERNAL;
        callback({ code, details: message, name: 'Error', message });
      },
    );
  };
}

/** The calls that also travel as batches on a long-lived stream (see batch-stream.ts), by stream method. */
function batchStreams(service: StorageNodeService) {
  return {
    ReadStream: new BatchStreamServer<ReadBatch, ReadBatchReply>((r) => service.read(r), () => ({ results: [] })),
    ExecuteStream: new BatchStreamServer<ExecuteBatch, ExecuteBatchReply>((r) => service.execute(r), () => ({ results: [] })),
    ReplicateStream: new BatchStreamServer<ReplicateBatch, ReplicateBatchReply>((r) => service.replicate(r), () => ({ applied: 0, refused: 0 })),
    ElectionStream: new BatchStreamServer<ElectionPacket, ElectionPacket>((r) => service.election(r), () => ({ from: '', payload: Buffer.alloc(0) })),
  };
}

/** The storage node's gRPC server: a graceful shutdown first ends the clients' open batch streams. */
class StorageGrpcServer extends grpc.Server {
  constructor(private readonly streams: { close(): void }[]) {
    super(CHANNEL_OPTIONS);
  }

  override tryShutdown(callback: (error?: Error) => void): void {
    for (const stream of this.streams) stream.close();
    super.tryShutdown(callback);
  }
}

/** Starts a gRPC server for the storage service; resolves with the bound port. */
export async function startStorageServer(
  service: StorageNodeService,
  address: string,
  /** Mutual TLS with the cluster CA (clients without a certificate it signed are refused), or plaintext. */
  security: GrpcSecurity,
  /** Adds the process's other services (membership) before the server binds. */
  addServices: (server: grpc.Server) => void = () => undefined,
): Promise<{ server: grpc.Server; port: number }> {
  const streams = batchStreams(service);
  const server = new StorageGrpcServer(Object.values(streams));
  addServices(server);
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of METHODS) {
    const handler = service[method].bind(service) as (request: unknown) => Promise<unknown>;
    // proto-loader names methods in PascalCase; the service object's keys follow the proto.
    const protoName = method[0].toUpperCase() + method.slice(1);
    implementation[protoName] = unaryHandler(handler);
  }
  for (const [method, stream] of Object.entries(streams)) implementation[method] = stream.handler as grpc.UntypedHandleCall;
  server.addService(storageServiceConstructor().service, implementation);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, serverCredentials(security), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
  });
  return { server, port };
}

type Request<M extends keyof StorageNodeService> = Parameters<StorageNodeService[M]>[0];
type Reply<M extends keyof StorageNodeService> = Awaited<ReturnType<StorageNodeService[M]>>;

/** A promise-based client for one storage node, every call bounded by a deadline. */
export class StorageNodeClient implements StorageNodeService {
  private readonly client: grpc.Client;
  private readonly reads: BatchStreamClient<ReadBatch, ReadBatchReply>;
  private readonly executes: BatchStreamClient<ExecuteBatch, ExecuteBatchReply>;
  private readonly replications: BatchStreamClient<ReplicateBatch, ReplicateBatchReply>;
  private readonly elections: BatchStreamClient<ElectionPacket, ElectionPacket>;

  /**
   * `deadlineMs` bounds every call; `executeDeadlineMs` (default the same) bounds item operations,
   * whose writes a leader answers definitively within its own, shorter wait. `env` times the
   * batches on the streams (grpc-js times unary calls itself). `security`: the cluster's mutual
   * TLS (see grpc-tls.ts), or plaintext.
   */
  constructor(
    readonly address: string,
    private readonly deadlineMs: number,
    security: GrpcSecurity,
    { executeDeadlineMs = deadlineMs, env = realEnvironment }: { executeDeadlineMs?: number; env?: Environment } = {},
  ) {
    const Constructor = storageServiceConstructor();
    this.client = new Constructor(address, channelCredentials(security), channelOptions(security));
    this.reads = new BatchStreamClient(this.client, address, 'ReadStream', deadlineMs, (request) => this.call('read', request), env);
    this.executes = new BatchStreamClient(this.client, address, 'ExecuteStream', executeDeadlineMs, (request) => this.call('execute', request, executeDeadlineMs), env);
    this.replications = new BatchStreamClient(this.client, address, 'ReplicateStream', deadlineMs, (request) => this.call('replicate', request), env);
    this.elections = new BatchStreamClient(this.client, address, 'ElectionStream', deadlineMs, (request) => this.call('election', request), env);
  }

  private call<M extends keyof StorageNodeService>(method: M, request: Request<M>, deadlineMs = this.deadlineMs): Promise<Reply<M>> {
    const protoName = method[0].toUpperCase() + method.slice(1);
    const fn = (this.client as unknown as Record<string, Function>)[protoName];
    const faulted = faultGate.intercept(this.address, deadlineMs);
    if (faulted) return faulted;
    return new Promise((resolve, reject) => {
      fn.call(this.client, request, { deadline: systemDeadline(deadlineMs) }, (error: grpc.ServiceError | null, reply: Reply<M>) =>
        error ? reject(error) : resolve(reply),
      );
    });
  }

  // Frequent calls travel on the node's batch streams (see batch-stream.ts); each batch has the call deadline.
  execute = (request: Request<'execute'>) => faultGate.interceptPartitions(request.ops) ?? this.executes.send(request);
  read = (request: Request<'read'>) => faultGate.interceptPartitions(request.keys) ?? this.reads.send(request);
  readRange = (request: Request<'readRange'>) => faultGate.interceptPartitions(request.ranges) ?? this.call('readRange', request);
  replicate = (request: Request<'replicate'>) => this.call('replicate', request);
  /**
   * Replicate on the node's stream: for a leader's small, frequent batches. Bulk transfers (repair,
   * hints, partition moves) keep unary calls, so that a large message never holds up a leader's
   * writes behind it on the one stream.
   */
  replicateOnStream = (request: Request<'replicate'>) => this.replications.send(request);
  dropTable = (request: Request<'dropTable'>) => this.call('dropTable', request, LONG_CALL_DEADLINES_MS.dropTable);
  ping = (request: Request<'ping'>, deadlineMs?: number) => this.call('ping', request, deadlineMs);
  merkleRoots = (request: Request<'merkleRoots'>) => this.call('merkleRoots', request);
  merkleDigests = (request: Request<'merkleDigests'>) => this.call('merkleDigests', request);
  bucketRecords = (request: Request<'bucketRecords'>) => this.call('bucketRecords', request, LONG_CALL_DEADLINES_MS.bucketRecords);
  election = (request: Request<'election'>) => this.elections.send(request);
  storeHints = (request: Request<'storeHints'>) => this.call('storeHints', request);
  nodeStatus = (request: Request<'nodeStatus'>) => this.call('nodeStatus', request);
  repair = (request: Request<'repair'>) => this.call('repair', request, LONG_CALL_DEADLINES_MS.repair);
  drain = (request: Request<'drain'>) => this.call('drain', request);
  getLayout = (request: Request<'getLayout'>, deadlineMs?: number) => this.call('getLayout', request, deadlineMs);
  setLayout = (request: Request<'setLayout'>, deadlineMs?: number) => this.call('setLayout', request, deadlineMs);
  movePartition = (request: Request<'movePartition'>, deadlineMs: number = LONG_CALL_DEADLINES_MS.movePartition) => this.call('movePartition', request, deadlineMs);
  prefixStats = (request: Request<'prefixStats'>, deadlineMs: number = LONG_CALL_DEADLINES_MS.prefixStats) => this.call('prefixStats', request, deadlineMs);

  close(): void {
    for (const stream of [this.reads, this.executes, this.replications, this.elections]) stream.close();
    this.client.close();
  }
}

/** gRPC failures that mean "this node did not do it": try another replica or report retriable. */
export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: number }).code;
  return code === grpc.status.UNAVAILABLE || code === grpc.status.DEADLINE_EXCEEDED || code === grpc.status.CANCELLED;
}

/**
 * gRPC failures after which the request certainly did not reach the node (no connection, or our
 * own fault gate): a write may be sent elsewhere. After any other failure (a deadline, a dropped
 * connection) the node may have applied it, and resending a conditional write or a counter update
 * could apply it twice.
 */
export function certainlyNotSent(error: unknown): boolean {
  const { code, details, message } = error as { code?: number; details?: string; message?: string };
  if (code !== grpc.status.UNAVAILABLE) return false;
  const text = `${details ?? ''} ${message ?? ''}`;
  return /No connection established|ECONNREFUSED|fault injection|draining|The node is shutting down/.test(text);
}
