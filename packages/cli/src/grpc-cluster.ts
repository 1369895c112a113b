import { Ring, layoutEpoch, parseClusterLayout, type ClusterLayout, type StorageNodeInfo } from '@triad/ring';
import { StorageNodeClient, type GrpcSecurity, type MovePartitionReply, type MoveProgress } from '@triad/rpc';
import type { ChangeCluster } from './change-runner';

/** Admin calls wait this long for a node that does not answer (MovePartition has its own, long deadline). */
export const ADMIN_CALL_DEADLINE_MS = 5_000;

/** The cluster as the CLI reaches it: one gRPC client per storage node address, with the cluster's mutual TLS. */
export class GrpcChangeCluster implements ChangeCluster {
  private readonly clients = new Map<string, StorageNodeClient>();

  constructor(private readonly security: GrpcSecurity) {}

  client(node: StorageNodeInfo): StorageNodeClient {
    let client = this.clients.get(node.address);
    if (!client) {
      client = new StorageNodeClient(node.address, ADMIN_CALL_DEADLINE_MS, this.security);
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
    return this.client(node).ping({ from: 'triad-cli' }).then(() => true, () => false);
  }

  movePartition(node: StorageNodeInfo, partition: number, minEpoch: number): Promise<MovePartitionReply> {
    return this.client(node).movePartition({ partition, minEpoch });
  }

  async moveProgress(node: StorageNodeInfo): Promise<MoveProgress[]> {
    return (await this.client(node).nodeStatus({})).moves ?? [];
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
