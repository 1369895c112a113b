import {
  DynamoDbError,
  InternalServerError,
  ResourceInUseException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  createExpressionContext,
  dynamoDbErrorFromName,
  encodeKeyValue,
  parseCondition,
} from '@triad/model';
import { decodeJson, encodeJson, type ItemOp, type OpResultBody } from '@triad/rpc';
import type { Logger } from '@triad/observability';
import { sleep, type Environment, type TimerHandle } from '@triad/runtime';
import type { StorageClient } from '../cluster/storage-client';
import type { Counter } from 'prom-client';
import { schemaVersionOf, withSchemaVersion } from './schema-version';
import type { TableDefinition } from './table-definition';

/** Compare-and-set writes of one definition give up after this many lost races. */
export const CATALOG_WRITE_ATTEMPTS_MAX = 5;
/** Every router re-reads the catalog this often, so a table created or deleted elsewhere shows within a second. */
export const CATALOG_REFRESH_MS = 500;
/**
 * A write refused for an old index list waits this long for the router's catalog to catch up
 * (normally one read of the catalog); past it, the client gets a retriable ServiceUnavailable.
 */
export const CATALOG_CATCH_UP_MS_MAX = 5_000;
/** Pause between attempts to catch up when the catalog cannot be read. */
const CATCH_UP_RETRY_MS = 200;
/** The catalog's own table id inside the system partition (user table ids are random and never all zero). */
const CATALOG_TABLE_ID = Buffer.alloc(8);
/** Catalog entries are items { name: S, definition: S(JSON) }. */
const NAME_ATTRIBUTE = 'name';

const ifAbsent = () =>
  parseCondition('ConditionExpression', 'attribute_not_exists(#n)', createExpressionContext({ '#n': NAME_ATTRIBUTE }));
const ifPresent = () =>
  parseCondition('ConditionExpression', 'attribute_exists(#n)', createExpressionContext({ '#n': NAME_ATTRIBUTE }));

/**
 * Table definitions, stored in the cluster's system partition and written with strong consistency
 * through its leader, so that every router sees every table and a restarted router loses nothing.
 * Each router keeps a cache that it refreshes in the background.
 */
export class Catalog {
  private cache = new Map<string, TableDefinition>();
  /**
   * Counts this router's own changes of the cache (its catalog writes, reads of one definition
   * from the leader), and when each table's last was: a refresh that read the catalog before such
   * a change keeps the changed entry rather than going back to what it read.
   */
  private cacheWrites = 0;
  private readonly cacheWrittenAt = new Map<string, number>();
  private timer?: TimerHandle;
  /** The refresh under way, and the one queued behind it for callers that need a read that starts after their call. */
  private refreshing?: Promise<void>;
  private queued?: Promise<void>;
  /** Called with every definition after each refresh (background work on tables watches this). */
  onRefresh?: (tables: TableDefinition[]) => void;

  constructor(
    private readonly storage: StorageClient,
    private readonly log: Logger,
    /** Times the refreshes and the catch-up deadline. */
    private readonly env: Environment,
    /** Counts writes refused by a leader for an old index list, which this catalog then caught up for. */
    private readonly staleIndexListRetries?: Counter,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = this.env.setInterval(() => {
      // One refresh at a time: while the catalog is unreachable, reads would pile up every 500 ms.
      (this.refreshing ?? this.startRefresh()).catch((error: unknown) => this.log.warn('catalog refresh failed', { error: String(error) }));
    }, CATALOG_REFRESH_MS);
    this.timer.unref();
  }

  private startRefresh(): Promise<void> {
    const refreshing = this.refresh().finally(() => {
      if (this.refreshing === refreshing) this.refreshing = undefined;
    });
    this.refreshing = refreshing;
    return refreshing;
  }

  /** A refresh that starts after this call (shared by every caller while one is queued). */
  private freshRefresh(): Promise<void> {
    if (!this.refreshing) return this.startRefresh();
    if (!this.queued) {
      this.queued = this.refreshing.catch(() => undefined).then(() => {
        this.queued = undefined;
        return this.refreshing ?? this.startRefresh();
      });
    }
    return this.queued;
  }

  /**
   * The table's definition with a newer schema version than `stale`, which a leader refused a
   * write for (its index list is old): from the cache if another request already brought it,
   * else from a fresh read of the catalog, retried until CATALOG_CATCH_UP_MS_MAX has passed.
   * Throws ResourceNotFoundException if the table is gone (or re-created), ServiceUnavailable if
   * the catalog cannot be read in time: never lets the write through with the old list.
   */
  async catchUp(stale: TableDefinition): Promise<TableDefinition> {
    this.staleIndexListRetries?.inc();
    const deadline = this.env.monotonicMs() + CATALOG_CATCH_UP_MS_MAX;
    let lastError: unknown;
    const newer = (def: TableDefinition | undefined) => def !== undefined && def.tableId === stale.tableId && schemaVersionOf(def) > schemaVersionOf(stale);
    for (;;) {
      const cached = this.cache.get(stale.tableName);
      if (newer(cached)) return cached!;
      try {
        // A read of an unreachable catalog may take the storage client's whole deadline: stop at ours.
        let timer: TimerHandle | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = this.env.setTimeout(() => reject(new Error('the catalog did not answer in time')), Math.max(0, deadline - this.env.monotonicMs()));
        });
        await Promise.race([this.freshRefresh(), timeout]).finally(() => this.env.clearTimeout(timer));
        const fresh = this.cache.get(stale.tableName);
        if (!fresh || fresh.tableId !== stale.tableId) throw new ResourceNotFoundException('Requested resource not found');
        if (newer(fresh)) return fresh;
        lastError = new Error(`the catalog still has schema version ${schemaVersionOf(fresh)} of ${stale.tableName}`);
      } catch (error) {
        if (error instanceof ResourceNotFoundException) throw error;
        lastError = error;
      }
      if (this.env.monotonicMs() + CATCH_UP_RETRY_MS > deadline) break;
      await sleep(this.env, CATCH_UP_RETRY_MS);
    }
    this.log.warn('a write was refused for an old index list and the catalog could not be refreshed', { table: stale.tableName, error: String(lastError) });
    throw new ServiceUnavailableException('The table\'s definition could not be refreshed; retry the request');
  }

  stop(): void {
    this.env.clearInterval(this.timer);
  }

  private key(tableName: string): Buffer {
    return Buffer.concat([CATALOG_TABLE_ID, encodeKeyValue('S', { S: tableName })]);
  }

  /** Reads every definition from the catalog's leader. */
  async refresh(): Promise<void> {
    const startedAt = this.cacheWrites;
    const next = new Map<string, TableDefinition>();
    const partition = this.storage.systemPartition;
    let start: Buffer = CATALOG_TABLE_ID;
    let startExclusive = false;
    for (;;) {
      const reply = await this.storage.readRange(
        [{ partition, start, startExclusive, end: Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]), endInclusive: false }],
        { consistent: true, reverse: false, limit: 0, byteLimit: 1024 * 1024 },
      );
      for (const entry of reply.items) {
        const def = this.decode(entry.item);
        next.set(def.tableName, def);
      }
      if (reply.exhausted || reply.items.length === 0) break;
      start = reply.items[reply.items.length - 1].key;
      startExclusive = true;
    }
    for (const [tableName, writtenAt] of this.cacheWrittenAt) {
      if (writtenAt <= startedAt) continue;
      const mine = this.cache.get(tableName);
      if (mine) next.set(tableName, mine);
      else next.delete(tableName);
    }
    this.cache = next;
    this.onRefresh?.([...next.values()]);
  }

  /** Sets (or drops, to be read again) this router's cached definition of a table. */
  private cacheWrite(tableName: string, def: TableDefinition | undefined): void {
    if (def) this.cache.set(tableName, def);
    else this.cache.delete(tableName);
    this.cacheWrittenAt.set(tableName, ++this.cacheWrites);
  }

  private decode(itemJson: Buffer): TableDefinition {
    const item = JSON.parse(itemJson.toString('utf8')) as { definition: { S: string } };
    return JSON.parse(item.definition.S) as TableDefinition;
  }

  private async run(op: Omit<ItemOp, 'partition'>): Promise<OpResultBody> {
    const result = await this.storage.execute({ ...op, partition: this.storage.systemPartition });
    if (result.errorName) throw dynamoDbErrorFromName(result.errorName, result.errorMessage);
    return decodeJson<OpResultBody>(result.body) ?? {};
  }

  /** The table's definition: from the cache, else from the catalog's leader. */
  async find(tableName: string): Promise<TableDefinition | undefined> {
    const cached = this.cache.get(tableName);
    if (cached) return cached;
    const result = await this.run({ key: this.key(tableName), kind: 'OP_KIND_GET', body: encodeJson({}) });
    if (!result.item) return undefined;
    const def = JSON.parse((result.item.definition as { S: string }).S) as TableDefinition;
    this.cacheWrite(tableName, def);
    return def;
  }

  /** Like find, but throws DynamoDB's ResourceNotFoundException. */
  async require(tableName: string, message = 'Requested resource not found'): Promise<TableDefinition> {
    const def = await this.find(tableName);
    if (!def) throw new ResourceNotFoundException(message);
    return def;
  }

  async create(def: TableDefinition): Promise<void> {
    try {
      await this.writeOnce(def.tableName, () => this.run({
        key: this.key(def.tableName),
        kind: 'OP_KIND_PUT',
        body: encodeJson({
          item: { [NAME_ATTRIBUTE]: { S: def.tableName }, definition: { S: JSON.stringify(def) } },
          condition: ifAbsent(),
        }),
      }), (stored) => stored?.tableId === def.tableId);
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') {
        throw new ResourceInUseException(`Table already exists: ${def.tableName}`);
      }
      throw error;
    }
    this.cacheWrite(def.tableName, def);
  }

  /**
   * Applies `change` to the table's latest definition with compare-and-set, reading again and
   * retrying when another writer got there first; throws `notFound()` when the table is gone.
   * Returns the definition as written.
   */
  async modify(tableName: string, change: (def: TableDefinition) => TableDefinition, notFound: () => Error): Promise<TableDefinition> {
    for (let attempt = 1; ; attempt++) {
      const def = await this.find(tableName);
      if (!def) throw notFound();
      const next = change(def);
      if (JSON.stringify(next) === JSON.stringify(def) || (await this.replace(def, next))) return next;
      if (attempt >= CATALOG_WRITE_ATTEMPTS_MAX) {
        throw new InternalServerError(`Table ${tableName} kept changing while it was being updated; try again`);
      }
    }
  }

  /**
   * Compare-and-set: rewrites a table's definition only if the stored one is still `before`, so
   * that writers racing on one table (UpdateTable on two routers, the index job recording a
   * finished backfill) never silently undo each other. Returns false when the definition changed
   * or vanished meanwhile, having dropped the cached copy, so that the caller's next find() reads
   * the leader's: re-apply the change to that and try again.
   */
  async replace(before: TableDefinition, proposed: TableDefinition): Promise<boolean> {
    if (before.tableName !== proposed.tableName) throw new Error('assertion: replace() keeps the table name');
    // Every change of the index list writes carry raises the schema version (schema-version.ts).
    const after = withSchemaVersion(before, proposed);
    const afterJson = JSON.stringify(after);
    const unchanged = () =>
      parseCondition(
        'ConditionExpression',
        '#d = :before',
        createExpressionContext({ '#d': 'definition' }, { ':before': { S: JSON.stringify(before) } }),
      );
    try {
      await this.writeOnce(after.tableName, () => this.run({
        key: this.key(after.tableName),
        kind: 'OP_KIND_PUT',
        body: encodeJson({
          item: { [NAME_ATTRIBUTE]: { S: after.tableName }, definition: { S: afterJson } },
          condition: unchanged(),
        }),
      }), (stored) => stored !== undefined && JSON.stringify(stored) === afterJson);
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') {
        this.cacheWrite(after.tableName, undefined);
        return false;
      }
      throw error;
    }
    this.cacheWrite(after.tableName, after);
    return true;
  }

  /**
   * Runs a catalog write whose outcome a retriable failure leaves unknown (a leader change while it
   * was replicated), then reads the catalog back: if `applied` says the write is there, it counts
   * as done. Table ids are unique, so a retry never mistakes another CreateTable for its own.
   */
  private async writeOnce<T>(tableName: string, write: () => Promise<T>, applied: (stored: TableDefinition | undefined) => boolean): Promise<T | undefined> {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof DynamoDbError) || !error.retriable) throw error;
      this.cacheWrite(tableName, undefined);
      if (applied(await this.find(tableName))) return undefined;
      throw error;
    }
  }

  /** Removes the definition; returns it as it was. */
  async delete(tableName: string): Promise<TableDefinition> {
    const notFound = () => new ResourceNotFoundException(`Requested resource not found: Table: ${tableName} not found`);
    const before = await this.find(tableName);
    if (!before) throw notFound();
    try {
      await this.writeOnce(
        tableName,
        () => this.run({ key: this.key(tableName), kind: 'OP_KIND_DELETE', body: encodeJson({ condition: ifPresent() }) }),
        (stored) => stored === undefined,
      );
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') throw notFound();
      throw error;
    }
    this.cacheWrite(tableName, undefined);
    return before;
  }

  /** Every table name, sorted as DynamoDB lists them. */
  async listNames(): Promise<string[]> {
    return [...this.cache.keys()].sort();
  }
}
