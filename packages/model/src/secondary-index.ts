import { ValidationException } from './errors';
import { encodeKeyValue } from './key-codec';
import type { AttributeValue, Item, KeyAttribute, KeySchema } from './types';
import { getOwn, setOwn } from './own-property';

/** What the key checks and the entry key need to know of an index. */
export interface IndexKeys {
  name: string;
  keySchema: KeySchema;
}

function keyAttributes(schema: KeySchema): KeyAttribute[] {
  return schema.sortKey ? [schema.partitionKey, schema.sortKey] : [schema.partitionKey];
}

function typeOf(value: AttributeValue): string {
  return Object.keys(value)[0];
}

/**
 * The storage key of an item's entry in an index:
 *   [index id][index partition key][index sort key][table partition key][table sort key]
 * The table's key makes entries unique (many items may share an index key) and orders items with
 * equal index keys. Undefined when the item lacks an index key attribute (indexes are sparse), or
 * has one DynamoDB would not index (wrong type, empty: writes check these first, backfills skip).
 */
export function indexEntryKey(indexId: Buffer, index: KeySchema, table: KeySchema, item: Item): Buffer | undefined {
  const parts = [indexId];
  for (const attribute of [...keyAttributes(index), ...keyAttributes(table)]) {
    const value = getOwn(item, attribute.name);
    if (value === undefined || typeOf(value) !== attribute.type) return undefined;
    if ((value as Record<string, unknown>)[attribute.type] === '') return undefined;
    parts.push(encodeKeyValue(attribute.type, value));
  }
  return Buffer.concat(parts);
}

/** The item's attributes among `attributes` (an index's projection of it). */
export function pickAttributes(item: Item, attributes: readonly string[]): Item {
  const out: Item = {};
  for (const name of attributes) {
    const value = getOwn(item, name);
    if (value !== undefined) setOwn(out, name, value);
  }
  return out;
}

/**
 * Index key attributes an item may have: absent (the item is not in the index), or of the
 * attribute's defined type and not empty. DynamoDB names the alphabetically first index that an
 * offending attribute keys, and words an empty value differently when an update expression set it.
 */
export function checkIndexKeys(indexes: readonly IndexKeys[], item: Item, origin: 'item' | 'update'): void {
  const byName = [...indexes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const index of byName) {
    for (const attribute of keyAttributes(index.keySchema)) {
      const value = getOwn(item, attribute.name);
      if (value === undefined) continue;
      const actual = typeOf(value);
      if (actual !== attribute.type) {
        throw new ValidationException(
          `One or more parameter values were invalid: Type mismatch for Index Key ${attribute.name} Expected: ${attribute.type} Actual: ${actual} IndexName: ${index.name}`,
        );
      }
      const raw = (value as Record<string, unknown>)[actual];
      if (attribute.type !== 'N' && raw === '') {
        const kind = attribute.type === 'S' ? 'string' : 'binary';
        throw new ValidationException(
          origin === 'update'
            ? `One or more parameter values are not valid. The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty ${kind} value.`
            : `One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty ${kind} value. IndexName: ${index.name}, IndexKey: ${attribute.name}`,
        );
      }
    }
  }
}
