import { PREFIX_STATS_PREFIXES_MAX } from '@triad/rpc';
import type { Logger } from '@triad/observability';
import type { Environment, TimerHandle } from '@triad/runtime';
import type { Counter, Histogram } from 'prom-client';
import type { StorageClient } from '../cluster/storage-client';
import { ZERO_SIZE, type ApproximateSize, type SizeEstimates } from './size-estimates';
import type { TableDefinition } from './table-definition';

/**
 * The pause between recounts. DynamoDB refreshes these figures about every six hours; a
 * self-hosted cluster's operators read DescribeTable to watch a load or a purge land, and a recount
 * costs one background walk of each node's data, so once a minute.
 */
export const TABLE_STATS_INTERVAL_MS_DEFAULT = 60_000;
/**
 * A recount that took long (much data) waits at least this many times its own duration before the
 * next, so that counting keeps each storage node's disk busy at most a fifth of the time.
 */
export const TABLE_STATS_PAUSE_PER_WALK_RATIO = 4;

export type RefreshOutcome = 'complete' | 'incomplete' | 'failed';

export interface TableStatisticsInit {
  /** Pause between recounts, in milliseconds (at least; see TABLE_STATS_PAUSE_PER_WALK_RATIO). Default 60 000. */
  intervalMs?: number;
}

export interface TableStatisticsComponents {
  storage: Pick<StorageClient, 'prefixStats'>;
  log: Logger;
  /** Times the walks and the pauses between them. */
  env: Environment;
  metrics?: { refreshes: Counter<'outcome'>; refreshSeconds: Histogram };
}

/** The ids whose records are counted: every table's, and every index's (entries are records of their own). */
export function statisticsIds(tables: readonly TableDefinition[]): string[] {
  return tables.flatMap((t) => [t.tableId, ...[...(t.localSecondaryIndexes ?? []), ...(t.globalSecondaryIndexes ?? [])].map((i) => i.indexId)]);
}

/**
 * DynamoDB's approximate ItemCount and sizes of every table and index, recounted in the background
 * (storage nodes walk their data, so never on a request's path) and read from memory by
 * DescribeTable. Until the first recount after a table appears, its figures are zeros, as DynamoDB's
 * are for a new table. A recount that misses a partition (every replica down) keeps the previous
 * figures rather than show a partition's items as gone.
 */
export class TableStatistics implements SizeEstimates {
  private figures = new Map<string, ApproximateSize>();
  private tables: readonly TableDefinition[] = [];
  private timer?: TimerHandle;
  private stopped = false;
  private readonly intervalMs: number;

  constructor(private readonly c: TableStatisticsComponents, init: TableStatisticsInit = {}) {
    this.intervalMs = init.intervalMs ?? TABLE_STATS_INTERVAL_MS_DEFAULT;
    if (!Number.isInteger(this.intervalMs) || this.intervalMs <= 0) throw new Error(`table statistics interval must be a positive integer of ms, got ${init.intervalMs}`);
  }

  /** The catalog's tables after each of its refreshes (Catalog.onRefresh). */
  onCatalog(tables: readonly TableDefinition[]): void {
    this.tables = tables;
  }

  sizeOf(id: string): ApproximateSize {
    return this.figures.get(id) ?? ZERO_SIZE;
  }

  /** Counts now (after a restart, existing tables need not wait an interval), then again after each pause. */
  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.c.env.clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = this.c.env.setTimeout(() => {
      const started = this.c.env.monotonicMs();
      void this.refresh().then(() => this.schedule(Math.max(this.intervalMs, (this.c.env.monotonicMs() - started) * TABLE_STATS_PAUSE_PER_WALK_RATIO)));
    }, delayMs);
    this.timer.unref();
  }

  /** Recounts every table and index now; never throws. */
  async refresh(): Promise<RefreshOutcome> {
    const started = this.c.env.monotonicMs();
    const ids = statisticsIds(this.tables);
    let outcome: RefreshOutcome = 'complete';
    try {
      const figures = new Map<string, ApproximateSize>();
      // Practically always one request; more only past DynamoDB's default table quota.
      for (let from = 0; from < ids.length && outcome === 'complete'; from += PREFIX_STATS_PREFIXES_MAX) {
        const chunk = ids.slice(from, from + PREFIX_STATS_PREFIXES_MAX);
        const result = await this.c.storage.prefixStats(chunk.map((id) => Buffer.from(id, 'hex')));
        if (result.partitionsMissed.length > 0) {
          outcome = 'incomplete';
          this.c.log.warn('table statistics not refreshed: no replica counted some partitions', { partitions: result.partitionsMissed });
        }
        chunk.forEach((id, i) => figures.set(id, { itemCount: result.stats[i].items, sizeBytes: result.stats[i].sizeBytes }));
      }
      if (outcome === 'complete') this.figures = figures;
    } catch (error) {
      outcome = 'failed';
      this.c.log.warn('table statistics refresh failed', { error: String(error) });
    }
    const seconds = (this.c.env.monotonicMs() - started) / 1000;
    this.c.metrics?.refreshes.inc({ outcome });
    this.c.metrics?.refreshSeconds.observe(seconds);
    this.c.log.debug('table statistics refreshed', { outcome, ids: ids.length, seconds });
    return outcome;
  }
}
