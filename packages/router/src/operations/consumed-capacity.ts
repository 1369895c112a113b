import { findIndex } from '../catalog/secondary-indexes';
import type { TableDefinition } from '../catalog/table-definition';

/** DynamoDB bills reads in 4 KB units (half for eventually consistent reads) and writes in 1 KB units. */
export const READ_UNIT_BYTES = 4 * 1024;
export const WRITE_UNIT_BYTES = 1024;

export function readUnits(sizeBytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(sizeBytes / READ_UNIT_BYTES));
  return consistent ? units : units / 2;
}

export function writeUnits(sizeBytes: number): number {
  return Math.max(1, Math.ceil(sizeBytes / WRITE_UNIT_BYTES));
}

/** Capacity consumed in a table's secondary indexes, by index name. */
export interface IndexCapacity {
  global?: Record<string, number>;
  local?: Record<string, number>;
}

/** Sorts units by index name into the table's global and local indexes. */
export function indexCapacity(def: TableDefinition, unitsByIndex: Record<string, number> | undefined): IndexCapacity {
  const capacity: IndexCapacity = {};
  for (const [name, units] of Object.entries(unitsByIndex ?? {})) {
    const kind = findIndex(def, name)?.local ? 'local' : 'global';
    (capacity[kind] ??= {})[name] = units;
  }
  return capacity;
}

const perIndex = (units: Record<string, number>) =>
  Object.fromEntries(Object.entries(units).map(([name, capacityUnits]) => [name, { CapacityUnits: capacityUnits }]));

const sum = (units: Record<string, number> | undefined) => Object.values(units ?? {}).reduce((a, b) => a + b, 0);

/**
 * The ConsumedCapacity member of a response, or undefined when not asked for: TOTAL counts the
 * table's units and its indexes' together, INDEXES also shows them apart.
 */
export function consumedCapacity(mode: unknown, tableName: string, units: number, indexes: IndexCapacity = {}): Record<string, unknown> | undefined {
  const total = units + sum(indexes.global) + sum(indexes.local);
  if (mode === 'TOTAL') return { TableName: tableName, CapacityUnits: total };
  if (mode !== 'INDEXES') return undefined;
  const capacity: Record<string, unknown> = { TableName: tableName, CapacityUnits: total, Table: { CapacityUnits: units } };
  if (indexes.local && Object.keys(indexes.local).length > 0) capacity.LocalSecondaryIndexes = perIndex(indexes.local);
  if (indexes.global && Object.keys(indexes.global).length > 0) capacity.GlobalSecondaryIndexes = perIndex(indexes.global);
  return capacity;
}
