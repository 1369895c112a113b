/**
 * The global index workload of a chaos run, beside the register workload and under the same
 * faults: a table of its own with a global secondary index whose key the clients keep changing,
 * so that index entries move between index partitions while nodes die, pause and lose their disks.
 *
 * A small pool of items, each `pk` (table key), `grp` (the index's partition key: one of a few
 * groups), `rank` (its sort key), `v` (projected) and `x` (not projected). Clients pick an item at
 * random and move it to another group, change its rank, change `v` or `x`, remove its group (the
 * index is sparse), replace it whole, or delete it. Writes are unconditional and each attempt is
 * made once: check (e) does not need to know which writes took effect, only that the index ends
 * up agreeing with whatever the table holds.
 *
 * Clients spread over the routers given (client i uses router i mod n), so that a router with a
 * stale catalog writes too; and indexes can be added and removed while the clients run
 * (createIndex, deleteIndex: the add-index fault), every index in place at the end checked alike.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  UpdateTableCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { eventually } from '../eventually';
import { dynamoClient } from '../sdk-client';
import { waitForActive } from '../tables';
import { delay, nowMs, sleepUnless } from './clock';
import { classifyError } from './dynamo-register';
import { Prng } from './prng';

export type Item = Record<string, AttributeValue>;

/** Which attributes make a global index and what its entries hold. */
export interface GlobalIndexShape {
  /** The table's partition key (the table has no sort key). */
  tableKey: string;
  /** The index's partition key: entries are grouped, and queried, by its value (a string). */
  partitionKey: string;
  sortKey?: string;
  /** Non-key attributes an entry holds (INCLUDE projection). */
  projected: readonly string[];
}

/** One global index of the table, and how to read it whole. */
export interface IndexSpec {
  name: string;
  shape: GlobalIndexShape;
  /** Every value its partition key can take: the check queries each. */
  groups: readonly AttributeValue[];
}

/** What the table and one index held at one moment (the workload stopped). */
export interface IndexSnapshot {
  /** Every item of the table (strongly consistent Scan). */
  table: Item[];
  /** Per group queried, the index's entries in the order its Query returned them. */
  index: Map<string, Item[]>;
}

export type IndexWriteKind = 'put' | 'move' | 'rerank' | 'touch-v' | 'touch-x' | 'ungroup' | 'delete';
export type IndexOutcome = 'ok' | 'failed' | 'unknown';

/** One write attempt, for the history file. */
export interface IndexAttempt {
  clientId: string;
  kind: IndexWriteKind;
  key: string;
  /** The attributes it set (values), or removed (null). */
  set: Record<string, string | number | null>;
  invokeMs: number;
  completeMs: number;
  ok: true | false | 'unknown';
  error?: string;
}

export interface GlobalIndexWorkloadInit {
  /** The router that creates the table and takes UpdateTable and the check's reads; clients use it too unless `endpoints` is given. */
  endpoint: string;
  /** The routers clients use, client i the (i mod n)-th; default [endpoint]. */
  endpoints?: readonly string[];
  seed: number;
  /** Default `chaos_gsi_<random>`, for the same reason as the register table's. */
  tableName?: string;
  /** Concurrent clients; default 2 (the register workload's clients are the main load). */
  clients?: number;
  /** Items in the pool; default 48. */
  items?: number;
  /** Groups (index partition key values); default 8, spread over several index partitions. */
  groups?: number;
  /** Relative weights of the writes; default put 15, move 35, rerank 10, touch-v 15, touch-x 10, ungroup 5, delete 10. */
  mix?: Partial<Record<IndexWriteKind, number>>;
  /** Pause between a client's writes, uniformly 0..thinkMsMax; default 10 ms. */
  thinkMsMax?: number;
  /** The SDK's request timeout; default 12,000 ms (the router gives up after 10 s). */
  requestTimeoutMs?: number;
}

export const INDEX_NAME = 'byGroup';
export const INDEX_SHAPE: GlobalIndexShape = { tableKey: 'pk', partitionKey: 'grp', sortKey: 'rank', projected: ['v'] };

/**
 * The indexes the add-index fault creates, in turn: by group with every attribute (ALL), and by
 * rank with the group as sort key, keys only — another partition key, another type (N), another
 * projection than the table's first index.
 */
export const ADDED_INDEX_KINDS = ['groupAll', 'rankKeys'] as const;
export type AddedIndexKind = (typeof ADDED_INDEX_KINDS)[number];
const ADDED_INDEX_SHAPES: Record<AddedIndexKind, { shape: GlobalIndexShape; projection: 'ALL' | 'KEYS_ONLY' }> = {
  groupAll: { shape: { tableKey: 'pk', partitionKey: 'grp', projected: ['rank', 'v', 'x'] }, projection: 'ALL' },
  rankKeys: { shape: { tableKey: 'pk', partitionKey: 'rank', sortKey: 'grp', projected: [] }, projection: 'KEYS_ONLY' },
};
/** UpdateTable's index creation or deletion must be over within this long. */
const INDEX_CHANGE_TIMEOUT_MS = 120_000;
const INDEX_STATUS_POLL_MS = 250;
const DEFAULT_MIX: Record<IndexWriteKind, number> = { put: 15, move: 35, rerank: 10, 'touch-v': 15, 'touch-x': 10, ungroup: 5, delete: 10 };
/** Ranks are drawn from 0..RANK_MAX-1: few enough that items of a group share ranks (entries then differ by table key only). */
const RANK_MAX = 20;
/** After a failed or unknown attempt a client waits this long: no point hammering a partition without a leader. */
const FAILURE_PAUSE_MS = 200;
/** Creating the table may wait this long for the catalog partition to have a leader. */
const SETUP_TIMEOUT_MS = 60_000;
/** Small pages, so that the check pages through every group's entries (LastEvaluatedKey of an index). */
const QUERY_PAGE_ITEMS = 4;
/** The table's Scan takes a few pages too. */
const SCAN_PAGE_ITEMS = 25;
/** A paged read that has not ended after this many pages is looping (a LastEvaluatedKey that does not advance). */
const PAGES_MAX = 1_000;

export class GlobalIndexWorkload {
  readonly tableName: string;
  readonly itemCount: number;
  readonly groups: readonly string[];
  /** Every write attempt, in order of completion. */
  readonly attempts: IndexAttempt[] = [];
  /** The table's global indexes now (the first from setup, others added and removed by createIndex and deleteIndex). */
  readonly indexes: IndexSpec[];
  /** The admin client (the first router): table, UpdateTable, the check's reads. */
  private readonly client: DynamoDBClient;
  /** One client per router the writers use. */
  private readonly writers: DynamoDBClient[];
  private indexesCreated = 0;
  private readonly rng: Prng;
  private readonly mix: Record<IndexWriteKind, number>;
  private stopped = false;
  private running?: Promise<void>;

  constructor(readonly init: GlobalIndexWorkloadInit) {
    this.tableName = init.tableName ?? `chaos_gsi_${randomBytes(4).toString('hex')}`;
    this.itemCount = init.items ?? 48;
    this.groups = Array.from({ length: init.groups ?? 8 }, (_, i) => `g${i}`);
    this.client = dynamoClient(init.endpoint, { maxAttempts: 1, requestTimeoutMs: init.requestTimeoutMs ?? 12_000 });
    const endpoints = init.endpoints ?? [init.endpoint];
    this.writers = endpoints.map((e) => (e === init.endpoint ? this.client : dynamoClient(e, { maxAttempts: 1, requestTimeoutMs: init.requestTimeoutMs ?? 12_000 })));
    this.indexes = [{ name: INDEX_NAME, shape: INDEX_SHAPE, groups: this.groups.map((g) => ({ S: g })) }];
    // Salted: the register workload draws from the same seed.
    this.rng = new Prng((init.seed ^ 0x1d3e6a5b) >>> 0);
    this.mix = { ...DEFAULT_MIX, ...init.mix };
  }

  /** Creates the table and its index (both active on return); retried like the register table's. */
  async setup(): Promise<void> {
    const { tableKey, partitionKey, sortKey, projected } = INDEX_SHAPE;
    await eventually(
      `table ${this.tableName} created`,
      async () => {
        try {
          await this.client
            .send(
              new CreateTableCommand({
                TableName: this.tableName,
                BillingMode: 'PAY_PER_REQUEST',
                AttributeDefinitions: [
                  { AttributeName: tableKey, AttributeType: 'S' },
                  { AttributeName: partitionKey, AttributeType: 'S' },
                  { AttributeName: sortKey!, AttributeType: 'N' },
                ],
                KeySchema: [{ AttributeName: tableKey, KeyType: 'HASH' }],
                GlobalSecondaryIndexes: [
                  {
                    IndexName: INDEX_NAME,
                    KeySchema: [
                      { AttributeName: partitionKey, KeyType: 'HASH' },
                      { AttributeName: sortKey!, KeyType: 'RANGE' },
                    ],
                    Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...projected] },
                  },
                ],
              }),
            )
            .catch((error: unknown) => {
              if ((error as Error).name !== 'ResourceInUseException') throw error;
            });
          await waitForActive(this.client, this.tableName);
        } catch (error) {
          throw new Error(`CreateTable: ${(error as Error).name}: ${(error as Error).message}`);
        }
      },
      { timeoutMs: SETUP_TIMEOUT_MS, intervalMs: 250 },
    );
  }

  start(): void {
    if (this.running) throw new Error('global index workload already started');
    const clients = this.init.clients ?? 2;
    this.running = Promise.all(
      Array.from({ length: clients }, (_, i) => this.runClient(`gsi${i + 1}`, this.writers[i % this.writers.length], this.rng.fork())),
    ).then(() => undefined);
  }

  /** Stops the clients and resolves once every attempt in flight has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Attempts by kind and outcome. */
  operationCounts(): Record<IndexWriteKind, Record<IndexOutcome, number>> {
    const counts = {} as Record<IndexWriteKind, Record<IndexOutcome, number>>;
    for (const a of this.attempts) {
      counts[a.kind] ??= { ok: 0, failed: 0, unknown: 0 };
      counts[a.kind][a.ok === true ? 'ok' : a.ok === false ? 'failed' : 'unknown']++;
    }
    return counts;
  }

  get acknowledgedWrites(): number {
    return this.attempts.filter((a) => a.ok === true).length;
  }

  private async runClient(clientId: string, client: DynamoDBClient, rng: Prng): Promise<void> {
    let seq = 0;
    const fresh = () => `${clientId}.${++seq}`;
    const thinkMsMax = this.init.thinkMsMax ?? 10;
    while (!this.stopped) {
      const kind = rng.weighted(this.mix);
      const key = `item-${rng.int(this.itemCount)}`;
      const set: IndexAttempt['set'] = {};
      switch (kind) {
        case 'put':
        case 'move':
          Object.assign(set, { grp: rng.pick(this.groups), rank: rng.int(RANK_MAX), v: fresh() });
          if (kind === 'put') set.x = fresh();
          break;
        case 'rerank':
          set.rank = rng.int(RANK_MAX);
          break;
        case 'touch-v':
          set.v = fresh();
          break;
        case 'touch-x':
          set.x = fresh();
          break;
        case 'ungroup':
          set.grp = null;
          break;
        case 'delete':
          break;
      }
      const ok = await this.attempt(client, clientId, kind, key, set);
      if (ok !== true) await sleepUnless(FAILURE_PAUSE_MS, () => this.stopped);
      else if (thinkMsMax > 0) await delay(rng.int(thinkMsMax + 1));
    }
  }

  private async attempt(client: DynamoDBClient, clientId: string, kind: IndexWriteKind, key: string, set: IndexAttempt['set']): Promise<IndexAttempt['ok']> {
    const invokeMs = nowMs();
    let ok: IndexAttempt['ok'] = true;
    let error: string | undefined;
    try {
      await this.write(client, kind, key, set);
    } catch (e) {
      const classified = classifyError(e);
      ok = classified.kind === 'failed' ? false : 'unknown';
      error = classified.name;
    }
    this.attempts.push({ clientId, kind, key, set, invokeMs, completeMs: nowMs(), ok, ...(error ? { error } : {}) });
    return ok;
  }

  /** One unconditional write: DeleteItem, PutItem, or UpdateItem of the attributes in `set`. */
  private async write(client: DynamoDBClient, kind: IndexWriteKind, key: string, set: IndexAttempt['set']): Promise<void> {
    const Key = { [INDEX_SHAPE.tableKey]: { S: key } };
    const value = (v: string | number): AttributeValue => (typeof v === 'number' ? { N: String(v) } : { S: v });
    if (kind === 'delete') {
      await client.send(new DeleteItemCommand({ TableName: this.tableName, Key }));
      return;
    }
    if (kind === 'put') {
      const Item: Item = { ...Key };
      for (const [name, v] of Object.entries(set)) if (v !== null) Item[name] = value(v);
      await client.send(new PutItemCommand({ TableName: this.tableName, Item }));
      return;
    }
    // UpdateItem: SET what has a value, REMOVE what is null (names through placeholders: no reserved-word surprises).
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = {};
    const sets: string[] = [];
    const removes: string[] = [];
    for (const [i, [name, v]] of Object.entries(set).entries()) {
      names[`#a${i}`] = name;
      if (v === null) removes.push(`#a${i}`);
      else {
        values[`:v${i}`] = value(v);
        sets.push(`#a${i} = :v${i}`);
      }
    }
    const expression = [sets.length > 0 ? `SET ${sets.join(', ')}` : '', removes.length > 0 ? `REMOVE ${removes.join(', ')}` : ''].filter(Boolean).join(' ');
    await client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key,
        UpdateExpression: expression,
        ExpressionAttributeNames: names,
        ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
      }),
    );
  }

  /**
   * Adds a global index of the next kind (ADDED_INDEX_KINDS in turn) with UpdateTable through the
   * first router and waits until DescribeTable says ACTIVE (the backfill done). Resolves with its
   * name, and how long it took to become ACTIVE.
   */
  async createIndex(): Promise<{ name: string; activeAfterMs: number }> {
    const kind = ADDED_INDEX_KINDS[this.indexesCreated % ADDED_INDEX_KINDS.length];
    const name = `added${++this.indexesCreated}-${kind}`;
    const { shape, projection } = ADDED_INDEX_SHAPES[kind];
    const started = nowMs();
    await this.client.send(
      new UpdateTableCommand({
        TableName: this.tableName,
        AttributeDefinitions: [
          { AttributeName: 'grp', AttributeType: 'S' },
          { AttributeName: 'rank', AttributeType: 'N' },
        ],
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: name,
              KeySchema: [{ AttributeName: shape.partitionKey, KeyType: 'HASH' }, ...(shape.sortKey ? [{ AttributeName: shape.sortKey, KeyType: 'RANGE' as const }] : [])],
              Projection: { ProjectionType: projection },
            },
          },
        ],
      }),
    );
    const groups: AttributeValue[] = shape.partitionKey === 'rank' ? Array.from({ length: RANK_MAX }, (_, r) => ({ N: String(r) })) : this.groups.map((g) => ({ S: g }));
    // Checked from now on: an index that never becomes ACTIVE fails check (e) as well as this wait.
    this.indexes.push({ name, shape, groups });
    await this.untilIndex(name, (status) => status === 'ACTIVE');
    return { name, activeAfterMs: nowMs() - started };
  }

  /** Removes an index added earlier (UpdateTable Delete) and waits until DescribeTable no longer lists it. */
  async deleteIndex(name: string): Promise<void> {
    await this.client.send(new UpdateTableCommand({ TableName: this.tableName, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: name } }] }));
    const i = this.indexes.findIndex((x) => x.name === name);
    if (i >= 0) this.indexes.splice(i, 1);
    await this.untilIndex(name, (status) => status === undefined);
  }

  /** The indexes added by createIndex and still there, oldest first. */
  get addedIndexes(): string[] {
    return this.indexes.map((x) => x.name).filter((n) => n !== INDEX_NAME);
  }

  private async untilIndex(name: string, done: (status: string | undefined) => boolean): Promise<void> {
    const deadline = nowMs() + INDEX_CHANGE_TIMEOUT_MS;
    let status: string | undefined;
    for (;;) {
      try {
        const { Table } = await this.client.send(new DescribeTableCommand({ TableName: this.tableName }));
        status = Table?.GlobalSecondaryIndexes?.find((g) => g.IndexName === name)?.IndexStatus;
        if (done(status)) return;
      } catch {
        // Retried: the catalog may be electing its leader.
      }
      if (nowMs() > deadline) throw new Error(`index ${name} of ${this.tableName} still ${status ?? 'absent'} after ${INDEX_CHANGE_TIMEOUT_MS} ms`);
      await delay(INDEX_STATUS_POLL_MS);
    }
  }

  /**
   * The table (a strongly consistent Scan) and, for every index, every group's entries (an
   * eventually consistent Query each, as DynamoDB allows on a global index), all paged. Throws if
   * any page fails: the caller polls again.
   */
  async snapshots(): Promise<{ name: string; shape: GlobalIndexShape; snapshot: IndexSnapshot }[]> {
    const table = await this.pages((start) =>
      this.client.send(new ScanCommand({ TableName: this.tableName, ConsistentRead: true, Limit: SCAN_PAGE_ITEMS, ExclusiveStartKey: start })),
    );
    const result: { name: string; shape: GlobalIndexShape; snapshot: IndexSnapshot }[] = [];
    for (const spec of [...this.indexes]) {
      const index = new Map<string, Item[]>();
      for (const group of spec.groups) {
        const entries = await this.pages((start) =>
          this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: spec.name,
              KeyConditionExpression: '#g = :g',
              ExpressionAttributeNames: { '#g': spec.shape.partitionKey },
              ExpressionAttributeValues: { ':g': group },
              Limit: QUERY_PAGE_ITEMS,
              ExclusiveStartKey: start,
            }),
          ),
        );
        index.set(group.S ?? group.N!, entries);
      }
      result.push({ name: spec.name, shape: spec.shape, snapshot: { table, index } });
    }
    return result;
  }

  private async pages(page: (start: Item | undefined) => Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    for (let n = 0; n < PAGES_MAX; n++) {
      const result = await page(start);
      items.push(...(result.Items ?? []));
      start = result.LastEvaluatedKey;
      if (!start) return items;
    }
    throw new Error(`paged read of ${this.tableName} did not end after ${PAGES_MAX} pages`);
  }

  close(): void {
    for (const writer of this.writers) if (writer !== this.client) writer.destroy();
    this.client.destroy();
  }
}
