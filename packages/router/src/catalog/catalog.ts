import {
  DynamoDbError,
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
   * Rewrites a table's definition (UpdateTable, TagResource, ...), on condition that the table
   * still exists as the same table: a table deleted, or deleted and re-created, meanwhile makes
   * this throw ResourceNotFoundException instead of resurrecting or overwriting it.
   */
  async update(def: TableDefinition): Promise<void> {
    const json = JSON.stringify(def);
    const sameTable = () =>
      parseCondition(
        'ConditionExpression',
        'attribute_exists(#n) AND contains(#d, :id)',
        createExpressionContext({ '#n': NAME_ATTRIBUTE, '#d': 'definition' }, { ':id': { S: `"tableId":"${def.tableId}"` } }),
      );
    try {
      await this.writeOnce(def.tableName, () => this.run({
        key: this.key(def.tableName),
        kind: 'OP_KIND_PUT',
        body: encodeJson({
          item: { [NAME_ATTRIBUTE]: { S: def.tableName }, definition: { S: json } },
          condition: sameTable(),
        }),
      }), (stored) => stored !== undefined && JSON.stringify(stored) === json);
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') {
        this.cache.delete(def.tableName);
        throw new ResourceNotFoundException(`Requested resource not found: Table: ${def.tableName} not found`);
      }
      throw error;
    }
    this.cache.set(def.tableName, def);
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
