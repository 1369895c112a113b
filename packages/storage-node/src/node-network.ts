import { GrpcMembershipTransport, addMembershipService, type MembershipHandler, type MembershipTransport } from '@triad/membership';
import { grpcStorageConnector, startStorageServer, type GrpcSecurity, type StorageConnector, type StorageNodeService } from '@triad/rpc';
import type { Environment } from '@triad/runtime';

/** What a node serves while it runs: the bound port, and a graceful shutdown. */
export interface ServedNode {
  port: number;
  /** Stops taking calls, ends the clients' open streams once answered, and resolves when closed. */
  close(): Promise<void>;
}

/**
 * Everything a storage node does on the network, as one injected seam (issue 12: the simulator
 * runs the same node code on an in-memory network): it calls other storage nodes through
 * `storage`, gossips through `membership`, and serves the storage and membership services at its
 * address through `serve`. `grpcNodeNetwork` is production's; `@triad/sim` has the simulated one.
 */
export interface StorageNodeNetwork {
  /** Connections to other storage nodes (replication, elections, repair, hints, moves, layouts). */
  readonly storage: StorageConnector;
  /** The membership agent's transport; `selfAddress` is what the node advertises. */
  membership(selfAddress: string): MembershipTransport;
  /** Serves both services at `listen` (host:port) until closed. */
  serve(listen: string, storage: StorageNodeService, membership: MembershipHandler): Promise<ServedNode>;
}

/**
 * gRPC, as every real storage node runs: one server for both services; `env` times the clients'
 * stream batches; `security` is the cluster's mutual TLS on the server and on every client (or
 * plaintext). TLS lives here only: the simulator's network has no such layer.
 */
export function grpcNodeNetwork(env: Environment, security: GrpcSecurity): StorageNodeNetwork {
  return {
    storage: grpcStorageConnector(env, security),
    membership: (selfAddress) => new GrpcMembershipTransport(selfAddress, security),
    serve: async (listen, storage, membership) => {
      const { server, port } = await startStorageServer(storage, listen, security, (grpcServer) => addMembershipService(grpcServer, membership));
      return { port, close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
    },
  };
}
