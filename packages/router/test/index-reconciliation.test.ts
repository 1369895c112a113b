import { encodeKeyValue, type Item } from '@triad/model';
import { entryDifference, expectedEntry, isExtraEntry, sameItem, tableKeyOfEntry } from '../src/catalog/index-reconciliation';
import type { IndexDefinition, TableDefinition } from '../src/catalog/table-definition';
import { isFirstLiveRouter } from '../src/cluster/router-roles';

const table: TableDefinition = {
  tableName: 't',
  tableId: '0102030405060708',
  keySchema: { partitionKey: { name: 'id', type: 'S' }, sortKey: { name: 'n', type: 'N' } },
  attributeDefinitions: [],
  billingMode: 'PAY_PER_REQUEST',
  readCapacityUnits: 0,
  writeCapacityUnits: 0,
  creationDateTime: 1,
  tableStatus: 'ACTIVE',
};
const index = (projection: IndexDefinition['projection']): IndexDefinition => ({
  indexName: 'byGroup',
  indexId: '1112131415161718',
  keySchema: { partitionKey: { name: 'grp', type: 'S' } },
  projection,
  indexStatus: 'ACTIVE',
});
/** Partition = length of the encoded index key value, so tests can tell partitions apart. */
const partitionOf = (encoded: Uint8Array) => encoded.length;
const item: Item = { id: { S: 'a' }, n: { N: '1' }, grp: { S: 'g1' }, note: { S: 'x' }, other: { N: '2' } };

describe('global index reconciliation', () => {
  it("expects the entry the leader writes: keyed by index then table key, in the index key's partition, projected", () => {
    const keysOnly = expectedEntry(table, index({ ProjectionType: 'KEYS_ONLY' }), item, partitionOf)!;
    expect(keysOnly.partition).toBe(encodeKeyValue('S', { S: 'g1' }).length);
    expect(keysOnly.key).toEqual(
      Buffer.concat([Buffer.from('1112131415161718', 'hex'), encodeKeyValue('S', { S: 'g1' }), encodeKeyValue('S', { S: 'a' }), encodeKeyValue('N', { N: '1' })]),
    );
    expect(keysOnly.item).toEqual({ id: { S: 'a' }, n: { N: '1' }, grp: { S: 'g1' } });
    expect(expectedEntry(table, index({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['note'] }), item, partitionOf)!.item).toEqual({
      id: { S: 'a' },
      n: { N: '1' },
      grp: { S: 'g1' },
      note: { S: 'x' },
    });
    expect(expectedEntry(table, index({ ProjectionType: 'ALL' }), item, partitionOf)!.item).toBe(item);
  });

  it('expects no entry for an item without the index key, or with one DynamoDB would not index', () => {
    const { grp: _grp, ...without } = item;
    expect(expectedEntry(table, index({ ProjectionType: 'ALL' }), without, partitionOf)).toBeUndefined();
    expect(expectedEntry(table, index({ ProjectionType: 'ALL' }), { ...item, grp: { N: '1' } }, partitionOf)).toBeUndefined();
    expect(expectedEntry(table, index({ ProjectionType: 'ALL' }), { ...item, grp: { S: '' } }, partitionOf)).toBeUndefined();
  });

  it('tells missing and stale entries from right ones, whatever the order of attributes', () => {
    const expected = expectedEntry(table, index({ ProjectionType: 'ALL' }), item, partitionOf)!;
    expect(entryDifference(expected, undefined)).toBe('missing');
    expect(entryDifference(expected, { ...item, note: { S: 'old' } })).toBe('stale');
    const reordered = Object.fromEntries(Object.entries(item).reverse()) as Item;
    expect(entryDifference(expected, reordered)).toBeUndefined();
    expect(sameItem({ m: { M: { a: { S: '1' }, b: { S: '2' } } } }, { m: { M: { b: { S: '2' }, a: { S: '1' } } } })).toBe(true);
    expect(sameItem({ l: { L: [{ S: '1' }, { S: '2' }] } }, { l: { L: [{ S: '2' }, { S: '1' }] } })).toBe(false);
  });

  it('finds entries their item does not have: moved, out of the index, or gone', () => {
    const expected = expectedEntry(table, index({ ProjectionType: 'KEYS_ONLY' }), item, partitionOf)!;
    expect(isExtraEntry(expected.partition, expected.key, expected)).toBe(false);
    expect(isExtraEntry(expected.partition, Buffer.from('elsewhere'), expected)).toBe(true);
    expect(isExtraEntry(expected.partition + 1, expected.key, expected)).toBe(true);
    expect(isExtraEntry(expected.partition, expected.key, undefined)).toBe(true);
  });

  it("reads the table key from an entry, which every projection keeps", () => {
    expect(tableKeyOfEntry(table.keySchema, { id: { S: 'a' }, n: { N: '1' }, grp: { S: 'g1' } })).toEqual({ id: { S: 'a' }, n: { N: '1' } });
    expect(tableKeyOfEntry(table.keySchema, { id: { S: 'a' }, grp: { S: 'g1' } })).toBeUndefined();
  });
});

describe('isFirstLiveRouter', () => {
  const member = (id: string, role: 'router' | 'storage', status: 'alive' | 'suspect' | 'dead' | 'left') => ({ id, role, status });
  it('picks the live router with the smallest id', () => {
    const members = [member('router-1', 'router', 'alive'), member('router-2', 'router', 'alive'), member('a-storage', 'storage', 'alive')];
    expect(isFirstLiveRouter(members, 'router-1')).toBe(true);
    expect(isFirstLiveRouter(members, 'router-2')).toBe(false);
    expect(isFirstLiveRouter([member('router-1', 'router', 'dead'), member('router-2', 'router', 'alive')], 'router-2')).toBe(true);
    expect(isFirstLiveRouter([member('router-1', 'router', 'suspect'), member('router-2', 'router', 'alive')], 'router-2')).toBe(false);
    // Before gossip has seen anyone, a router counts itself.
    expect(isFirstLiveRouter([], 'router-3')).toBe(true);
  });
});
