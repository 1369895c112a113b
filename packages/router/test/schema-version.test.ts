import { withGlobalIndexActive, withoutGlobalIndex } from '../src/catalog/global-index-lifecycle';
import { maintainedIndexIds, schemaVersionOf, withSchemaVersion } from '../src/catalog/schema-version';
import { indexMaintenance } from '../src/catalog/secondary-indexes';
import type { IndexDefinition, TableDefinition } from '../src/catalog/table-definition';

const keySchema = { partitionKey: { name: 'id', type: 'S' as const } };
const index = (indexId: string, indexStatus: IndexDefinition['indexStatus']): IndexDefinition => ({
  indexName: `i-${indexId}`,
  indexId,
  keySchema: { partitionKey: { name: 'g', type: 'S' } },
  projection: { ProjectionType: 'KEYS_ONLY' },
  indexStatus,
});
const table: TableDefinition = {
  tableName: 't',
  tableId: '0102030405060708',
  keySchema,
  attributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
  billingMode: 'PAY_PER_REQUEST',
  readCapacityUnits: 0,
  writeCapacityUnits: 0,
  creationDateTime: 1,
  tableStatus: 'ACTIVE',
};

describe('schema versions', () => {
  it('rise with every change of the index list writes maintain, and only then', () => {
    const creating = withSchemaVersion(table, { ...table, globalSecondaryIndexes: [index('a', 'CREATING')] });
    expect(schemaVersionOf(table)).toBe(0);
    expect(schemaVersionOf(creating)).toBe(1);
    // Becoming ACTIVE, or a change of throughput, keeps the list.
    const active = withSchemaVersion(creating, withGlobalIndexActive(creating, 'a'));
    expect(schemaVersionOf(active)).toBe(1);
    expect(withSchemaVersion(active, { ...active, readCapacityUnits: 5 })).toEqual({ ...active, readCapacityUnits: 5 });
    // Deleting takes the index out of the list at once; its removal once dropped changes nothing more.
    const deleting = withSchemaVersion(active, { ...active, globalSecondaryIndexes: [index('a', 'DELETING')] });
    expect(schemaVersionOf(deleting)).toBe(2);
    expect(maintainedIndexIds(deleting)).toEqual([]);
    expect(schemaVersionOf(withSchemaVersion(deleting, withoutGlobalIndex(deleting, 'a')))).toBe(2);
    // A proposal made from an older copy cannot lower it.
    expect(schemaVersionOf(withSchemaVersion(deleting, { ...deleting, schemaVersion: 0 }))).toBe(2);
  });

  it('travel with the index list of every write', () => {
    expect(indexMaintenance(table)).toEqual({});
    const creating = withSchemaVersion(table, { ...table, globalSecondaryIndexes: [index('a', 'CREATING')] });
    expect(indexMaintenance(creating)).toMatchObject({ schemaVersion: 1, indexes: [{ id: 'a' }] });
    const deleting = withSchemaVersion(creating, { ...creating, globalSecondaryIndexes: [index('a', 'DELETING')] });
    expect(indexMaintenance(deleting)).toEqual({ schemaVersion: 2 });
  });
});
