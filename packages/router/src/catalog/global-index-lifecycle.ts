import type { TableDefinition } from './table-definition';

/**
 * How a table's definition changes as the background job (index-builder.ts) finishes building or
 * dropping a global index that UpdateTable created or deleted (validation/global-index-updates.ts).
 */

/** The definition once an index's backfill has covered every partition: ACTIVE, no Backfilling. */
export function withGlobalIndexActive(def: TableDefinition, indexId: string): TableDefinition {
  return {
    ...def,
    globalSecondaryIndexes: (def.globalSecondaryIndexes ?? []).map((index) => {
      if (index.indexId !== indexId || index.indexStatus !== 'CREATING') return index;
      const { backfilling: _backfilling, ...rest } = index;
      return { ...rest, indexStatus: 'ACTIVE' };
    }),
  };
}

/**
 * The definition once a deleted index's entries are gone: the index removed, and attribute
 * definitions that no key of the table or of its remaining indexes uses removed too, as DynamoDB
 * prunes them.
 */
export function withoutGlobalIndex(def: TableDefinition, indexId: string): TableDefinition {
  const global = (def.globalSecondaryIndexes ?? []).filter((index) => index.indexId !== indexId);
  const used = new Set<string>();
  for (const schema of [def.keySchema, ...(def.localSecondaryIndexes ?? []).map((i) => i.keySchema), ...global.map((i) => i.keySchema)]) {
    used.add(schema.partitionKey.name);
    if (schema.sortKey) used.add(schema.sortKey.name);
  }
  const { globalSecondaryIndexes: _dropped, ...rest } = def;
  return {
    ...rest,
    attributeDefinitions: def.attributeDefinitions.filter((d) => used.has(d.AttributeName)),
    ...(global.length > 0 ? { globalSecondaryIndexes: global } : {}),
  };
}
