import type { TableDefinition } from './table-definition';

/**
 * A table's schema version counts the changes of the index list its writes carry (see
 * indexMaintenance): a global index added (CREATING) or being removed (DELETING). Writes carry the
 * version with the list, and partition leaders refuse a write whose version is below the table's
 * index fence, so a router whose catalog is behind an index change cannot write with the old list
 * (docs/architecture.md, "Index fences"). Other changes (throughput, tags, an index becoming ACTIVE
 * or leaving the definition once dropped) leave the list, and so the version, as it was.
 */

/** The ids of the indexes writes maintain: every local one, and the global ones not being deleted. */
export function maintainedIndexIds(def: TableDefinition): string[] {
  return [
    ...(def.localSecondaryIndexes ?? []).map((index) => index.indexId),
    ...(def.globalSecondaryIndexes ?? []).filter((index) => index.indexStatus !== 'DELETING').map((index) => index.indexId),
  ].sort();
}

/** The table's schema version (0 for a table whose index list never changed). */
export function schemaVersionOf(def: TableDefinition): number {
  return def.schemaVersion ?? 0;
}

/** `after` as it is to be stored in place of `before`: one version higher if the index list changed, else at `before`'s version. */
export function withSchemaVersion(before: TableDefinition, after: TableDefinition): TableDefinition {
  const changed = maintainedIndexIds(before).join() !== maintainedIndexIds(after).join();
  const version = schemaVersionOf(before) + (changed ? 1 : 0);
  return schemaVersionOf(after) === version ? after : { ...after, schemaVersion: version };
}
