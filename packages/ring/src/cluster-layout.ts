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
