/**
 * The chaos workload, FoundationDB-shaped: `setup` (table), `start` (clients run until `stop`),
 * then the checks read what it recorded.
 *
 * Several concurrent clients operate on a few hot keys — strong reads, blind writes of unique
 * values, conditional writes (compare-and-set on the value, or put-if-absent) and the occasional
 * delete — so that operations overlap and a stale or lost value shows. Some of the hot registers
 * are items of a second table keyed by (pk, sk), the range table, in a few groups of one `pk` and
 * several `sk`: clients also read a whole group with a strongly consistent Query, and every group
 * with a strongly consistent Scan of that table — reads of several registers at one instant,
 * which the checker places as one (snapshot reads). Besides, each client writes insert-only keys
 * (each written once, never deleted): every acknowledged one must be there at the end. Every attempt is one operation of the history; a client retries a failed logical operation
 * (with a fresh value) for a while, which is also how failover time is seen from the client side.
 *
 * Hot keys and groups rotate to a new generation every `keyGenerationMs`, which bounds each key's
 * history: checking linearizability is exponential in the worst case, in the operations of one
 * object (a key, or a group that snapshot reads tie together).
 */
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { encodeKeyValue } from '@triad/model';
import { partitionOfKey } from '@triad/ring';
import { eventually, mapLimit } from '../eventually';
import { dynamoClient } from '../sdk-client';
import { createTable, waitForActive } from '../tables';
import { delay, nowMs, sleepUnless } from './clock';
import { DynamoRegister, KEY_ATTRIBUTE, SORT_ATTRIBUTE, rangeRegisterKey, splitRegisterKey, type Value } from './dynamo-register';
import { History, type AttemptCall, type LogicalKind, type LogicalOperation, type RangeReadCall } from './history';
import { Prng } from './prng';

export interface WorkloadInit {
  /** The router endpoint clients talk to. */
  endpoint: string;
  /** Data partitions of the cluster (to know which partition each key is in). */
  partitionCount: number;
  seed: number;
  /**
   * Default `chaos_<random>`: a name of its own per run, so that two runs can never mix their data
   * (values repeat between runs with the same seed), not even against the wrong cluster.
   */
  tableName?: string;
  /** Concurrent clients; default 6. */
  clients?: number;
  /** Hot keys per generation; default 20. */
  hotKeys?: number;
  /** Groups (partition keys) of the range table per generation; default 4. 0: no range table. */
  rangeGroups?: number;
  /** Registers (sort keys) per group; default 3. */
  rangeSortKeys?: number;
  /** A new generation of hot keys this often; default 15,000 ms. */
  keyGenerationMs?: number;
  /**
   * Relative weights of logical operations; default read 35, write 22, cas 18, delete 5, insert 10,
   * query 7, scan 3. Reads, writes, cas and deletes pick any hot register (hot keys and range
   * registers alike); a query reads one group, a scan the whole range table.
   */
  mix?: Partial<Record<LogicalKind, number>>;
  /** The SDK's request timeout: an attempt ends as 'unknown' after this long; default 12,000 ms (the router gives up after 10 s). */
  requestTimeoutMs?: number;
  /** A logical operation is retried for this long before the client gives up; default 30,000 ms. */
  retryForMs?: number;
  /** First pause before a retry, doubled up to RETRY_BACKOFF_MS_MAX; default 50 ms. */
  retryBackoffMs?: number;
  /** Pause between a client's logical operations, uniformly 0..thinkMsMax; default 4 ms. */
  thinkMsMax?: number;
  /** Keys to use for hot keys instead of generated ones (the violation test picks keys by partition). */
  fixedHotKeys?: string[];
}

const RETRY_BACKOFF_MS_MAX = 1_000;
/** Creating the table may wait this long for the catalog partition to have a leader. */
const SETUP_TIMEOUT_MS = 60_000;
/** Final reads in flight at once. */
const FINAL_READS_CONCURRENCY = 32;

const DEFAULT_MIX: Record<LogicalKind, number> = { read: 35, write: 22, cas: 18, delete: 5, insert: 10, query: 7, scan: 3 };

/** The partition a string partition key belongs to, computed as the router does. */
export function partitionOfStringKey(key: string, partitionCount: number): number {
  return partitionOfKey(encodeKeyValue('S', { S: key }), partitionCount);
}

export interface FinalReads {
  /** The value of every key that a strong read could read, after the run. */
  values: Map<string, Value>;
  /** Keys no strong read could read within the deadline. */
  unreadable: string[];
}

export class RegisterWorkload {
  readonly history = new History();
  readonly tableName: string;
  /** The range table (pk, sk): groups of registers that Query and Scan read together. */
  readonly rangeTableName: string;
  /** Insert-only keys and the value each was written with (acknowledged or not: see the history). */
  readonly inserts = new Map<string, string>();
  private readonly client: DynamoDBClient;
  private readonly register: DynamoRegister;
  private readonly rangeRegister: DynamoRegister;
  private readonly rng: Prng;
  private readonly mix: Record<LogicalKind, number>;
  /** The latest value any client saw for a key: cas uses it as its expected value. */
  private readonly lastSeen = new Map<string, Value>();
  private stopped = false;
  private running?: Promise<void>;
  private startedMs = 0;
  private stoppedMs = 0;

  constructor(readonly init: WorkloadInit) {
    this.tableName = init.tableName ?? `chaos_${randomBytes(4).toString('hex')}`;
    this.client = dynamoClient(init.endpoint, { maxAttempts: 1, requestTimeoutMs: init.requestTimeoutMs ?? 12_000 });
    this.rangeTableName = `${this.tableName}_range`;
    this.register = new DynamoRegister(this.client, this.tableName);
    this.rangeRegister = new DynamoRegister(this.client, this.rangeTableName, true);
    this.rng = new Prng(init.seed);
    this.mix = { ...DEFAULT_MIX, ...init.mix };
    if (this.rangeGroups === 0) this.mix.query = this.mix.scan = 0;
  }

  private get rangeGroups(): number {
    return this.init.fixedHotKeys ? 0 : (this.init.rangeGroups ?? 4);
  }

  private get rangeSortKeys(): number {
    return this.init.rangeSortKeys ?? 3;
  }

  /** The partition of a register (of a range register: of its group's partition key). */
  partitionOf(key: string): number {
    return partitionOfStringKey(splitRegisterKey(key).pk, this.init.partitionCount);
  }

  /** Range registers are `pk#sk` items of the range table; every other key is an item of the main table. */
  private registerOf(key: string): DynamoRegister {
    return splitRegisterKey(key).sk === undefined ? this.register : this.rangeRegister;
  }

  /**
   * Creates the table and waits until it is active. Retried: right after a cluster starts, the
   * catalog partition may still be electing its leader (a retriable error). An attempt that ended
   * unknown may have created the table, so "already exists" on a retry counts as done.
   */
  async setup(): Promise<void> {
    const tables: [string, [string, 'S'][]][] = [[this.tableName, [[KEY_ATTRIBUTE, 'S']]]];
    if (this.rangeGroups > 0) tables.push([this.rangeTableName, [[KEY_ATTRIBUTE, 'S'], [SORT_ATTRIBUTE, 'S']]]);
    for (const [name, key] of tables) {
      await eventually(
        `table ${name} created`,
        async () => {
          try {
            await createTable(this.client, name, key[0], key[1]).catch((error: unknown) => {
              if ((error as Error).name !== 'ResourceInUseException') throw error;
              return waitForActive(this.client, name);
            });
          } catch (error) {
            throw new Error(`CreateTable: ${(error as Error).name}: ${(error as Error).message}`);
          }
        },
        { timeoutMs: SETUP_TIMEOUT_MS, intervalMs: 250 },
      );
    }
  }

  /** Starts the clients; they run until `stop()`. */
  start(): void {
    if (this.running) throw new Error('workload already started');
    this.startedMs = nowMs();
    const clients = this.init.clients ?? 6;
    this.running = Promise.all(Array.from({ length: clients }, (_, i) => this.runClient(`c${i + 1}`, this.rng.fork()))).then(() => undefined);
  }

  /** Stops the clients and resolves once every attempt in flight has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    this.stoppedMs = nowMs();
  }

  get durationMs(): number {
    return (this.stoppedMs || nowMs()) - this.startedMs;
  }

  private generation(): number {
    return Math.floor((nowMs() - this.startedMs) / (this.init.keyGenerationMs ?? 15_000));
  }

  /** The range table's groups (partition keys) of a generation. */
  private groupsOf(generation: number): string[] {
    return Array.from({ length: this.rangeGroups }, (_, i) => `rg-${i}-g${generation}`);
  }

  /** The registers of a group. */
  private registersOf(pk: string): string[] {
    return Array.from({ length: this.rangeSortKeys }, (_, j) => rangeRegisterKey(pk, `s${j}`));
  }

  /** A hot register: a hot key of the main table or a register of a range group, all equally likely. */
  private hotKey(rng: Prng): string {
    if (this.init.fixedHotKeys) return rng.pick(this.init.fixedHotKeys);
    const generation = this.generation();
    const hotKeys = this.init.hotKeys ?? 20;
    const pick = rng.int(hotKeys + this.rangeGroups * this.rangeSortKeys);
    if (pick < hotKeys) return `hot-${pick}-g${generation}`;
    const group = this.groupsOf(generation)[Math.floor((pick - hotKeys) / this.rangeSortKeys)];
    return rangeRegisterKey(group, `s${(pick - hotKeys) % this.rangeSortKeys}`);
  }

  private async runClient(clientId: string, rng: Prng): Promise<void> {
    let seq = 0;
    const freshValue = () => `${clientId}.${++seq}`;
    while (!this.stopped) {
      const kind = rng.weighted(this.mix);
      const thinkMsMax = this.init.thinkMsMax ?? 4;
      if (kind === 'query' || kind === 'scan') {
        const generation = this.generation();
        const groups = this.groupsOf(generation);
        const call: RangeReadCall =
          kind === 'query'
            ? (() => {
                const pk = rng.pick(groups);
                return { kind: 'query', pk, keys: this.registersOf(pk) };
              })()
            : { kind: 'scan', keys: new Map(groups.map((pk) => [pk, this.registersOf(pk)])) };
        const pk = call.kind === 'query' ? call.pk : '';
        const logical = this.history.beginLogical(clientId, kind, pk, call.kind === 'query' ? this.partitionOf(pk) : -1);
        await this.runLogicalRangeRead(logical, call);
        if (thinkMsMax > 0) await delay(rng.int(thinkMsMax + 1));
        continue;
      }
      let key: string;
      let insertValue: string | undefined;
      if (kind === 'insert') {
        insertValue = freshValue();
        key = `ins-${clientId}-${seq}`;
        this.inserts.set(key, insertValue);
      } else {
        key = this.hotKey(rng);
      }
      const logical = this.history.beginLogical(clientId, kind, key, this.partitionOf(key));
      await this.runLogical(logical, () => {
        switch (kind) {
          case 'read':
            return { kind: 'read' };
          case 'write':
            return { kind: 'write', value: freshValue() };
          case 'insert':
            // A retry of an insert writes the same value to the same key: idempotent.
            return { kind: 'write', value: insertValue! };
          case 'delete':
            return { kind: 'delete' };
          case 'cas':
            return { kind: 'cas', expected: this.lastSeen.get(key), value: freshValue() };
        }
      });
      if (thinkMsMax > 0) await delay(rng.int(thinkMsMax + 1));
    }
  }

  /** A Query or Scan, retried like any logical operation. */
  private async runLogicalRangeRead(logical: LogicalOperation, call: RangeReadCall): Promise<void> {
    const retryForMs = this.init.retryForMs ?? 30_000;
    let backoffMs = this.init.retryBackoffMs ?? 50;
    for (;;) {
      const result = await this.history.attemptRangeRead(this.rangeRegister, logical.clientId, call, (pk) => this.partitionOf(pk), logical);
      for (const [key, value] of result.seen) this.lastSeen.set(key, value);
      if (result.ok === true || this.stopped || nowMs() - logical.firstInvokeMs > retryForMs) return;
      await sleepUnless(backoffMs, () => this.stopped);
      if (this.stopped) return;
      backoffMs = Math.min(backoffMs * 2, RETRY_BACKOFF_MS_MAX);
    }
  }

  /** Attempts a logical operation until one attempt completes, the retry time is up, or the run stops. */
  private async runLogical(logical: LogicalOperation, nextCall: () => AttemptCall): Promise<void> {
    const retryForMs = this.init.retryForMs ?? 30_000;
    let backoffMs = this.init.retryBackoffMs ?? 50;
    for (;;) {
      const call = nextCall();
      const result = await this.history.attempt(this.registerOf(logical.key), logical.clientId, logical.key, logical.partition, call, logical);
      if (result.seen) this.lastSeen.set(logical.key, result.seenValue);
      if (result.ok === true || this.stopped || nowMs() - logical.firstInvokeMs > retryForMs) return;
      await sleepUnless(backoffMs, () => this.stopped);
      if (this.stopped) return;
      backoffMs = Math.min(backoffMs * 2, RETRY_BACKOFF_MS_MAX);
    }
  }

  /**
   * After the run: reads every key the run touched with strong reads, retrying each until one
   * completes or `deadlineMs` from now passes. The reads are part of the history (client "final").
   */
  async finalReads(deadlineMs: number): Promise<FinalReads> {
    const keys = [...this.history.keys()].sort();
    const deadline = nowMs() + deadlineMs;
    const values = new Map<string, Value>();
    const unreadable: string[] = [];
    await mapLimit(keys, FINAL_READS_CONCURRENCY, async (key) => {
      let backoffMs = 100;
      for (;;) {
        const result = await this.history.attempt(this.registerOf(key), 'final', key, this.partitionOf(key), { kind: 'read' });
        if (result.ok === true) {
          values.set(key, result.output as Value);
          return;
        }
        if (nowMs() > deadline) {
          unreadable.push(key);
          return;
        }
        await delay(backoffMs);
        backoffMs = Math.min(backoffMs * 2, RETRY_BACKOFF_MS_MAX);
      }
    });
    return { values, unreadable: unreadable.sort() };
  }

  /** One strong read, recorded in the history under `clientId` (for scripted scenarios). */
  async readOnce(clientId: string, key: string): Promise<{ ok: true | false | 'unknown'; value: Value }> {
    const result = await this.history.attempt(this.registerOf(key), clientId, key, this.partitionOf(key), { kind: 'read' });
    return { ok: result.ok, value: result.output as Value };
  }

  /** One blind write, recorded in the history under `clientId` (for scripted scenarios). */
  async writeOnce(clientId: string, key: string, value: string): Promise<true | false | 'unknown'> {
    const result = await this.history.attempt(this.registerOf(key), clientId, key, this.partitionOf(key), { kind: 'write', value });
    return result.ok;
  }

  close(): void {
    this.client.destroy();
  }
}
