import { QUERY_PAGE_BYTES_MAX, prefixEnd, type Item } from '@triad/model';
import { STALE_INDEX_LIST, decodeJson, encodeJson, type ItemOpBody, type OpResultBody, type StaleIndexEntry } from '@triad/rpc';
import type { Logger } from '@triad/observability';
import type { Environment, TimerHandle } from '@triad/runtime';
import type { Counter, Gauge } from 'prom-client';
import type { StorageClient } from '../cluster/storage-client';
import { locate } from '../item-keys';
import type { Catalog } from './catalog';
import { entryDifference, expectedEntry, isExtraEntry, tableKeyOfEntry, type Difference } from './index-reconciliation';
import { schemaVersionOf } from './schema-version';
import { indexSpec } from './secondary-indexes';
import type { IndexDefinition, TableDefinition } from './table-definition';

/** How often every ACTIVE global index is compared with its table, by default (`--gsi-reconcile-interval-ms`; 0: never). */
export const GSI_RECONCILE_INTERVAL_MS_DEFAULT = 5 * 60_000;
/** Items (or entries) read per range read; their counterparts are read in one batch per page. */
const RECONCILE_PAGE_ITEMS = 500;
/** A long pass logs where it stands at most this often. */
const PROGRESS_LOG_INTERVAL_MS = 10_000;
/** Repairs logged one by one per pass; past this, only counted (and summed up at the end). */
const REPAIRS_LOGGED_PER_PASS_MAX = 100;

export interface IndexReconcilerComponents {
  catalog: Catalog;
  storage: StorageClient;
  log: Logger;
  metrics: {
    repairs: Counter<'table' | 'index' | 'kind'>;
    progress: Gauge<'table' | 'index'>;
    passes: Counter<'outcome'>;
  };
  /** Whether this router is the one to run the passes (one router does, so tables are read once). */
  isReconciler: () => boolean;
  env: Environment;
}

export interface IndexReconcilerInit {
  /** Pause between passes; 0 turns the reconciler off. */
  intervalMs: number;
}

/** One item that may need its entries rewritten, and the entries found pointing at it that may be wrong. */
interface Suspect {
  partition: number;
  itemKey: Buffer;
  extra: StaleIndexEntry[];
}

/** What one pass over one index found and did. */
export interface ReconcileOutcome {
  items: number;
  entries: number;
  repaired: Record<Difference, number>;
  failed: number;
}

/**
 * The background reconciler: compares each ACTIVE global index with its table and repairs what
 * differs, whatever the cause (a write made before index fences existed, a bug, a lost disk).
 *
 * A pass reads the table partition by partition and, for each item, the entry the index should
 * hold for it (missing or stale entries); then it reads the index partition by partition and, for
 * each entry, the item it points at (entries left behind by an item that moved or is gone). Reads
 * are eventually consistent and a page's counterparts are read in one batch, so a pass costs about
 * two point reads per item and holds one page in memory. A difference is looked at a second time
 * (the item by a strongly consistent read) before it is repaired, so a write still being delivered
 * is not taken for one. The repair is the backfill's own: the item's leader re-indexes it under
 * its lock from its current state, at its version, and writes a tombstone, at that version, for
 * each entry named that the item no longer has; so a concurrent write always wins.
 *
 * It runs in a router, not in the storage nodes: a router holds the catalog (which indexes are
 * ACTIVE, their keys and projections), reads any partition, and already re-indexes for the
 * backfill; a storage node knows no table definitions. One router runs it: the live router with
 * the smallest id, as gossip sees them (two that disagree both run it, which is only wasted work).
 */
export class IndexReconciler {
  private timer?: TimerHandle;
  private stopped = false;
  private running?: Promise<void>;

  constructor(
    private readonly c: IndexReconcilerComponents,
    private readonly init: IndexReconcilerInit,
  ) {}

  start(): void {
    if (this.init.intervalMs > 0) this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.c.env.clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.c.env.setTimeout(() => {
      this.running = (this.c.isReconciler() ? this.runOnce().then(() => undefined) : Promise.resolve())
        .catch((error: unknown) => {
          this.c.metrics.passes.inc({ outcome: 'failed' });
          this.c.log.warn('global index reconciliation failed; trying again at the next pass', { error: String(error) });
        })
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.init.intervalMs);
    this.timer.unref();
  }

  /** One pass over every ACTIVE global index of every table. */
  async runOnce(): Promise<ReconcileOutcome[]> {
    const outcomes: ReconcileOutcome[] = [];
    for (const name of await this.c.catalog.listNames()) {
      const table = await this.c.catalog.find(name);
      for (const index of table?.globalSecondaryIndexes ?? []) {
        if (this.stopped) return outcomes;
        if (index.indexStatus !== 'ACTIVE') continue;
        outcomes.push(await this.reconcile(table!, index));
      }
    }
    this.c.metrics.passes.inc({ outcome: 'complete' });
    return outcomes;
  }

  /** Compares one index with its table and repairs what differs. */
  async reconcile(table: TableDefinition, index: IndexDefinition): Promise<ReconcileOutcome> {
    const labels = { table: table.tableName, index: index.indexName };
    const outcome: ReconcileOutcome = { items: 0, entries: 0, repaired: { missing: 0, stale: 0, extra: 0 }, failed: 0 };
    const partitions = this.c.storage.partitionCount;
    const steps = 2 * partitions;
    let logged = 0;
    let lastProgressLog = this.c.env.monotonicMs();
    const started = this.c.env.monotonicMs();
    const progress = (step: number) => {
      this.c.metrics.progress.set(labels, step / steps);
      if (this.c.env.monotonicMs() - lastProgressLog >= PROGRESS_LOG_INTERVAL_MS) {
        lastProgressLog = this.c.env.monotonicMs();
        this.c.log.info('global index reconciliation progress', { ...labels, partitionsDone: step, partitions: steps, items: outcome.items, entries: outcome.entries });
      }
    };
    const repair = async (suspects: Suspect[]) => {
      for (const suspect of suspects) {
        const repaired = await this.confirmAndRepair(table, index, suspect);
        if (repaired === 'failed') {
          outcome.failed++;
          continue;
        }
        for (const difference of repaired) {
          outcome.repaired[difference]++;
          this.c.metrics.repairs.inc({ ...labels, kind: difference });
        }
        if (repaired.length > 0 && logged++ < REPAIRS_LOGGED_PER_PASS_MAX) {
          this.c.log.warn('global index entry repaired', { ...labels, differences: repaired, itemKey: suspect.itemKey.toString('hex') });
        }
      }
    };
    progress(0);
    const tableId = Buffer.from(table.tableId, 'hex');
    for (let partition = 0; partition < partitions && !this.stopped; partition++) {
      await this.walk(partition, tableId, async (page) => {
        outcome.items += page.length;
        await repair(await this.missingOrStale(table, index, partition, page));
      });
      progress(partition + 1);
    }
    const indexId = Buffer.from(index.indexId, 'hex');
    for (let partition = 0; partition < partitions && !this.stopped; partition++) {
      await this.walk(partition, indexId, async (page) => {
        outcome.entries += page.length;
        await repair(await this.extra(table, index, partition, page));
      });
      progress(partitions + partition + 1);
    }
    const repairs = outcome.repaired.missing + outcome.repaired.stale + outcome.repaired.extra;
    this.c.log[repairs > 0 || outcome.failed > 0 ? 'warn' : 'info']('global index reconciled', {
      ...labels,
      items: outcome.items,
      entries: outcome.entries,
      repaired: outcome.repaired,
      failed: outcome.failed,
      seconds: (this.c.env.monotonicMs() - started) / 1000,
    });
    return outcome;
  }

  /** Reads every record of one partition under `prefix` (a table's items or an index's entries), a page at a time. */
  private async walk(partition: number, prefix: Buffer, onPage: (page: { key: Buffer; item: Item }[]) => Promise<void>): Promise<void> {
    const end = prefixEnd(prefix);
    let start = prefix;
    let startExclusive = false;
    for (;;) {
      if (this.stopped) return;
      const reply = await this.c.storage.readRange(
        [{ partition, start, startExclusive, end, endInclusive: false }],
        { consistent: false, reverse: false, limit: RECONCILE_PAGE_ITEMS, byteLimit: QUERY_PAGE_BYTES_MAX },
      );
      const page = reply.items.map((entry) => ({ key: Buffer.from(entry.key), item: JSON.parse(Buffer.from(entry.item).toString('utf8')) as Item }));
      if (page.length > 0) await onPage(page);
      if (reply.exhausted || page.length === 0) return;
      start = page[page.length - 1].key;
      startExclusive = true;
    }
  }

  /** Items of the page whose entry is missing or differs from what the item says. */
  private async missingOrStale(table: TableDefinition, index: IndexDefinition, partition: number, page: { key: Buffer; item: Item }[]): Promise<Suspect[]> {
    const partitionOf = (encoded: Uint8Array) => this.c.storage.partitionOf(encoded);
    const checks = await Promise.all(
      page.map(async ({ key, item }): Promise<Suspect | undefined> => {
        const expected = expectedEntry(table, index, item, partitionOf);
        if (!expected) return undefined;
        const found = await this.c.storage.readEventual(expected.partition, expected.key);
        const difference = entryDifference(expected, found && (JSON.parse(found.toString('utf8')) as Item));
        return difference ? { partition, itemKey: key, extra: [] } : undefined;
      }),
    );
    return checks.filter((suspect): suspect is Suspect => suspect !== undefined);
  }

  /** Entries of the page that their item (if any) does not have. */
  private async extra(table: TableDefinition, index: IndexDefinition, partition: number, page: { key: Buffer; item: Item }[]): Promise<Suspect[]> {
    const partitionOf = (encoded: Uint8Array) => this.c.storage.partitionOf(encoded);
    const checks = await Promise.all(
      page.map(async ({ key, item: entry }): Promise<Suspect | undefined> => {
        const tableKey = tableKeyOfEntry(table.keySchema, entry);
        if (!tableKey) {
          this.c.log.warn('global index entry without its table key; left alone', { table: table.tableName, index: index.indexName, key: key.toString('hex') });
          return undefined;
        }
        const location = locate(this.c.storage, table, tableKey);
        const found = await this.c.storage.readEventual(location.partition, location.key);
        const expected = found && expectedEntry(table, index, JSON.parse(found.toString('utf8')) as Item, partitionOf);
        if (!isExtraEntry(partition, key, expected)) return undefined;
        const stale: StaleIndexEntry = { index: index.indexName, partition, key: key.toString('base64') };
        return { partition: location.partition, itemKey: location.key, extra: [stale] };
      }),
    );
    return checks.filter((suspect): suspect is Suspect => suspect !== undefined);
  }

  /**
   * Looks at a suspect again (its item as its leader has it, its entries as now found) and, if a
   * difference is still there, has the item's leader re-index it. Returns the differences repaired,
   * or 'failed' (tried again at the next pass).
   */
  private async confirmAndRepair(table: TableDefinition, index: IndexDefinition, suspect: Suspect): Promise<Difference[] | 'failed'> {
    // The definition of this pass must still be the table's: the index may have been deleted since.
    const current = await this.c.catalog.find(table.tableName);
    if (current?.tableId !== table.tableId || !(current.globalSecondaryIndexes ?? []).some((g) => g.indexId === index.indexId && g.indexStatus === 'ACTIVE')) return [];
    const read = await this.c.storage.execute({ partition: suspect.partition, key: suspect.itemKey, kind: 'OP_KIND_GET', body: encodeJson({}) });
    if (read.errorName) return 'failed';
    const item = decodeJson<OpResultBody>(read.body)?.item;
    const partitionOf = (encoded: Uint8Array) => this.c.storage.partitionOf(encoded);
    const expected = item && expectedEntry(current, index, item, partitionOf);
    const differences: Difference[] = [];
    if (expected) {
      const found = await this.c.storage.readEventual(expected.partition, expected.key);
      const difference = entryDifference(expected, found && (JSON.parse(found.toString('utf8')) as Item));
      if (difference) differences.push(difference);
    }
    const extra: StaleIndexEntry[] = [];
    for (const stale of suspect.extra) {
      const key = Buffer.from(stale.key, 'base64');
      if (!isExtraEntry(stale.partition, key, expected)) continue;
      if ((await this.c.storage.readEventual(stale.partition, key)) === undefined) continue;
      extra.push(stale);
      differences.push('extra');
    }
    if (differences.length === 0) return [];
    const body: ItemOpBody = {
      indexes: [indexSpec(current, { def: index, local: false })],
      tableKeySchema: current.keySchema,
      schemaVersion: schemaVersionOf(current),
      ...(extra.length > 0 ? { staleEntries: extra } : {}),
    };
    const result = await this.c.storage.execute({ partition: suspect.partition, key: suspect.itemKey, kind: 'OP_KIND_REINDEX', body: encodeJson(body) });
    if (result.errorName === STALE_INDEX_LIST) return []; // the index changed since this pass began: the next pass sees it as it is
    if (result.errorName) {
      this.c.log.warn('global index repair failed; trying again at the next pass', { table: table.tableName, index: index.indexName, error: `${result.errorName}: ${result.errorMessage}` });
      return 'failed';
    }
    return differences;
  }

  /** Resolves once a pass under way (if any) has ended; for shutdown and tests. */
  async idle(): Promise<void> {
    await this.running;
  }
}
