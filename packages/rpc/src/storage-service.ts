import * as grpc from '@grpc/grpc-js';
import { CHANNEL_OPTIONS, loadProto } from './proto-loader';
import type { StorageNodeService } from './storage-messages';

type ServiceConstructor = grpc.ServiceClientConstructor;

function storageServiceConstructor(): ServiceConstructor {
  const loaded = loadProto('triad/storage.proto') as unknown as {
    triad: { storage: { v1: { StorageNode: ServiceConstructor } } };
  };
  return loaded.triad.storage.v1.StorageNode;
}

const METHODS: (keyof StorageNodeService)[] = ['execute', 'read', 'readRange', 'replicate', 'dropTable', 'ping'];

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

/** Starts a gRPC server for the storage service; resolves with the bound port. */
export async function startStorageServer(
  service: StorageNodeService,
  address: string,
): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server(CHANNEL_OPTIONS);
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of METHODS) {
    const handler = service[method].bind(service) as (request: unknown) => Promise<unknown>;
    // proto-loader names methods in PascalCase; the service object's keys follow the proto.
    const protoName = method[0].toUpperCase() + method.slice(1);
    implementation[protoName] = unaryHandler(handler);
  }
  server.addService(storageServiceConstructor().service, implementation);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
  });
  return { server, port };
}

/** A promise-based client for one storage node, every call bounded by a deadline. */
export class StorageNodeClient implements StorageNodeService {
  private readonly client: grpc.Client;

  constructor(readonly address: string, private readonly deadlineMs: number) {
    const Constructor = storageServiceConstructor();
    this.client = new Constructor(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  private call<Req, Res>(method: string, request: Req, deadlineMs = this.deadlineMs): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const fn = (this.client as unknown as Record<string, Function>)[method];
      fn.call(this.client, request, { deadline: Date.now() + deadlineMs }, (error: grpc.ServiceError | null, reply: Res) =>
        error ? reject(error) : resolve(reply),
      );
    });
  }

  execute(request: Parameters<StorageNodeService['execute']>[0]) {
    return this.call<typeof request, Awaited<ReturnType<StorageNodeService['execute']>>>('Execute', request);
  }
  read(request: Parameters<StorageNodeService['read']>[0]) {
    return this.call<typeof request, Awaited<ReturnType<StorageNodeService['read']>>>('Read', request);
  }
  readRange(request: Parameters<StorageNodeService['readRange']>[0]) {
    return this.call<typeof request, Awaited<ReturnType<StorageNodeService['readRange']>>>('ReadRange', request);
  }
  replicate(request: Parameters<StorageNodeService['replicate']>[0]) {
    return this.call<typeof request, Awaited<ReturnType<StorageNodeService['replicate']>>>('Replicate', request);
  }
  dropTable(request: Parameters<StorageNodeService['dropTable']>[0]) {
    return this.call<typeof request, Awaited<ReturnType<StorageNodeService['dropTable']>>>('DropTable', request, 60_000);
  }
  ping(request: Parameters<StorageNodeService['ping']>[0], deadlineMs?: number) {
    return this.call<typeof request, Awaited<ReturnType<StorageNodeService['ping']>>>('Ping', request, deadlineMs);
  }

  close(): void {
    this.client.close();
  }
}

/** gRPC failures that mean "this node did not do it": try another replica or report retriable. */
export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: number }).code;
  return code === grpc.status.UNAVAILABLE || code === grpc.status.DEADLINE_EXCEEDED || code === grpc.status.CANCELLED;
}
