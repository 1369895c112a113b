import {
  QUERY_PAGE_BYTES_MAX,
  evaluateCondition,
  projectItem,
  type Condition,
  type Item,
  type ProjectionExpression,
} from '@triad/model';
import type { PartitionRange } from '@triad/rpc';
import type { TableDefinition } from '../catalog/table-definition';
import { consumedCapacity, readUnits } from './consumed-capacity';
import type { OperationContext } from './operation-context';

export interface PageRequest {
  def: TableDefinition;
  ranges: PartitionRange[];
  consistent: boolean;
  reverse: boolean;
  /** Items to read (before the filter), 0 for no count limit. */
  limit: number;
  filter?: Condition;
  projection?: ProjectionExpression;
  select: string;
  returnConsumedCapacity?: string;
}

function keyOf(def: TableDefinition, item: Item): Item {
  const key: Item = { [def.keySchema.partitionKey.name]: item[def.keySchema.partitionKey.name] };
  if (def.keySchema.sortKey) key[def.keySchema.sortKey.name] = item[def.keySchema.sortKey.name];
  return key;
}

/**
 * Reads one page of a Query or Scan as DynamoDB does: at most Limit items and 1 MB are read, then
 * the filter runs on what was read (so a page may hold fewer items than Limit, even none), and
 * LastEvaluatedKey names the last item read whenever more may follow.
 */
export async function readPage(context: OperationContext, page: PageRequest): Promise<Record<string, unknown>> {
  const reply = await context.storage.readRange(page.ranges, {
    consistent: page.consistent,
    reverse: page.reverse,
    limit: page.limit,
    byteLimit: QUERY_PAGE_BYTES_MAX,
  });
  const items: Item[] = [];
  let lastRead: Item | undefined;
  let bytesRead = 0;
  for (const entry of reply.items) {
    const item = JSON.parse(entry.item.toString('utf8')) as Item;
    lastRead = item;
    bytesRead += entry.sizeBytes;
    if (page.filter && !evaluateCondition(page.filter, item)) continue;
    items.push(page.projection ? projectItem(item, page.projection) : item);
  }
  const response: Record<string, unknown> = {};
  if (page.select !== 'COUNT') response.Items = items;
  response.Count = items.length;
  response.ScannedCount = reply.items.length;
  if (!reply.exhausted && lastRead) response.LastEvaluatedKey = keyOf(page.def, lastRead);
  const capacity = consumedCapacity(page.returnConsumedCapacity, page.def.tableName, readUnits(bytesRead, page.consistent));
  if (capacity) response.ConsumedCapacity = capacity;
  return response;
}
