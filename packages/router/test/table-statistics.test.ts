import { createLogger } from '@triad/observability';
import type { CensusResult } from '../src/cluster/prefix-census';
import type { IndexDefinition, TableDefinition } from '../src/catalog/table-definition';
import { describeTable } from '../src/catalog/table-description';
import { TableStatistics, statisticsIds } from '../src/catalog/table-statistics';

const log = createLogger({ nodeId: 'test', zone: 'a', role: 'router' }, 'error');
const ALL = { ProjectionType: 'ALL' as const };
const index = (name: string, indexId: string, key: string): IndexDefinition => ({
  indexName: name,
  indexId,
  keySchema: { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: key, type: 'S' } },
  projection: ALL,
  indexStatus: 'ACTIVE',
});
const table: TableDefinition = {
  tableName: 'tbl',
  tableId: 'aaaaaaaaaaaaaaaa',
  keySchema: { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'S' } },
  attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }, { AttributeName: 'l', AttributeType: 'S' }, { AttributeName: 'g', AttributeType: 'S' }],
  billingMode: 'PAY_PER_REQUEST',
  readCapacityUnits: 0,
  writeCapacityUnits: 0,
  creationDateTime: 1000,
  tableStatus: 'ACTIVE',
  localSecondaryIndexes: [index('by_l', '1111111111111111', 'l')],
  globalSecondaryIndexes: [{ ...index('by_g', '2222222222222222', 'g'), keySchema: { partitionKey: { name: 'g', type: 'S' } } }],
};
const other: TableDefinition = { ...table, tableName: 'other', tableId: 'bbbbbbbbbbbbbbbb', localSecondaryIndexes: undefined, globalSecondaryIndexes: undefined };

/** A storage client whose census answers from `figures` (by hex id) and records what it was asked. */
function storageWith(answer: (ids: string[]) => CensusResult | Promise<CensusResult>) {
  const asked: string[][] = [];
  return {
    asked,
    prefixStats: async (prefixes: Buffer[]) => {
      const ids = prefixes.map((p) => p.toString('hex'));
      asked.push(ids);
      return answer(ids);
    },
  };
}
const counted = (figures: Record<string, [number, number]>) => (ids: string[]): CensusResult => ({
  stats: ids.map((id) => ({ items: figures[id]?.[0] ?? 0, sizeBytes: figures[id]?.[1] ?? 0 })),
  partitionsMissed: [],
});

describe('TableStatistics', () => {
  test('asks for every table and index id in one census', async () => {
    expect(statisticsIds([table, other])).toEqual(['aaaaaaaaaaaaaaaa', '1111111111111111', '2222222222222222', 'bbbbbbbbbbbbbbbb']);
    const storage = storageWith(counted({}));
    const statistics = new TableStatistics({ storage, log });
    statistics.onCatalog([table, other]);
    expect(await statistics.refresh()).toBe('complete');
    expect(storage.asked).toEqual([statisticsIds([table, other])]);
  });

  test('zeros until counted; then the counted figures, shown by DescribeTable for the table and each index', async () => {
    const statistics = new TableStatistics({ storage: storageWith(counted({ aaaaaaaaaaaaaaaa: [3, 300], '1111111111111111': [2, 180], '2222222222222222': [1, 40] })), log });
    statistics.onCatalog([table]);
    expect(statistics.sizeOf(table.tableId)).toEqual({ itemCount: 0, sizeBytes: 0 });
    await statistics.refresh();
    expect(statistics.sizeOf(table.tableId)).toEqual({ itemCount: 3, sizeBytes: 300 });

    const described = describeTable(table, 'us-east-1', '000000000000', { sizes: statistics });
    expect(described).toMatchObject({ TableSizeBytes: 300, ItemCount: 3 });
    expect(described.LocalSecondaryIndexes).toEqual([expect.objectContaining({ IndexSizeBytes: 180, ItemCount: 2 })]);
    expect(described.GlobalSecondaryIndexes).toEqual([expect.objectContaining({ IndexSizeBytes: 40, ItemCount: 1 })]);
    // CreateTable's answer (no sizes given): zeros, as for DynamoDB's new tables.
    expect(describeTable(table, 'us-east-1', '000000000000', { status: 'CREATING' })).toMatchObject({ TableSizeBytes: 0, ItemCount: 0 });
  });

  test('a census that missed partitions, or failed, keeps the previous figures', async () => {
    let answer: (ids: string[]) => CensusResult = counted({ aaaaaaaaaaaaaaaa: [5, 500] });
    const statistics = new TableStatistics({ storage: storageWith((ids) => answer(ids)), log });
    statistics.onCatalog([table]);
    await statistics.refresh();
    answer = (ids) => ({ ...counted({ aaaaaaaaaaaaaaaa: [1, 100] })(ids), partitionsMissed: [3] });
    expect(await statistics.refresh()).toBe('incomplete');
    expect(statistics.sizeOf(table.tableId)).toEqual({ itemCount: 5, sizeBytes: 500 });
    answer = () => {
      throw new Error('no storage node answered');
    };
    expect(await statistics.refresh()).toBe('failed');
    expect(statistics.sizeOf(table.tableId)).toEqual({ itemCount: 5, sizeBytes: 500 });
  });

  test('a dropped table\'s figures go with the next census; without tables nothing is asked', async () => {
    const storage = storageWith(counted({ bbbbbbbbbbbbbbbb: [7, 70] }));
    const statistics = new TableStatistics({ storage, log });
    statistics.onCatalog([other]);
    await statistics.refresh();
    expect(statistics.sizeOf(other.tableId).itemCount).toBe(7);
    statistics.onCatalog([]);
    expect(await statistics.refresh()).toBe('complete');
    expect(statistics.sizeOf(other.tableId).itemCount).toBe(0);
    expect(storage.asked).toHaveLength(1);
  });

  test('start counts at once and again after each interval, until stopped', async () => {
    jest.useFakeTimers();
    try {
      const storage = storageWith(counted({ bbbbbbbbbbbbbbbb: [1, 1] }));
      const statistics = new TableStatistics({ storage, log }, { intervalMs: 1_000 });
      statistics.onCatalog([other]);
      statistics.start();
      await jest.advanceTimersByTimeAsync(0);
      expect(storage.asked).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(999);
      expect(storage.asked).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(1);
      expect(storage.asked).toHaveLength(2);
      statistics.stop();
      await jest.advanceTimersByTimeAsync(5_000);
      expect(storage.asked).toHaveLength(2);
    } finally {
      jest.useRealTimers();
    }
  });

  test('refuses an interval that is not a positive number of milliseconds', () => {
    expect(() => new TableStatistics({ storage: storageWith(counted({})), log }, { intervalMs: 0 })).toThrow(/positive/);
    expect(() => new TableStatistics({ storage: storageWith(counted({})), log }, { intervalMs: Number('x') })).toThrow(/positive/);
  });
});
