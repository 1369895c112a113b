import type { Item } from '@triad/model';
import type { OpResultBody } from '@triad/rpc';
import type { TableDefinition } from '../catalog/table-definition';
import { consumedCapacity, indexCapacity, writeUnits } from './consumed-capacity';

const BYTES_PER_GB = 1024 ** 3;

/**
 * DynamoDB reports an item collection's size as a range in GB, [lower, upper]. The partition
 * leader counts each collection's bytes (items and local index entries), so the range is the
 * whole gigabyte the size lies in: [0, 1] below 1 GB.
 */
export function sizeEstimateRangeGB(bytes: number): [number, number] {
  const lower = Math.floor(bytes / BYTES_PER_GB);
  return [lower, lower + 1];
}

/** A write's ItemCollectionMetrics: only for tables with local secondary indexes, and only when asked. */
export function itemCollectionMetrics(mode: unknown, def: TableDefinition, keyItem: Item, collectionBytes = 0): Record<string, unknown> | undefined {
  if (mode !== 'SIZE' || !def.localSecondaryIndexes?.length) return undefined;
  const partitionKey = def.keySchema.partitionKey.name;
  return { ItemCollectionKey: { [partitionKey]: keyItem[partitionKey] }, SizeEstimateRangeGB: sizeEstimateRangeGB(collectionBytes) };
}

interface WriteRequestOptions {
  ReturnConsumedCapacity?: string;
  ReturnItemCollectionMetrics?: string;
}

/** Adds what every single-item write's response ends with: ConsumedCapacity (table and indexes) and ItemCollectionMetrics. */
export function addWriteMetrics(response: Record<string, unknown>, request: WriteRequestOptions, def: TableDefinition, result: OpResultBody, keyItem: Item): void {
  const capacity = consumedCapacity(request.ReturnConsumedCapacity, def.tableName, writeUnits(result.sizeBytes ?? 0), indexCapacity(def, result.indexUnits));
  if (capacity) response.ConsumedCapacity = capacity;
  const metrics = itemCollectionMetrics(request.ReturnItemCollectionMetrics, def, keyItem, result.collectionBytes);
  if (metrics) response.ItemCollectionMetrics = metrics;
}
