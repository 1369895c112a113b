import { getOwn, setOwn } from '@triad/model';
import {
  ValidationException,
  encodeKeyValue,
  indexEntryKey,
  type Item,
  type KeySchema,
} from '@triad/model';
import { findIndex, projectedAttributes, type TableIndex } from '../catalog/secondary-indexes';
import type { TableDefinition } from '../catalog/table-definition';
import type { StorageClient } from '../cluster/storage-client';
import { checkKey, keyNames, locate, tablePrefix } from '../item-keys';

/**
 * What a Query or Scan reads: a table, or one of its secondary indexes. Index entries are keyed by
 * the index key and then the table key, in the partition of the index's partition key: a local
 * index's entries are with their items, a global index's are spread by its own key.
 */
export interface ReadSource {
  table: TableDefinition;
  index?: TableIndex;
  /** The key a Query's key condition names: the index's or the table's. */
  keySchema: KeySchema;
  /** The first bytes of every storage key read: the index id or the table id. */
  prefix: Buffer;
  /** The attributes of LastEvaluatedKey and ExclusiveStartKey: the table's key, then the index's. */
  keyNames: string[];
  /** The attributes the index holds, for ALL_PROJECTED_ATTRIBUTES (undefined: all). */
  projected?: string[];
}

const INVALID_START_KEY = 'The provided starting key is invalid';

/**
 * Resolves IndexName as DynamoDB does: an unknown index, a strongly consistent read of a global
 * index, a global index still being backfilled and Select ALL_ATTRIBUTES on a global index that
 * does not project every attribute are all ValidationExceptions.
 */
export function readSource(table: TableDefinition, indexName: string | undefined, consistent: boolean, select: string, hasStartKey = false): ReadSource {
  if (indexName === undefined) {
    return { table, keySchema: table.keySchema, prefix: tablePrefix(table), keyNames: keyNames(table.keySchema) };
  }
  const index = findIndex(table, indexName);
  if (!index || index.def.indexStatus === 'DELETING') {
    throw new ValidationException(hasStartKey ? INVALID_START_KEY : `The table does not have the specified index: ${indexName}`);
  }
  const projected = projectedAttributes(table, index.def);
  if (!index.local) {
    if (consistent) throw new ValidationException('Consistent reads are not supported on global secondary indexes');
    if (index.def.indexStatus === 'CREATING' || index.def.backfilling) {
      throw new ValidationException(`Cannot read from backfilling global secondary index: ${indexName}`);
    }
    if (select === 'ALL_ATTRIBUTES' && projected) {
      throw new ValidationException(
        `One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index ${indexName} because its projection type is not ALL`,
      );
    }
  }
  const names = [...new Set([...keyNames(table.keySchema), ...keyNames(index.def.keySchema)])];
  return {
    table,
    index,
    keySchema: index.def.keySchema,
    prefix: Buffer.from(index.def.indexId, 'hex'),
    keyNames: names,
    projected,
  };
}

/** checkKey, with DynamoDB's prefix for a starting key. */
function checkStartKey(schema: KeySchema, key: Item): void {
  try {
    checkKey(schema, key);
  } catch (error) {
    if (error instanceof ValidationException) throw new ValidationException(`${INVALID_START_KEY}: ${error.message}`);
    throw error;
  }
}

/**
 * The storage key and partition where a read resumes after ExclusiveStartKey, checked against the
 * source's key as DynamoDB checks it (a Query words a key of the wrong shape more briefly than a
 * Scan of a table does).
 */
export function startAfter(storage: StorageClient, source: ReadSource, start: Item, forQuery: boolean): { partition: number; key: Buffer } {
  if (forQuery && (Object.keys(start).length !== source.keyNames.length || source.keyNames.some((name) => getOwn(start, name) === undefined))) {
    throw new ValidationException(INVALID_START_KEY);
  }
  if (!source.index) {
    checkStartKey(source.table.keySchema, start);
    const location = locate(storage, source.table, start);
    return { partition: location.partition, key: location.key };
  }
  if (Object.keys(start).length !== source.keyNames.length || source.keyNames.some((name) => getOwn(start, name) === undefined)) {
    throw new ValidationException(INVALID_START_KEY);
  }
  const tableKey: Item = {};
  for (const name of keyNames(source.table.keySchema)) setOwn(tableKey, name, start[name]);
  checkStartKey(source.table.keySchema, tableKey);
  const key = indexEntryKey(source.prefix, source.keySchema, source.table.keySchema, start);
  if (!key) throw new ValidationException(INVALID_START_KEY);
  // An entry lives in the partition of the index's partition key (a local index shares the table's).
  const { partitionKey } = source.keySchema;
  return { partition: storage.partitionOf(encodeKeyValue(partitionKey.type, start[partitionKey.name])), key };
}

/** LastEvaluatedKey for the last entry read. */
export function lastKeyOf(source: ReadSource, item: Item): Item {
  const key: Item = {};
  for (const name of source.keyNames) setOwn(key, name, item[name]);
  return key;
}
