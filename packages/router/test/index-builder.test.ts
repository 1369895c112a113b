import { createLogger } from '@triad/observability';
import type { ItemOp, OpResult, PartitionRange, RangeReply } from '@triad/rpc';
import { Simulator } from '@triad/runtime';
import type { Catalog } from '../src/catalog/catalog';
import { IndexBuilder } from '../src/catalog/index-builder';
import type { TableDefinition } from '../src/catalog/table-definition';
import type { StorageClient } from '../src/cluster/storage-client';

const log = createLogger({ nodeId: 'test', zone: 'a', role: 'router' }, 'error');

const TABLE: TableDefinition = {
  tableName: 't',
  tableId: '0102030405060708',
  keySchema: { partitionKey: { name: 'id', type: 'S' } },
  attributeDefinitions: [
    { AttributeName: 'id', AttributeType: 'S' },
    { AttributeName: 'g', AttributeType: 'S' },
  ],
  billingMode: 'PAY_PER_REQUEST',
  readCapacityUnits: 0,
  writeCapacityUnits: 0,
  creationDateTime: 1,
  tableStatus: 'ACTIVE',
  schemaVersion: 1,
  globalSecondaryIndexes: [
    { indexName: 'byG', indexId: '1112131415161718', keySchema: { partitionKey: { name: 'g', type: 'S' } }, projection: { ProjectionType: 'ALL' }, indexStatus: 'CREATING', backfilling: true },
  ],
};

const ok = (): OpResult => ({ errorName: '', errorMessage: '', body: Buffer.alloc(0) });

/**
 * A catalog holding one table and a cluster of two partitions, each with two items; `answers`
 * decides each re-index's answer, in the order they are sent.
 */
function backfillOf(answers: (op: ItemOp, attempt: number) => OpResult) {
  let current = TABLE;
  const catalog = {
    find: async (name: string) => (name === current.tableName ? current : undefined),
    refresh: async () => undefined,
    replace: async (before: TableDefinition, after: TableDefinition) => {
      if (before !== current) return false;
      current = after;
      return true;
    },
  } as unknown as Catalog;
  const reindexed: string[] = [];
  const attempts = new Map<string, number>();
  const storage = {
    partitionCount: 2,
    execute: async (op: ItemOp) => {
      if (op.kind !== 'OP_KIND_REINDEX') return ok(); // the fence
      const id = `${op.partition}:${op.key.toString('hex')}`;
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      const answer = answers(op, attempt);
      if (!answer.errorName) reindexed.push(id);
      return answer;
    },
    readRange: async (ranges: PartitionRange[]): Promise<RangeReply> => {
      const [range] = ranges;
      const keys = [1, 2].map((n) => Buffer.concat([Buffer.from(TABLE.tableId, 'hex'), Buffer.from([range.partition, n])]));
      const items = keys.filter((k) => (range.startExclusive ? Buffer.compare(k, range.start) > 0 : Buffer.compare(k, range.start) >= 0));
      return { items: items.map((key) => ({ partition: range.partition, key, item: Buffer.from('{}'), sizeBytes: 10 })), exhausted: true };
    },
  } as unknown as StorageClient;
  const sim = new Simulator(3);
  const builder = new IndexBuilder(catalog, storage, log, sim.environment({ name: 'router' }));
  return { sim, builder, reindexed, attempts, status: () => current.globalSecondaryIndexes![0].indexStatus };
}

describe('IndexBuilder: a backfill step that fails', () => {
  test('is retried after a retriable answer (a re-index whose entries could not be delivered), and the index becomes ACTIVE', async () => {
    // The first re-index of the second partition's first item: its global entries reached no majority.
    const { sim, builder, reindexed, attempts, status } = backfillOf((op, attempt) =>
      op.partition === 1 && op.key.at(-1) === 1 && attempt === 1
        ? { errorName: 'ServiceUnavailable', errorMessage: "The item's global index entries could not be delivered to a majority of their replicas; retry the request", body: Buffer.alloc(0) }
        : ok(),
    );
    builder.onCatalog([TABLE]);
    await sim.advanceBy(100);
    expect(status()).toBe('CREATING'); // waiting to retry (1 s)
    await sim.advanceBy(2_000);
    expect(status()).toBe('ACTIVE');
    // Every item re-indexed once it succeeded; the retry resumed in the failed partition, not from the start.
    expect(new Set(reindexed).size).toBe(4);
    expect([...attempts.entries()].filter(([id]) => id.startsWith('0:')).map(([, n]) => n)).toEqual([1, 1]);
    expect([...attempts.entries()].filter(([id]) => id.startsWith('1:')).map(([, n]) => n)).toEqual([2, 2]);
    builder.stop();
  });
});
