import { getOwn, setOwn } from '@triad/model';
import {
  PARTITION_KEY_BYTES_MAX,
  SORT_KEY_BYTES_MAX,
  ValidationException,
  checkIndexKeys,
  encodeKeyValue,
  keyValueBytes,
  type AttributeValue,
  type Item,
  type KeyAttribute,
  type KeySchema,
} from '@triad/model';
import type { StorageClient } from './cluster/storage-client';
import type { TableDefinition } from './catalog/table-definition';
import type { WriteTarget } from './catalog/secondary-indexes';

/** Where an item lives: its partition and its storage key inside the partition. */
export interface ItemLocation {
  partition: number;
  /** Table id, encoded partition key, encoded sort key. */
  key: Buffer;
  /** The primary key attributes alone. */
  keyItem: Item;
}

const MATCH_SCHEMA = 'The provided key element does not match the schema';

function keyAttributes(schema: KeySchema): KeyAttribute[] {
  return schema.sortKey ? [schema.partitionKey, schema.sortKey] : [schema.partitionKey];
}

export function keyNames(schema: KeySchema): string[] {
  return keyAttributes(schema).map((a) => a.name);
}

function valueOf(value: AttributeValue, type: string): unknown {
  return (value as Record<string, unknown>)[type];
}

function checkNotEmpty(attribute: KeyAttribute, value: AttributeValue, prefix: string): void {
  if ((attribute.type === 'S' || attribute.type === 'B') && valueOf(value, attribute.type) === '') {
    throw new ValidationException(
      `${prefix} The AttributeValue for a key attribute cannot contain an empty ${attribute.type === 'S' ? 'string' : 'binary'} value. Key: ${attribute.name}`,
    );
  }
}

function checkSize(attribute: KeyAttribute, value: AttributeValue, isPartitionKey: boolean): void {
  if (attribute.type === 'N') return;
  const bytes = keyValueBytes(attribute.type, value);
  if (isPartitionKey && bytes > PARTITION_KEY_BYTES_MAX) {
    throw new ValidationException(
      `One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of${PARTITION_KEY_BYTES_MAX} bytes`,
    );
  }
  if (!isPartitionKey && bytes > SORT_KEY_BYTES_MAX) {
    throw new ValidationException(
      `One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of ${SORT_KEY_BYTES_MAX} bytes`,
    );
  }
}

/** Checks the key attributes of a whole item (PutItem) as DynamoDB does. */
export function checkItemKey(schema: KeySchema, item: Item): void {
  keyAttributes(schema).forEach((attribute, i) => {
    const value = getOwn(item, attribute.name);
    if (value === undefined) {
      throw new ValidationException(`One or more parameter values were invalid: Missing the key ${attribute.name} in the item`);
    }
    if (valueOf(value, attribute.type) === undefined) {
      throw new ValidationException(
        `One or more parameter values were invalid: Type mismatch for key ${attribute.name} expected: ${attribute.type} actual: ${Object.keys(value)[0]}`,
      );
    }
    checkNotEmpty(attribute, value, 'One or more parameter values are not valid.');
    checkSize(attribute, value, i === 0);
  });
}

/** Checks a whole item's (PutItem's) table and index key attributes as DynamoDB does. */
export function checkItem(table: WriteTarget, item: Item): void {
  checkItemKey(table.def.keySchema, item);
  const { indexes } = table.maintenance;
  if (indexes) checkIndexKeys(indexes, item, 'item');
}

/** Checks a Key parameter (GetItem, UpdateItem, DeleteItem, ExclusiveStartKey) as DynamoDB does. */
export function checkKey(schema: KeySchema, key: Item): void {
  const attributes = keyAttributes(schema);
  if (Object.keys(key).length !== attributes.length) throw new ValidationException(MATCH_SCHEMA);
  attributes.forEach((attribute, i) => {
    const value = getOwn(key, attribute.name);
    if (value === undefined || valueOf(value, attribute.type) === undefined) throw new ValidationException(MATCH_SCHEMA);
    checkNotEmpty(attribute, value, 'One or more parameter values were invalid:');
    checkSize(attribute, value, i === 0);
  });
}

/** The table id as the first bytes of every storage key of the table. */
export function tablePrefix(def: TableDefinition): Buffer {
  return Buffer.from(def.tableId, 'hex');
}

/** Storage-key prefix of one partition key's item collection. */
export function collectionPrefix(def: TableDefinition, partitionValue: AttributeValue): Buffer {
  return Buffer.concat([tablePrefix(def), encodeKeyValue(def.keySchema.partitionKey.type, partitionValue)]);
}

/** Locates an item from its (already checked) key attributes. */
export function locate(storage: StorageClient, def: TableDefinition, item: Item): ItemLocation {
  const { partitionKey, sortKey } = def.keySchema;
  const encodedPartitionKey = encodeKeyValue(partitionKey.type, item[partitionKey.name]);
  const parts = [tablePrefix(def), encodedPartitionKey];
  const keyItem: Item = { [partitionKey.name]: item[partitionKey.name] };
  if (sortKey) {
    parts.push(encodeKeyValue(sortKey.type, item[sortKey.name]));
    setOwn(keyItem, sortKey.name, item[sortKey.name]);
  }
  return { partition: storage.partitionOf(encodedPartitionKey), key: Buffer.concat(parts), keyItem };
}
