import { Ring, layoutEpoch, parseClusterLayout, type ClusterLayout, type StorageNodeInfo } from '@triad/ring';
import { grpcStorageConnector, type GrpcSecurity, type MovePartitionReply, type MoveProgress, type StorageConnector, type StorageNodeConnection } from '@triad/rpc';
import { realEnvironment, sleep, type Environment } from '@triad/runtime';
import type { ChangeCluster } from './change-runner';

/** Admin calls wait this long for a node that does not answer (MovePartition has its own, long deadline). */
export const ADMIN_CALL_DEADLINE_MS = 5_000;

/**
 * The cluster as the CLI reaches it: one connection per storage node address, opened through a
 * `StorageConnector` (gRPC in the `triad` command; the simulator's network in `@triad/sim`, which
 * runs the same change runner over simulated links), timed by an `Environment`.
 */
export class NodeChangeCluster implements ChangeCluster {
  private readonly clients = new Map<string, StorageNodeConnection>();

  constructor(
    private readonly connector: StorageConnector,
    /** Times the runner's pauses and its stall limit. */
    private readonly env: Environment,
    /** Named in the pings it sends. */
    private readonly name = 'triad-cli',
  ) {}

  client(node: StorageNodeInfo): StorageNodeConnection {
    let client = this.clients.get(node.address);
    if (!client) {
      client = this.connector.connect(node.address, { deadlineMs: ADMIN_CALL_DEADLINE_MS });
      this.clients.set(node.address, client);
    }
    return client;
  }

  async newestLayout(seed: ClusterLayout): Promise<ClusterLayout> {
    let newest = seed;
    const asked = new Set<string>();
    // A newer layout may name nodes the seed does not (a joining node): ask those too.
    for (;;) {
      const nodes = new Ring(newest).nodes.filter((n) => !asked.has(n.address));
      if (nodes.length === 0) return newest;
      nodes.forEach((n) => asked.add(n.address));
      const replies = await Promise.all(nodes.map((n) => this.client(n).getLayout({ knownEpoch: layoutEpoch(newest) }).catch(() => undefined)));
      for (const reply of replies) {
        if (!reply || reply.layout.length === 0) continue;
        const layout = parseClusterLayout(JSON.parse(reply.layout.toString('utf8')));
        if (layoutEpoch(layout) > layoutEpoch(newest)) newest = layout;
      }
    }
  }

  async pushLayout(layout: ClusterLayout, nodes: readonly StorageNodeInfo[]): Promise<string[]> {
    const payload = Buffer.from(JSON.stringify(layout));
    const results = await Promise.all(
      nodes.map((n) =>
        this.client(n)
          .setLayout({ layout: payload })
          .then((reply) => (Number(reply.epoch) >= layoutEpoch(layout) ? n.id : undefined), () => undefined),
      ),
    );
    return results.filter((id): id is string => id !== undefined);
  }

  async reachable(node: StorageNodeInfo): Promise<boolean> {
    return this.client(node).ping({ from: this.name }).then(() => true, () => false);
  }

  movePartition(node: StorageNodeInfo, partition: number, minEpoch: number): Promise<MovePartitionReply> {
    return this.client(node).movePartition({ partition, minEpoch });
  }

  async moveProgress(node: StorageNodeInfo): Promise<MoveProgress[]> {
    return (await this.client(node).nodeStatus({})).moves ?? [];
  }

  sleep(ms: number): Promise<void> {
    return sleep(this.env, ms);
  }

  nowMs(): number {
    return this.env.monotonicMs();
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}

/** The `triad` command's cluster: gRPC with the cluster's mutual TLS, real time. */
export class GrpcChangeCluster extends NodeChangeCluster {
  constructor(security: GrpcSecurity) {
    super(grpcStorageConnector(realEnvironment, security), realEnvironment);
  }
}
