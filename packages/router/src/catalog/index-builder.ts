import { QUERY_PAGE_BYTES_MAX, createExpressionContext, parseCondition, prefixEnd } from '@triad/model';
import { FENCE_PREFIX, FENCE_VERSION_ATTRIBUTE, encodeJson, type ItemOpBody } from '@triad/rpc';
import type { Logger } from '@triad/observability';
import type { Gauge } from 'prom-client';
import type { StorageClient } from '../cluster/storage-client';
import type { Catalog } from './catalog';
import { withGlobalIndexActive, withoutGlobalIndex } from './global-index-lifecycle';
import { schemaVersionOf } from './schema-version';
import { indexSpec } from './secondary-indexes';
import type { IndexDefinition, TableDefinition } from './table-definition';

/** Items re-indexed per range read of a backfill. */
const BACKFILL_PAGE_ITEMS = 500;
/** Wait before retrying a backfill or drop step that failed (a leader change, a node down). */
const RETRY_DELAY_MS = 1_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Completes UpdateTable's global index changes in the background: backfills a CREATING index from
 * the items already in the table, partition by partition (each item re-indexed by its leader at
 * the item's own version, so a concurrent write always wins), then marks it ACTIVE; drops a
 * DELETING index's entries, then removes it from the table. Every router runs one; the steps are
 * idempotent, so a router that dies mid-way leaves the work to the others.
 *
 * Either job starts by fencing the table at its new schema version in every data partition (see
 * docs/architecture.md, "Index fences"): once every partition's leader has acknowledged, no write
 * made with the old index list can land anywhere, so the backfill covers every item the writes
 * did not, and a dropped index gets no entry after its drop.
 */
export class IndexBuilder {
  private readonly running = new Set<string>();
  private readonly cursors = new Map<string, { partition: number; start: Buffer; startExclusive: boolean; items: number }>();
  private stopped = false;

  constructor(
    private readonly catalog: Catalog,
    private readonly storage: StorageClient,
    private readonly log: Logger,
    private readonly progress?: Gauge<'table' | 'index'>,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  /** Starts work for every index that needs it and is not being worked on here yet. */
  onCatalog(tables: readonly TableDefinition[]): void {
    for (const table of tables) {
      for (const index of table.globalSecondaryIndexes ?? []) {
        if (this.running.has(index.indexId) || this.stopped) continue;
        const work =
          index.indexStatus === 'CREATING' ? () => this.backfill(table, index)
          : index.indexStatus === 'DELETING' ? () => this.drop(table, index)
          : undefined;
        if (!work) continue;
        this.running.add(index.indexId);
        void this.untilDone(work).finally(() => this.running.delete(index.indexId));
      }
    }
  }

  private async untilDone(work: () => Promise<void>): Promise<void> {
    while (!this.stopped) {
      try {
        return await work();
      } catch (error) {
        this.log.warn('index build step failed; retrying', { error: String(error) });
        await sleep(RETRY_DELAY_MS);
      }
    }
  }

  /**
   * Writes the table's fence at its current schema version (the one that added or removed `index`)
   * into every data partition, through each partition's leader, and returns once all have
   * acknowledged (each leader answers once the fence is on a majority of the partition's replicas
   * and the writes it admitted before are staged). Throws when a partition did not answer; the
   * job is retried, and a fence already in place is kept (fences only rise).
   */
  private async fence(table: TableDefinition, index: IndexDefinition): Promise<TableDefinition | undefined> {
    const current = await this.catalog.find(table.tableName);
    if (current?.tableId !== table.tableId || !(current.globalSecondaryIndexes ?? []).some((g) => g.indexId === index.indexId && g.indexStatus === index.indexStatus)) {
      return undefined;
    }
    const version = schemaVersionOf(current);
    const key = Buffer.concat([FENCE_PREFIX, Buffer.from(table.tableId, 'hex')]);
    const context = () => createExpressionContext({ '#v': FENCE_VERSION_ATTRIBUTE }, { ':v': { N: String(version) } });
    const body = encodeJson({
      item: { [FENCE_VERSION_ATTRIBUTE]: { N: String(version) } },
      condition: parseCondition('ConditionExpression', 'attribute_not_exists(#v) OR #v < :v', context()),
      schemaVersion: version,
    } satisfies ItemOpBody);
    const partitions = Array.from({ length: this.storage.partitionCount }, (_, p) => p);
    const results = await Promise.all(partitions.map((partition) => this.storage.execute({ partition, key, kind: 'OP_KIND_PUT', body })));
    // A failed condition means the partition holds this fence or a later one already.
    const failed = results.find((r) => r.errorName && r.errorName !== 'ConditionalCheckFailedException');
    if (failed) throw new Error(`setting the index fence failed: ${failed.errorName}: ${failed.errorMessage}`);
    this.log.info('index fence set in every partition', { table: table.tableName, index: index.indexName, schemaVersion: version, partitions: partitions.length });
    return current;
  }

  private async backfill(table: TableDefinition, index: IndexDefinition): Promise<void> {
    const fenced = await this.fence(table, index);
    if (!fenced) return;
    const labels = { table: table.tableName, index: index.indexName };
    // At the fenced version: if the index is deleted meanwhile, its drop's fence refuses the rest.
    const body: ItemOpBody = { indexes: [indexSpec(table, { def: index, local: false })], tableKeySchema: table.keySchema, schemaVersion: schemaVersionOf(fenced) };
    const encodedBody = encodeJson(body);
    const tableStart = Buffer.from(table.tableId, 'hex');
    const tableEnd = prefixEnd(tableStart);
    // Where the backfill stands: a failed step is retried from here, not from the start.
    const cursor = this.cursors.get(index.indexId) ?? { partition: 0, start: tableStart, startExclusive: false, items: 0 };
    this.cursors.set(index.indexId, cursor);
    this.log.info('index backfill started', { ...labels, fromPartition: cursor.partition });
    while (cursor.partition < this.storage.partitionCount) {
      if (this.stopped || !(await this.stillWanted(table, index, 'CREATING'))) return;
      const { partition } = cursor;
      const page = await this.storage.readRange(
        [{ partition, start: cursor.start, startExclusive: cursor.startExclusive, end: tableEnd, endInclusive: false }],
        { consistent: true, reverse: false, limit: BACKFILL_PAGE_ITEMS, byteLimit: QUERY_PAGE_BYTES_MAX },
      );
      const results = await Promise.all(
        page.items.map((entry) => this.storage.execute({ partition, key: Buffer.from(entry.key), kind: 'OP_KIND_REINDEX', body: encodedBody })),
      );
      const failed = results.find((r) => r.errorName);
      if (failed) throw new Error(`re-indexing failed: ${failed.errorName}: ${failed.errorMessage}`);
      cursor.items += page.items.length;
      if (!page.exhausted && page.items.length > 0) {
        cursor.start = Buffer.from(page.items[page.items.length - 1].key);
        cursor.startExclusive = true;
        continue;
      }
      Object.assign(cursor, { partition: partition + 1, start: tableStart, startExclusive: false });
      this.progress?.set(labels, cursor.partition / this.storage.partitionCount);
      this.log.info('index backfill progress', { ...labels, partitionsDone: cursor.partition, partitions: this.storage.partitionCount, items: cursor.items });
    }
    await this.finish(table, index, (current) => withGlobalIndexActive(current, index.indexId));
    this.cursors.delete(index.indexId);
    this.log.info('index backfill done', { ...labels, items: cursor.items });
  }

  private async drop(table: TableDefinition, index: IndexDefinition): Promise<void> {
    if (!(await this.fence(table, index))) return;
    await this.storage.dropTable(Buffer.from(index.indexId, 'hex'));
    await this.finish(table, index, (current) => withoutGlobalIndex(current, index.indexId));
    this.log.info('index deleted', { table: table.tableName, index: index.indexName });
  }

  /** Whether the table still has this index (same id) in this state. */
  private async stillWanted(table: TableDefinition, index: IndexDefinition, status: IndexDefinition['indexStatus']): Promise<boolean> {
    const current = await this.catalog.find(table.tableName);
    return current?.tableId === table.tableId && (current.globalSecondaryIndexes ?? []).some((g) => g.indexId === index.indexId && g.indexStatus === status);
  }

  /** Applies `change` to the table's latest definition, if the index is still as this job found it. */
  private async finish(table: TableDefinition, index: IndexDefinition, change: (current: TableDefinition) => TableDefinition): Promise<void> {
    await this.catalog.refresh();
    for (;;) {
      const current = await this.catalog.find(table.tableName);
      if (!current || current.tableId !== table.tableId) return;
      const target = (current.globalSecondaryIndexes ?? []).find((g) => g.indexId === index.indexId);
      if (!target || target.indexStatus !== index.indexStatus) return;
      // Another writer changed the table meanwhile (an UpdateTable, another router's job): look again.
      if (await this.catalog.replace(current, change(current))) return;
    }
  }
}
