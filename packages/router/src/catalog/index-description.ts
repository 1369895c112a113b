import type { KeySchema } from '@triad/model';
import { NO_SIZE_ESTIMATES, type ApproximateSize, type SizeEstimates } from './size-estimates';
import type { IndexDefinition, IndexStatus, Projection, TableDefinition } from './table-definition';

/**
 * DynamoDB's LocalSecondaryIndexDescription and GlobalSecondaryIndexDescription, with members in
 * the order DynamoDB's JSON has them (its API model's order).
 */

export function indexArn(tableArn: string, indexName: string): string {
  return `${tableArn}/index/${indexName}`;
}

export function keySchemaElements(schema: KeySchema): { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[] {
  const elements: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[] = [{ AttributeName: schema.partitionKey.name, KeyType: 'HASH' }];
  if (schema.sortKey) elements.push({ AttributeName: schema.sortKey.name, KeyType: 'RANGE' });
  return elements;
}

/** DynamoDB returns NonKeyAttributes sorted by name, whatever order they were given in. */
function describeProjection(projection: Projection): Projection {
  if (projection.ProjectionType !== 'INCLUDE') return { ProjectionType: projection.ProjectionType };
  return { ProjectionType: 'INCLUDE', NonKeyAttributes: [...(projection.NonKeyAttributes ?? [])].sort() };
}

/** `size`: the index's entries (sparse: items without the index key have none) and their projected sizes. */
export function describeLocalIndex(index: IndexDefinition, tableArn: string, size: ApproximateSize): Record<string, unknown> {
  return {
    IndexName: index.indexName,
    KeySchema: keySchemaElements(index.keySchema),
    Projection: describeProjection(index.projection),
    IndexSizeBytes: size.sizeBytes,
    ItemCount: size.itemCount,
    IndexArn: indexArn(tableArn, index.indexName),
  };
}

/**
 * A global index. Backfilling appears only while an index added by UpdateTable is being built
 * (never for indexes created with the table); an on-demand table's indexes show 0 capacity units.
 */
export function describeGlobalIndex(
  index: IndexDefinition,
  tableArn: string,
  status: IndexStatus,
  size: ApproximateSize,
): Record<string, unknown> {
  return {
    IndexName: index.indexName,
    KeySchema: keySchemaElements(index.keySchema),
    Projection: describeProjection(index.projection),
    IndexStatus: status,
    ...(status === 'CREATING' && index.backfilling !== undefined ? { Backfilling: index.backfilling } : {}),
    ProvisionedThroughput: {
      ...(index.lastIncreaseDateTime !== undefined ? { LastIncreaseDateTime: index.lastIncreaseDateTime } : {}),
      ...(index.lastDecreaseDateTime !== undefined ? { LastDecreaseDateTime: index.lastDecreaseDateTime } : {}),
      NumberOfDecreasesToday: 0,
      ReadCapacityUnits: index.readCapacityUnits ?? 0,
      WriteCapacityUnits: index.writeCapacityUnits ?? 0,
    },
    IndexSizeBytes: size.sizeBytes,
    ItemCount: size.itemCount,
    IndexArn: indexArn(tableArn, index.indexName),
  };
}

/** The LocalSecondaryIndexes and GlobalSecondaryIndexes members of a TableDescription (absent when none). */
export function describeIndexes(
  def: TableDefinition,
  tableArn: string,
  statusOf: (index: IndexDefinition) => IndexStatus = (index) => index.indexStatus,
  sizes: SizeEstimates = NO_SIZE_ESTIMATES,
): Record<string, unknown> {
  const local = def.localSecondaryIndexes ?? [];
  const global = def.globalSecondaryIndexes ?? [];
  return {
    ...(local.length > 0 ? { LocalSecondaryIndexes: local.map((index) => describeLocalIndex(index, tableArn, sizes.sizeOf(index.indexId))) } : {}),
    ...(global.length > 0
      ? { GlobalSecondaryIndexes: global.map((index) => describeGlobalIndex(index, tableArn, statusOf(index), sizes.sizeOf(index.indexId))) }
      : {}),
  };
}
