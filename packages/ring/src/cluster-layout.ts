/** A storage node as every process knows it. */
export interface StorageNodeInfo {
  id: string;
  zone: string;
  /** host:port of its gRPC service. */
  address: string;
}

/** The static shape of a cluster: its partitions and its storage nodes. */
export interface ClusterLayout {
  /** Hash partitions of user data (a power of two). The catalog lives in one more, the system partition. */
  partitionCount: number;
  storageNodes: StorageNodeInfo[];
}

/** Checks a layout read from a file or an environment variable. */
export function parseClusterLayout(value: unknown): ClusterLayout {
  const layout = value as ClusterLayout;
  if (!layout || typeof layout.partitionCount !== 'number' || !Array.isArray(layout.storageNodes)) {
    throw new Error('cluster layout needs partitionCount and storageNodes');
  }
  for (const node of layout.storageNodes) {
    if (typeof node.id !== 'string' || typeof node.zone !== 'string' || typeof node.address !== 'string') {
      throw new Error(`storage node entries need id, zone and address: ${JSON.stringify(node)}`);
    }
  }
  return layout;
}
