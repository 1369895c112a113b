import type { Item } from '@triad/model';
import type { OpResultBody } from '@triad/rpc';
import type { TableDefinition } from '../catalog/table-definition';
import { consumedCapacity, indexCapacity, writeUnits } from './consumed-capacity';

/**
 * DynamoDB does not track item collection sizes exactly either: it returns a range in GB. Triad
 * does not measure collections, so it reports the range of a collection under 1 GB.
 */
const SIZE_ESTIMATE_RANGE_GB = [0, 1];

/** A write's ItemCollectionMetrics: only for tables with local secondary indexes, and only when asked. */
export function itemCollectionMetrics(mode: unknown, def: TableDefinition, keyItem: Item): Record<string, unknown> | undefined {
  if (mode !== 'SIZE' || !def.localSecondaryIndexes?.length) return undefined;
  const partitionKey = def.keySchema.partitionKey.name;
  return { ItemCollectionKey: { [partitionKey]: keyItem[partitionKey] }, SizeEstimateRangeGB: SIZE_ESTIMATE_RANGE_GB };
}

interface WriteRequestOptions {
  ReturnConsumedCapacity?: string;
  ReturnItemCollectionMetrics?: string;
}

/** Adds what every single-item write's response ends with: ConsumedCapacity (table and indexes) and ItemCollectionMetrics. */
export function addWriteMetrics(response: Record<string, unknown>, request: WriteRequestOptions, def: TableDefinition, result: OpResultBody, keyItem: Item): void {
  const capacity = consumedCapacity(request.ReturnConsumedCapacity, def.tableName, writeUnits(result.sizeBytes ?? 0), indexCapacity(def, result.indexUnits));
  if (capacity) response.ConsumedCapacity = capacity;
  const metrics = itemCollectionMetrics(request.ReturnItemCollectionMetrics, def, keyItem);
  if (metrics) response.ItemCollectionMetrics = metrics;
}
