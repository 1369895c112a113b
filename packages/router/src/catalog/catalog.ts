import {
  DynamoDbError,
  InternalServerError,
  ResourceInUseException,
  ResourceNotFoundException,
  createExpressionContext,
  dynamoDbErrorFromName,
  encodeKeyValue,
  parseCondition,
} from '@triad/model';
import { decodeJson, encodeJson, type ItemOp, type OpResultBody } from '@triad/rpc';
import type { Logger } from '@triad/observability';
import type { StorageClient } from '../cluster/storage-client';
import type { TableDefinition } from './table-definition';

/** Compare-and-set writes of one definition give up after this many lost races. */
export const CATALOG_WRITE_ATTEMPTS_MAX = 5;
/** Every router re-reads the catalog this often, so a table created or deleted elsewhere shows within a second. */
export const CATALOG_REFRESH_MS = 500;
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
  private timer?: NodeJS.Timeout;
  /** Called with every definition after each refresh (background work on tables watches this). */
  onRefresh?: (tables: TableDefinition[]) => void;

  constructor(private readonly storage: StorageClient, private readonly log: Logger) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.log.warn('catalog refresh failed', { error: String(error) }));
    }, CATALOG_REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private key(tableName: string): Buffer {
    return Buffer.concat([CATALOG_TABLE_ID, encodeKeyValue('S', { S: tableName })]);
  }

  /** Reads every definition from the catalog's leader. */
  async refresh(): Promise<void> {
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
    this.cache = next;
    this.onRefresh?.([...next.values()]);
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
    this.cache.set(tableName, def);
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
    this.cache.set(def.tableName, def);
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
  async replace(before: TableDefinition, after: TableDefinition): Promise<boolean> {
    if (before.tableName !== after.tableName) throw new Error('assertion: replace() keeps the table name');
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
        this.cache.delete(after.tableName);
        return false;
      }
      throw error;
    }
    this.cache.set(after.tableName, after);
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
      this.cache.delete(tableName);
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
    this.cache.delete(tableName);
    return before;
  }

  /** Every table name, sorted as DynamoDB lists them. */
  async listNames(): Promise<string[]> {
    return [...this.cache.keys()].sort();
  }
}
