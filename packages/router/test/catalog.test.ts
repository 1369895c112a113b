import { createLogger } from '@triad/observability';
import type { ItemOp, OpResult, PartitionRange, RangeReply } from '@triad/rpc';
import { Catalog, CATALOG_CATCH_UP_MS_MAX } from '../src/catalog/catalog';
import type { TableDefinition } from '../src/catalog/table-definition';
import type { RangeOptions, StorageClient } from '../src/cluster/storage-client';
import { realEnvironment } from '@triad/runtime';

const log = createLogger({ nodeId: 'test', zone: 'a', role: 'router' }, 'error');
const def = (schemaVersion: number, extra: Partial<TableDefinition> = {}): TableDefinition => ({
  tableName: 't',
  tableId: '0102030405060708',
  keySchema: { partitionKey: { name: 'id', type: 'S' } },
  attributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
  billingMode: 'PAY_PER_REQUEST',
  readCapacityUnits: 0,
  writeCapacityUnits: 0,
  creationDateTime: 1,
  tableStatus: 'ACTIVE',
  ...(schemaVersion > 0 ? { schemaVersion } : {}),
  ...extra,
});
const catalogItem = (d: TableDefinition) => ({
  partition: 16,
  key: Buffer.from(d.tableName),
  item: Buffer.from(JSON.stringify({ name: { S: d.tableName }, definition: { S: JSON.stringify(d) } })),
  sizeBytes: 1,
});

/** The catalog's storage: reads answer what `stored` holds (or wait for `gate`), writes succeed. */
class FakeStorage implements StorageClient {
  readonly partitionCount = 16;
  readonly systemPartition = 16;
  stored: TableDefinition[] = [];
  /** When set, catalog reads wait for it, then answer what `stored` held when they began. */
  gate?: Promise<void>;
  failReads = false;
  reads = 0;

  partitionOf(): number {
    return 0;
  }

  async execute(_op: ItemOp): Promise<OpResult> {
    return { errorName: '', errorMessage: '', body: Buffer.alloc(0) };
  }

  async readEventual(): Promise<Buffer | undefined> {
    return undefined;
  }

  async readRange(_ranges: PartitionRange[], _options: RangeOptions): Promise<RangeReply> {
    this.reads++;
    if (this.failReads) throw new Error('catalog unreachable');
    const snapshot = this.stored.map(catalogItem);
    if (this.gate) await this.gate;
    return { items: snapshot, exhausted: true };
  }

  async dropTable(): Promise<void> {}

  async prefixStats(): Promise<never> {
    throw new Error('not used');
  }
}

describe('Catalog', () => {
  afterEach(() => jest.useRealTimers());

  it("a refresh that read the catalog before this router's own write does not bring the old definition back", async () => {
    const storage = new FakeStorage();
    storage.stored = [def(0)];
    const catalog = new Catalog(storage, log, realEnvironment);
    await catalog.refresh();
    let open!: () => void;
    storage.gate = new Promise((resolve) => (open = resolve));
    const refreshing = catalog.refresh();
    const updated = def(0, { billingMode: 'PROVISIONED', readCapacityUnits: 5, writeCapacityUnits: 5 });
    expect(await catalog.replace(def(0), updated)).toBe(true);
    open();
    await refreshing;
    expect((await catalog.find('t'))?.billingMode).toBe('PROVISIONED');
  });

  it('stamps a new schema version on every change of the index list', async () => {
    const storage = new FakeStorage();
    const catalog = new Catalog(storage, log, realEnvironment);
    const withIndex = def(0, {
      globalSecondaryIndexes: [
        { indexName: 'g', indexId: '1112131415161718', keySchema: { partitionKey: { name: 'g', type: 'S' } }, projection: { ProjectionType: 'ALL' }, indexStatus: 'CREATING' },
      ],
    });
    expect(await catalog.replace(def(0), withIndex)).toBe(true);
    expect((await catalog.find('t'))?.schemaVersion).toBe(1);
  });

  it('catches up to a newer schema version after a refusal, with one read of the catalog', async () => {
    const storage = new FakeStorage();
    storage.stored = [def(1)];
    const catalog = new Catalog(storage, log, realEnvironment);
    await catalog.refresh();
    storage.stored = [def(2)];
    const reads = storage.reads;
    expect((await catalog.catchUp(def(1))).schemaVersion).toBe(2);
    expect(storage.reads).toBe(reads + 1);
    // Already caught up (another request did it): no read at all.
    expect((await catalog.catchUp(def(1))).schemaVersion).toBe(2);
    expect(storage.reads).toBe(reads + 1);
  });

  it('refuses to go on with the old list when the catalog cannot be read in time, or the table is gone', async () => {
    const storage = new FakeStorage();
    storage.stored = [def(1)];
    const catalog = new Catalog(storage, log, realEnvironment);
    await catalog.refresh();
    storage.failReads = true;
    jest.useFakeTimers();
    const started = Date.now();
    const caughtUp = catalog.catchUp(def(1)).then(
      () => 'caught up',
      (error: Error) => error.name,
    );
    await jest.advanceTimersByTimeAsync(CATALOG_CATCH_UP_MS_MAX + 1_000);
    expect(await caughtUp).toBe('ServiceUnavailable');
    expect(Date.now() - started).toBeLessThanOrEqual(CATALOG_CATCH_UP_MS_MAX + 1_000);
    jest.useRealTimers();
    storage.failReads = false;
    storage.stored = [];
    await expect(catalog.catchUp(def(1))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
