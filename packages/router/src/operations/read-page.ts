import {
  QUERY_PAGE_BYTES_MAX,
  evaluateCondition,
  pickAttributes,
  projectItem,
  type Condition,
  type Item,
  type ProjectionExpression,
} from '@triad/model';
import type { PartitionRange } from '@triad/rpc';
import { consumedCapacity, readUnits } from './consumed-capacity';
import type { OperationContext } from './operation-context';
import { lastKeyOf, type ReadSource } from './read-source';

export interface PageRequest {
  source: ReadSource;
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

/**
 * Reads one page of a Query or Scan as DynamoDB does: at most Limit items and 1 MB are read, then
 * the filter runs on what was read (so a page may hold fewer items than Limit, even none), and
 * LastEvaluatedKey names the last item read whenever more may follow.
 */
export async function readPage(context: OperationContext, page: PageRequest): Promise<Record<string, unknown>> {
  const options = { consistent: page.consistent, reverse: page.reverse, limit: page.limit, byteLimit: QUERY_PAGE_BYTES_MAX };
  const reply = await context.storage.readRange(page.ranges, options);
  const { source } = page;
  const allProjected = page.select === 'ALL_PROJECTED_ATTRIBUTES' && source.projected;
  const items: Item[] = [];
  let lastRead: Item | undefined;
  let bytesRead = 0;
  for (const entry of reply.items) {
    const item = JSON.parse(entry.item.toString('utf8')) as Item;
    lastRead = item;
    bytesRead += entry.sizeBytes;
    if (page.filter && !evaluateCondition(page.filter, item)) continue;
    if (page.projection) items.push(projectItem(item, page.projection));
    else items.push(allProjected ? pickAttributes(item, source.projected!) : item);
  }
  const response: Record<string, unknown> = {};
  if (page.select !== 'COUNT') response.Items = items;
  response.Count = items.length;
  response.ScannedCount = reply.items.length;
  if (!reply.exhausted && lastRead) response.LastEvaluatedKey = lastKeyOf(source, lastRead);
  const units = readUnits(bytesRead, page.consistent);
  // Reading an index consumes the index's capacity, not the table's.
  const capacity = source.index
    ? consumedCapacity(page.returnConsumedCapacity, source.table.tableName, 0, { [source.index.local ? 'local' : 'global']: { [source.index.def.indexName]: units } })
    : consumedCapacity(page.returnConsumedCapacity, source.table.tableName, units);
  if (capacity) response.ConsumedCapacity = capacity;
  return response;
}
