import type { ClusterLayout } from '@triad/ring';
import type { LabOptions } from './options';

/** Names the lab gives to what it creates; `--cleanup` removes everything carrying these prefixes. */
export const NETNS_PREFIX = 'triad-lab-';
export const LINK_PREFIX = 'tlab-';
export const BRIDGE_NAME = `${LINK_PREFIX}br0`;

/** Fixed ports inside namespaces: every host has its own IP, so all may use the same ones. */
const NETNS_STORAGE_PORT = 7000;
const NETNS_METRICS_PORT = 9100;
const NETNS_ROUTER_HTTP_PORT = 8000;
const NETNS_ROUTER_GOSSIP_PORT = 7070;
/** Host numbers in the /24: storage nodes from .10, routers from .100, the bridge (the driver) .254. */
const STORAGE_HOST_BASE = 10;
const ROUTER_HOST_BASE = 100;
const BRIDGE_HOST = 254;

export type NetworkKind = 'netns' | 'loopback';

/** One process of the cluster and, in netns mode, the host (namespace) it runs in. */
export interface LabHost {
  id: string;
  role: 'storage' | 'router';
  zone: string;
  /** Position among all hosts; names its veth (tlab-<index>). */
  index: number;
  /** The IP the process listens on: its namespace's address, or 127.0.0.1. */
  ip: string;
  /** netns mode: the namespace it runs in. */
  netns?: string;
  /** netns mode: the root-side end of its veth pair, enslaved to the bridge. */
  veth?: string;
  /** Addresses (host:port) other processes call this one at over gRPC: what a partition must cut. */
  grpcAddresses: string[];
}

export interface StorageHost extends LabHost {
  role: 'storage';
  address: string;
  metricsPort: number;
}

export interface RouterHost extends LabHost {
  role: 'router';
  httpPort: number;
  gossipAddress: string;
  /** The DynamoDB endpoint the driver uses. */
  endpoint: string;
}

export interface ClusterPlan {
  kind: NetworkKind;
  storage: StorageHost[];
  routers: RouterHost[];
  hosts: LabHost[];
  layout: ClusterLayout;
  /** netns mode: the bridge's address, i.e. where the driver sits. */
  bridgeIp?: string;
}

export function buildPlan(kind: NetworkKind, options: LabOptions): ClusterPlan {
  const storage: StorageHost[] = [];
  const routers: RouterHost[] = [];
  const hostIp = (n: number) => (kind === 'netns' ? `${options.subnet}.${n}` : '127.0.0.1');
  for (let i = 0; i < options.storageNodes; i++) {
    const zone = options.zones[i % options.zones.length];
    const id = `storage-${zone}-${Math.floor(i / options.zones.length) + 1}`;
    const ip = hostIp(STORAGE_HOST_BASE + i);
    const port = kind === 'netns' ? NETNS_STORAGE_PORT : options.basePort + i;
    const address = `${ip}:${port}`;
    storage.push({
      id,
      role: 'storage',
      zone,
      index: i,
      ip,
      address,
      metricsPort: kind === 'netns' ? NETNS_METRICS_PORT : options.basePort + 100 + i,
      grpcAddresses: [address],
    });
  }
  for (let j = 0; j < options.routers; j++) {
    const zone = options.zones[j % options.zones.length];
    const ip = hostIp(ROUTER_HOST_BASE + j);
    const httpPort = kind === 'netns' ? NETNS_ROUTER_HTTP_PORT : options.basePort + 200 + j;
    const gossipAddress = `${ip}:${kind === 'netns' ? NETNS_ROUTER_GOSSIP_PORT : options.basePort + 50 + j}`;
    routers.push({
      id: `router-${j + 1}`,
      role: 'router',
      zone,
      index: options.storageNodes + j,
      ip,
      httpPort,
      gossipAddress,
      endpoint: `http://${ip}:${httpPort}`,
      grpcAddresses: [gossipAddress],
    });
  }
  const hosts: LabHost[] = [...storage, ...routers];
  if (kind === 'netns') {
    for (const host of hosts) {
      host.netns = `${NETNS_PREFIX}${host.id}`;
      host.veth = `${LINK_PREFIX}${host.index}`;
    }
  }
  return {
    kind,
    storage,
    routers,
    hosts,
    layout: { partitionCount: options.partitions, storageNodes: storage.map((s) => ({ id: s.id, zone: s.zone, address: s.address })) },
    bridgeIp: kind === 'netns' ? `${options.subnet}.${BRIDGE_HOST}` : undefined,
  };
}
