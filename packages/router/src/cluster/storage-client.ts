import type { ItemOp, OpResult, PartitionRange, RangeReply } from '@triad/rpc';
import type { CensusResult } from './prefix-census';

/**
 * What operations need from the cluster. Operations talk to this interface, never to gRPC, so that
 * they can be exercised against any implementation.
 */
export interface StorageClient {
  readonly partitionCount: number;
  readonly systemPartition: number;
  partitionOf(encodedPartitionKey: Uint8Array): number;
  /** Runs an item operation at the partition's leader. */
  execute(op: ItemOp): Promise<OpResult>;
  /** An eventually consistent point read from any replica; the item JSON or undefined. */
  readEventual(partition: number, key: Buffer): Promise<Buffer | undefined>;
  /** One page of a range read; strongly consistent ones are served by leaders. */
  readRange(ranges: PartitionRange[], options: RangeOptions): Promise<RangeReply>;
  /** Removes a deleted table's data from every node (best effort; absent nodes are repaired later). */
  dropTable(tableId: Buffer): Promise<void>;
  /**
   * Live records and their sizes per 8-byte key prefix (table and index ids) over every data
   * partition, each counted once. Nodes walk their partitions on disk: for background use only.
   */
  prefixStats(prefixes: Buffer[]): Promise<CensusResult>;
}

export interface RangeOptions {
  consistent: boolean;
  reverse: boolean;
  limit: number;
  byteLimit: number;
}
