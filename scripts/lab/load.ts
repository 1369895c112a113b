import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';

/** Longer than the router's own 10 s request deadline, so its answer (even an error) is seen. */
const OP_TIMEOUT_MS = 12_000;
/** Pause between a client's iterations: keeps the load small next to the cluster on a small machine. */
const THINK_MS = 20;
const VERIFY_CONCURRENCY = 4;
const EXAMPLES_MAX = 5;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface OpCounters {
  putOk: number;
  putErr: number;
  getOk: number;
  getErr: number;
  /** Strong reads that returned something older than a write acknowledged before the read began. */
  stale: number;
  /** Reads that returned a value never written, or a write number never attempted. */
  bogus: number;
}

const zero = (): OpCounters => ({ putOk: 0, putErr: 0, getOk: 0, getErr: 0, stale: 0, bogus: 0 });

/** Per phase: the counters, and every operation's duration (ok or not) in ms. */
export interface PhaseStats {
  counters: OpCounters;
  latencyMs: number[];
}

/** The q-quantile of `values` (0..1), nearest rank. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

interface KeyState {
  key: string;
  /** Highest write number sent for this key (sent one at a time, by its single writer). */
  attempted: number;
  /** Every acknowledged write number, in order. */
  acked: number[];
  lastAcked: number;
}

export interface AckedWrite {
  key: string;
  seq: number;
  atSeconds: number;
  router: string;
}

export interface VerifyResult {
  keysChecked: number;
  keysUnreadable: string[];
  ackedWrites: number;
  /** Acked writes neither present nor superseded by a later write of the same key. */
  lost: Array<{ key: string; seq: number; finalSeq: number }>;
  /** Acked writes on keys that could not be read at the end. */
  unverified: number;
  /** Keys whose final value is a write that was never acknowledged (it failed or timed out, yet landed). */
  landedUnacked: number;
}

export interface ErrorTally {
  count: number;
  example: string;
}

/** The error as a short type: DynamoDB error name and status, or the socket error, or a timeout. */
export function errorType(error: unknown): string {
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  if (status) return `${e.name ?? 'Error'} (HTTP ${status})`;
  if (e.code && /^E[A-Z]+$/.test(e.code) && e.code !== 'ETIMEDOUT') return e.code;
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return 'client timeout (12 s)';
  return e.name ?? 'Error';
}

function dynamo(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'lab', secretAccessKey: 'lab' },
    // No SDK retries: every failure is counted, and a retried write would blur what was acknowledged.
    maxAttempts: 1,
    requestHandler: { requestTimeout: OP_TIMEOUT_MS, throwOnRequestTimeout: true, connectionTimeout: 3_000 },
  });
}

/**
 * A few clients, each the only writer of its own handful of keys: PutItem with an increasing write
 * number, then a strong GetItem of any key, checked against the writes acknowledged before it began.
 * A client that gets an error moves on to the next router. At the end every key is read strongly and
 * every acknowledged write must be there or superseded by a later write of the same key.
 */
export class Load {
  readonly table = `fault_lab_${Date.now().toString(36)}`;
  private readonly keys: KeyState[] = [];
  private readonly clients: DynamoDBClient[][] = [];
  private readonly byPhase = new Map<string, PhaseStats>();
  readonly errors = new Map<string, ErrorTally>();
  readonly anomalies: string[] = [];
  readonly ackedLog: AckedWrite[] = [];
  private phase = 'no fault';
  private stopping = false;
  private loops: Promise<void>[] = [];
  private readonly total = zero();
  private lastTick = zero();

  constructor(
    private readonly endpoints: Array<{ id: string; endpoint: string }>,
    private readonly clientCount: number,
    keysPerClient: number,
    private readonly seconds: () => number,
  ) {
    for (let c = 0; c < clientCount; c++) {
      for (let k = 0; k < keysPerClient; k++) this.keys.push({ key: `c${c}-k${k}`, attempted: 0, acked: [], lastAcked: 0 });
      this.clients.push(endpoints.map((e) => dynamo(e.endpoint)));
    }
  }

  /** Creates the table through the first router and waits until every router sees it ACTIVE. */
  async createTable(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const admin = this.clients[0];
    let created = false;
    let lastError = '';
    while (Date.now() < deadline) {
      try {
        if (!created) {
          await admin[0].send(
            new CreateTableCommand({
              TableName: this.table,
              KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
              AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
              BillingMode: 'PAY_PER_REQUEST',
            }),
          );
          created = true;
        }
        const statuses = await Promise.all(admin.map((c) => c.send(new DescribeTableCommand({ TableName: this.table })).then((r) => r.Table?.TableStatus)));
        if (statuses.every((s) => s === 'ACTIVE')) return;
        lastError = `statuses ${statuses.join(', ')}`;
      } catch (error) {
        if ((error as Error).name === 'ResourceInUseException') created = true;
        lastError = `${errorType(error)}: ${(error as Error).message}`;
      }
      await delay(250);
    }
    throw new Error(`table ${this.table} did not become ACTIVE on every router: ${lastError}`);
  }

  setPhase(phase: string): void {
    this.phase = phase;
  }

  private stats(phase: string): PhaseStats {
    let stats = this.byPhase.get(phase);
    if (!stats) this.byPhase.set(phase, (stats = { counters: zero(), latencyMs: [] }));
    return stats;
  }

  /** Counts under the phase the operation started in: a request stuck on a paused node belongs to the pause. */
  private count(field: keyof OpCounters, phase: string, startedAt?: number): void {
    this.total[field]++;
    const stats = this.stats(phase);
    stats.counters[field]++;
    if (startedAt !== undefined) stats.latencyMs.push(Date.now() - startedAt);
  }

  private fail(op: 'put' | 'get', error: unknown, phase: string, startedAt: number): void {
    this.count(op === 'put' ? 'putErr' : 'getErr', phase, startedAt);
    const type = `${op} ${errorType(error)}`;
    const tally = this.errors.get(type);
    if (tally) tally.count++;
    else this.errors.set(type, { count: 1, example: String((error as Error).message ?? error).split('\n')[0].slice(0, 140) });
  }

  private anomaly(text: string): void {
    if (this.anomalies.length < EXAMPLES_MAX * 4) this.anomalies.push(`${this.seconds().toFixed(1)}s ${text}`);
  }

  start(): void {
    for (let c = 0; c < this.clientCount; c++) this.loops.push(this.clientLoop(c));
  }

  private async clientLoop(c: number): Promise<void> {
    const mine = this.keys.filter((k) => k.key.startsWith(`c${c}-`));
    let routerIndex = c % this.endpoints.length;
    let i = 0;
    while (!this.stopping) {
      const client = this.clients[c][routerIndex];
      const router = this.endpoints[routerIndex].id;
      const state = mine[i++ % mine.length];
      const seq = ++state.attempted;
      let failed = false;
      let phase = this.phase;
      let startedAt = Date.now();
      try {
        await client.send(
          new PutItemCommand({
            TableName: this.table,
            Item: { pk: { S: state.key }, seq: { N: String(seq) }, payload: { S: `${state.key}#${seq}` }, writer: { S: `client-${c}` } },
          }),
          { abortSignal: AbortSignal.timeout(OP_TIMEOUT_MS) },
        );
        state.acked.push(seq);
        state.lastAcked = seq;
        this.ackedLog.push({ key: state.key, seq, atSeconds: Number(this.seconds().toFixed(3)), router });
        this.count('putOk', phase, startedAt);
      } catch (error) {
        this.fail('put', error, phase, startedAt);
        failed = true;
      }
      if (this.stopping) break;
      const target = this.keys[Math.floor(Math.random() * this.keys.length)];
      const floor = target.lastAcked;
      phase = this.phase;
      startedAt = Date.now();
      try {
        const { Item } = await client.send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: target.key } }, ConsistentRead: true }), {
          abortSignal: AbortSignal.timeout(OP_TIMEOUT_MS),
        });
        this.count('getOk', phase, startedAt);
        const got = Item?.seq?.N ? Number(Item.seq.N) : 0;
        if (Item && Item.payload?.S !== `${target.key}#${got}`) {
          this.count('bogus', phase);
          this.anomaly(`bogus value for ${target.key}: ${JSON.stringify(Item)}`);
        } else if (got > target.attempted) {
          this.count('bogus', phase);
          this.anomaly(`${target.key}: read write #${got}, but only ${target.attempted} were ever sent`);
        } else if (got < floor) {
          this.count('stale', phase);
          this.anomaly(`stale strong read via ${router}: ${target.key} returned write #${got}, but #${floor} was acknowledged before the read`);
        }
      } catch (error) {
        this.fail('get', error, phase, startedAt);
        failed = true;
      }
      if (failed) routerIndex = (routerIndex + 1) % this.endpoints.length;
      await delay(THINK_MS);
    }
  }

  /** Stops the clients; resolves once their in-flight requests have finished (at most one timeout). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  /** Operations since the previous call, for progress lines. */
  tick(): OpCounters {
    const now = { ...this.total };
    const since = zero();
    for (const k of Object.keys(since) as Array<keyof OpCounters>) since[k] = now[k] - this.lastTick[k];
    this.lastTick = now;
    return since;
  }

  totals(): OpCounters {
    return { ...this.total };
  }

  phases(): Array<[string, PhaseStats]> {
    return [...this.byPhase.entries()];
  }

  /** Reads every key strongly (retrying over routers until `timeoutMs`) and checks the acked writes. */
  async verify(timeoutMs: number): Promise<VerifyResult> {
    const deadline = Date.now() + timeoutMs;
    const verifier = this.endpoints.map((e) => dynamo(e.endpoint));
    const finals = new Map<string, number>();
    const queue = [...this.keys];
    const worker = async (w: number) => {
      let r = w % verifier.length;
      for (let state = queue.shift(); state; state = queue.shift()) {
        while (Date.now() < deadline) {
          try {
            const { Item } = await verifier[r].send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: state.key } }, ConsistentRead: true }), {
              abortSignal: AbortSignal.timeout(OP_TIMEOUT_MS),
            });
            finals.set(state.key, Item?.seq?.N ? Number(Item.seq.N) : 0);
            break;
          } catch {
            r = (r + 1) % verifier.length;
            await delay(500);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: VERIFY_CONCURRENCY }, (_, w) => worker(w)));
    for (const c of verifier) c.destroy();
    const result: VerifyResult = { keysChecked: 0, keysUnreadable: [], ackedWrites: 0, lost: [], unverified: 0, landedUnacked: 0 };
    for (const state of this.keys) {
      result.ackedWrites += state.acked.length;
      const finalSeq = finals.get(state.key);
      if (finalSeq === undefined) {
        result.keysUnreadable.push(state.key);
        result.unverified += state.acked.length;
        continue;
      }
      result.keysChecked++;
      for (const seq of state.acked) if (seq > finalSeq) result.lost.push({ key: state.key, seq, finalSeq });
      if (finalSeq > state.lastAcked) result.landedUnacked++;
    }
    return result;
  }

  destroy(): void {
    for (const row of this.clients) for (const c of row) c.destroy();
  }
}
