import type { KeySchema } from '@triad/model';
import type { IndexSpec } from '@triad/rpc';
import type { IndexDefinition, TableDefinition } from './table-definition';

/** A secondary index of a table, local or global. */
export interface TableIndex {
  def: IndexDefinition;
  local: boolean;
}

/** What every write of a table's items carries so that the leader keeps its indexes in step. */
export interface IndexMaintenance {
  indexes?: IndexSpec[];
  tableKeySchema?: KeySchema;
  /** The table's schema version the list comes from (absent: 0): leaders refuse a list older than the table's index fence. */
  schemaVersion?: number;
}

function keyNamesOf(schema: KeySchema): string[] {
  return schema.sortKey ? [schema.partitionKey.name, schema.sortKey.name] : [schema.partitionKey.name];
}

/** The attributes an index holds: undefined for ALL, else the table's and the index's keys and any included ones. */
export function projectedAttributes(table: TableDefinition, index: IndexDefinition): string[] | undefined {
  if (index.projection.ProjectionType === 'ALL') return undefined;
  const names = new Set([...keyNamesOf(table.keySchema), ...keyNamesOf(index.keySchema)]);
  for (const name of index.projection.NonKeyAttributes ?? []) names.add(name);
  return [...names];
}

export function tableIndexes(table: TableDefinition): TableIndex[] {
  return [
    ...(table.localSecondaryIndexes ?? []).map((def) => ({ def, local: true })),
    ...(table.globalSecondaryIndexes ?? []).map((def) => ({ def, local: false })),
  ];
}

export function findIndex(table: TableDefinition, indexName: string): TableIndex | undefined {
  return tableIndexes(table).find((i) => i.def.indexName === indexName);
}

export function indexSpec(table: TableDefinition, index: TableIndex): IndexSpec {
  return {
    name: index.def.indexName,
    id: index.def.indexId,
    keySchema: index.def.keySchema,
    projectedAttributes: projectedAttributes(table, index.def),
    ...(index.local ? { local: true } : {}),
  };
}

/** The indexes writes keep: every local one, and the global ones not being deleted (those being built included). */
export function indexMaintenance(table: TableDefinition): IndexMaintenance {
  const kept = tableIndexes(table).filter((i) => i.local || i.def.indexStatus !== 'DELETING');
  const version = table.schemaVersion ? { schemaVersion: table.schemaVersion } : {};
  return kept.length > 0 ? { indexes: kept.map((i) => indexSpec(table, i)), tableKeySchema: table.keySchema, ...version } : version;
}

/**
 * A table as one write request sees it: the definition it read from the catalog and the index list
 * its writes carry, worked out once per request (per table, for a batch) and passed along to the
 * index-key checks and to every item operation, rather than derived again at each step.
 */
export interface WriteTarget {
  def: TableDefinition;
  maintenance: IndexMaintenance;
}

export function writeTarget(def: TableDefinition): WriteTarget {
  return { def, maintenance: indexMaintenance(def) };
}
