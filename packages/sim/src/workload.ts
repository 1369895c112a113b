import { ConditionalCheckFailedException, DynamoDbError } from '@triad/model';
import type { RegisterOperation, RegisterValue } from '@triad/linearizability';
import { sleep, type Prng, type SimulatedEnvironment } from '@triad/runtime';
import type { SimCluster, SimRouter } from './sim-cluster';
import { CLIENT_CALL_TIMEOUT_MS, CLIENT_THINK_MS_MAX } from './limits';

/** The workload's table: registers are items (pk, sk) whose value is the string attribute `v`; counters live under pk `counters`. */
export const WORKLOAD_TABLE = 'SimRegisters';
/** Partition keys of the register groups: a strong Query reads one group at one instant. */
const GROUPS = ['g0', 'g1', 'g2'];
const SORTS = ['s0', 's1'];
const COUNTER_PK = 'counters';
const COUNTERS = ['c0', 'c1'];

/** Errors that prove the router refused a request before anything reached a storage node. */
const DEFINITE_FAILURES = new Set(['ValidationException', 'SerializationException', 'ResourceNotFoundException', 'UnknownOperationException']);

/** How one attempt ended, as a client sees it. */
export type OperationOutcome = 'ok' | 'condition-failed' | 'failed' | 'unknown';

/** One attempt of a client, for the report and the replay trace (the checker gets `history`). */
export interface WorkloadEvent {
  client: string;
  operation: string;
  key: string;
  invokeMs: number;
  completeMs: number;
  outcome: OperationOutcome;
  /** What it wrote, expected or read, or the error's name. */
  detail: string;
}

/** A counter's ADDs of 1: those acknowledged, and those whose outcome is unknown (each may have applied once). */
interface CounterTally {
  acknowledged: number;
  unknown: number;
}

type Value = string | undefined;

function registerKey(pk: string, sk: string): string {
  return `${pk}#${sk}`;
}

const REGISTERS = GROUPS.flatMap((pk) => SORTS.map((sk) => registerKey(pk, sk)));


function itemKey(key: string): Record<string, { S: string }> {
  const [pk, sk] = key.split('#');
  return { pk: { S: pk! }, sk: { S: sk! } };
}

/** The register value of an item: its `v`; an item of another shape is a value no write produced (flagged by the checks). */
function valueOf(item: Record<string, { S?: string }> | undefined): Value {
  if (!item) return undefined;
  const v = item.v?.S;
  return v ?? `<item without v ${JSON.stringify(item)}>`;
}

/**
 * The error's meaning for the history: a failed condition completed (result false); a refusal
 * before routing definitely did not apply; anything else (a retriable error, a timeout, an
 * internal error) may have applied.
 */
function classify(error: unknown): { outcome: OperationOutcome; name: string } {
  if (error instanceof ConditionalCheckFailedException) return { outcome: 'condition-failed', name: error.name };
  if (error instanceof DynamoDbError) return { outcome: DEFINITE_FAILURES.has(error.name) ? 'failed' : 'unknown', name: error.name };
  return { outcome: 'unknown', name: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}

/** A client gives up on a call after this long, as an SDK's request timeout does (the call may still apply). */
class ClientTimeout extends Error {
  override readonly name = 'ClientTimeout';
}

/**
 * The register workload, shaped setup / run / check: several simulated clients issue a seeded mix
 * of PutItem, UpdateItem (SET, conditional, ADD), DeleteItem (plain and conditional), strong
 * GetItem, strong Query and strong Scan over six registers in three groups and two counters, concurrently,
 * through the router's real operations; every attempt is recorded with its invocation and
 * response in simulated time, as the chaos run records its history.
 */
export class RegisterWorkload {
  /** Every attempt, for the linearizability checker (register keys `pk#sk`). */
  readonly history: RegisterOperation[] = [];
  readonly events: WorkloadEvent[] = [];
  readonly counters = new Map<string, CounterTally>(COUNTERS.map((c) => [c, { acknowledged: 0, unknown: 0 }]));
  /** Attempts by outcome. */
  readonly outcomes = new Map<OperationOutcome, number>();
  /** The last value any client saw per register: a conditional write's expectation, so that some succeed. */
  private readonly seen = new Map<string, Value>();
  private writes = 0;
  private snapshots = 0;

  constructor(
    private readonly cluster: SimCluster,
    private readonly prng: Prng,
    private readonly env: SimulatedEnvironment,
  ) {}

  static readonly registers: readonly string[] = REGISTERS;
  static readonly counterNames: readonly string[] = COUNTERS;

  /** Creates the table (before any fault). */
  async setup(router: SimRouter): Promise<void> {
    await router.call('CreateTable', {
      TableName: WORKLOAD_TABLE,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    });
  }

  /** `clients` clients, each `operations` attempts with a think time between them, spread over `routers`. */
  async run(routers: readonly SimRouter[], clients: number, operations: number): Promise<void> {
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        const router = routers[c % routers.length]!;
        const client = `client-${c}`;
        for (let i = 0; i < operations; i++) {
          await this.step(router, client);
          await sleep(this.env, this.prng.real(0, CLIENT_THINK_MS_MAX));
        }
      }),
    );
  }

  private now(): number {
    return this.cluster.simulator.nowMs;
  }

  /** One call, or a ClientTimeout once the client stops waiting. */
  private async call(router: SimRouter, operation: string, body: Record<string, unknown>): Promise<unknown> {
    let timer: ReturnType<SimulatedEnvironment['setTimeout']> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.env.setTimeout(() => reject(new ClientTimeout(`no answer after ${CLIENT_CALL_TIMEOUT_MS} ms`)), CLIENT_CALL_TIMEOUT_MS);
    });
    try {
      return await Promise.race([router.call(operation, body), timeout]);
    } finally {
      this.env.clearTimeout(timer);
    }
  }

  private record(event: WorkloadEvent): void {
    this.events.push(event);
    this.outcomes.set(event.outcome, (this.outcomes.get(event.outcome) ?? 0) + 1);
  }

  private newValue(client: string): string {
    return `${client}:${++this.writes}`;
  }

  /** One seeded attempt. */
  private async step(router: SimRouter, client: string): Promise<void> {
    const key = this.prng.pick(REGISTERS);
    const r = this.prng.next();
    // A failed read is recorded (and dropped by the checker); the client goes on.
    if (r < 0.2) return this.read(router, client, key).then(
      () => undefined,
      () => undefined,
    );
    if (r < 0.26) return this.query(router, client, this.prng.pick(GROUPS));
    if (r < 0.3) return this.scan(router, client);
    if (r < 0.42) return this.counterAdd(router, client, this.prng.pick(COUNTERS));
    if (r < 0.57) return this.write(router, client, key, 'PutItem');
    if (r < 0.67) return this.write(router, client, key, 'UpdateItem');
    if (r < 0.82) return this.cas(router, client, key, this.expectation(key), this.newValue(client));
    if (r < 0.87) return this.cas(router, client, key, undefined, this.newValue(client));
    if (r < 0.95) return this.delete(router, client, key);
    return this.cas(router, client, key, this.expectation(key), undefined);
  }

  /** What a conditional write expects: mostly the value last seen (so that many apply), sometimes absent. */
  private expectation(key: string): Value {
    return this.prng.chance(0.8) ? this.seen.get(key) : undefined;
  }

  async read(router: SimRouter, client: string, key: string): Promise<Value> {
    const invokeMs = this.now();
    try {
      const reply = (await this.call(router, 'GetItem', { TableName: WORKLOAD_TABLE, Key: itemKey(key), ConsistentRead: true })) as { Item?: Record<string, { S?: string }> };
      const value = valueOf(reply.Item);
      const completeMs = this.now();
      this.seen.set(key, value);
      this.history.push({ kind: 'read', key, clientId: client, invokeMs, completeMs, ok: true, output: value });
      this.record({ client, operation: 'GetItem', key, invokeMs, completeMs, outcome: 'ok', detail: `→ ${value ?? '(absent)'}` });
      return value;
    } catch (error) {
      const { outcome, name } = classify(error);
      // A read that did not answer changed nothing and was not observed: the checker drops it.
      this.record({ client, operation: 'GetItem', key, invokeMs, completeMs: this.now(), outcome, detail: name });
      throw error;
    }
  }

  private async query(router: SimRouter, client: string, pk: string): Promise<void> {
    const invokeMs = this.now();
    try {
      const reply = (await this.call(router, 'Query', {
        TableName: WORKLOAD_TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: pk } },
        ConsistentRead: true,
      })) as { Items?: Record<string, { S?: string }>[]; LastEvaluatedKey?: unknown };
      const completeMs = this.now();
      const values = new Map<string, Value>();
      for (const item of reply.Items ?? []) values.set(registerKey(item.pk?.S ?? '?', item.sk?.S ?? '?'), valueOf(item));
      // One storage read answered the group (a single page): its registers were read at one instant.
      const snapshot = reply.LastEvaluatedKey === undefined ? `q${++this.snapshots}` : undefined;
      for (const sk of SORTS) {
        const key = registerKey(pk, sk);
        const value = values.get(key);
        this.seen.set(key, value);
        this.history.push({ kind: 'read', key, clientId: client, invokeMs, completeMs, ok: true, output: value, ...(snapshot ? { snapshot } : {}) });
      }
      const unexpected = [...values.keys()].filter((k) => !REGISTERS.includes(k));
      for (const key of unexpected) this.history.push({ kind: 'read', key, clientId: client, invokeMs, completeMs, ok: true, output: values.get(key) });
      this.record({ client, operation: 'Query', key: pk, invokeMs, completeMs, outcome: 'ok', detail: `→ ${JSON.stringify(Object.fromEntries(values))}` });
    } catch (error) {
      const { outcome, name } = classify(error);
      this.record({ client, operation: 'Query', key: pk, invokeMs, completeMs: this.now(), outcome, detail: name });
    }
  }

  /**
   * A strong Scan of the whole table, page after page: every register is recorded as read somewhere
   * inside the Scan's interval (absent when no page held it). Pages are separate storage reads,
   * so the Scan is no snapshot of several groups.
   */
  private async scan(router: SimRouter, client: string): Promise<void> {
    const invokeMs = this.now();
    try {
      const values = new Map<string, Value>();
      let start: unknown;
      for (let page = 0; page === 0 || start !== undefined; page++) {
        const reply = (await this.call(router, 'Scan', { TableName: WORKLOAD_TABLE, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) })) as {
          Items?: Record<string, { S?: string }>[];
          LastEvaluatedKey?: unknown;
        };
        for (const item of reply.Items ?? []) if (item.pk?.S !== COUNTER_PK) values.set(registerKey(item.pk?.S ?? '?', item.sk?.S ?? '?'), valueOf(item));
        start = reply.LastEvaluatedKey;
      }
      const completeMs = this.now();
      for (const key of new Set([...REGISTERS, ...values.keys()])) {
        const value = values.get(key);
        if (REGISTERS.includes(key)) this.seen.set(key, value);
        this.history.push({ kind: 'read', key, clientId: client, invokeMs, completeMs, ok: true, output: value });
      }
      this.record({ client, operation: 'Scan', key: '*', invokeMs, completeMs, outcome: 'ok', detail: `→ ${JSON.stringify(Object.fromEntries(values))}` });
    } catch (error) {
      const { outcome, name } = classify(error);
      this.record({ client, operation: 'Scan', key: '*', invokeMs, completeMs: this.now(), outcome, detail: name });
    }
  }

  private async write(router: SimRouter, client: string, key: string, operation: 'PutItem' | 'UpdateItem'): Promise<void> {
    const value = this.newValue(client);
    const body =
      operation === 'PutItem'
        ? { TableName: WORKLOAD_TABLE, Item: { ...itemKey(key), v: { S: value } } }
        : { TableName: WORKLOAD_TABLE, Key: itemKey(key), UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': { S: value } } };
    await this.change(router, client, key, operation, body, { kind: 'write', input: value }, value);
  }

  private async delete(router: SimRouter, client: string, key: string): Promise<void> {
    await this.change(router, client, key, 'DeleteItem', { TableName: WORKLOAD_TABLE, Key: itemKey(key) }, { kind: 'delete' }, undefined);
  }

  /**
   * A conditional write: sets `value` (undefined: deletes) if the register holds `expected`
   * (undefined: the item is absent) — UpdateItem or DeleteItem with `v = :e`, PutItem with
   * attribute_not_exists.
   */
  private async cas(router: SimRouter, client: string, key: string, expected: Value, value: Value): Promise<void> {
    const condition =
      expected === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : { ConditionExpression: 'v = :e', ExpressionAttributeValues: { ':e': { S: expected } } };
    let operation: string;
    let body: Record<string, unknown>;
    if (value === undefined) {
      operation = 'DeleteItem';
      body = { TableName: WORKLOAD_TABLE, Key: itemKey(key), ...condition };
    } else if (expected === undefined) {
      operation = 'PutItem';
      body = { TableName: WORKLOAD_TABLE, Item: { ...itemKey(key), v: { S: value } }, ...condition };
    } else {
      operation = 'UpdateItem';
      body = {
        TableName: WORKLOAD_TABLE,
        Key: itemKey(key),
        UpdateExpression: 'SET v = :v',
        ...condition,
        ExpressionAttributeValues: { ':e': { S: expected }, ':v': { S: value } },
      };
    }
    await this.change(router, client, key, `${operation} if ${expected ?? '(absent)'}`, body, { kind: 'cas', input: { expected, value } }, value);
  }

  /** Sends a change and records it: a write, a delete, or a cas (whose failed condition completes with false). */
  private async change(
    router: SimRouter,
    client: string,
    key: string,
    operation: string,
    body: Record<string, unknown>,
    call: { kind: 'write'; input: RegisterValue } | { kind: 'delete' } | { kind: 'cas'; input: { expected: Value; value: Value } },
    value: Value,
  ): Promise<void> {
    const invokeMs = this.now();
    const base = { key, clientId: client, invokeMs };
    const what = call.kind === 'delete' ? 'delete' : `${value ?? 'delete'}`;
    try {
      await this.call(router, operation.split(' ')[0]!, body);
      const completeMs = this.now();
      this.seen.set(key, value);
      this.history.push(call.kind === 'cas' ? { ...base, ...call, completeMs, ok: true, output: true } : { ...base, ...call, completeMs, ok: true });
      this.record({ client, operation, key, invokeMs, completeMs, outcome: 'ok', detail: what });
    } catch (error) {
      const completeMs = this.now();
      const { outcome, name } = classify(error);
      if (outcome === 'condition-failed' && call.kind === 'cas') {
        this.history.push({ ...base, ...call, completeMs, ok: true, output: false });
      } else {
        this.history.push({ ...base, ...call, completeMs, ok: outcome === 'failed' ? false : 'unknown' });
      }
      this.record({ client, operation, key, invokeMs, completeMs, outcome, detail: `${what}: ${name}` });
    }
  }

  private async counterAdd(router: SimRouter, client: string, counter: string): Promise<void> {
    const invokeMs = this.now();
    const tally = this.counters.get(counter)!;
    try {
      await this.call(router, 'UpdateItem', {
        TableName: WORKLOAD_TABLE,
        Key: { pk: { S: COUNTER_PK }, sk: { S: counter } },
        UpdateExpression: 'ADD n :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
      });
      tally.acknowledged++;
      this.record({ client, operation: 'UpdateItem ADD', key: counter, invokeMs, completeMs: this.now(), outcome: 'ok', detail: '+1' });
    } catch (error) {
      const { outcome, name } = classify(error);
      if (outcome !== 'failed') tally.unknown++;
      this.record({ client, operation: 'UpdateItem ADD', key: counter, invokeMs, completeMs: this.now(), outcome, detail: `+1: ${name}` });
    }
  }

  /** A counter's value by a strong read (0 when absent). */
  async readCounter(router: SimRouter, counter: string): Promise<number> {
    const reply = (await this.call(router, 'GetItem', { TableName: WORKLOAD_TABLE, Key: { pk: { S: COUNTER_PK }, sk: { S: counter } }, ConsistentRead: true })) as {
      Item?: { n?: { N?: string } };
    };
    return Number(reply.Item?.n?.N ?? 0);
  }
}
