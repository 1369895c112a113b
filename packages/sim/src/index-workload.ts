import { sleep, type Prng, type SimulatedEnvironment } from '@triad/runtime';
import type { ScenarioEvent } from './membership-changes';
import { CLIENT_CALL_TIMEOUT_MS, CLIENT_THINK_MS_MAX, INDEX_ACTIVE_SIMULATED_MS_MAX, INDEX_CUT_HELD_MS_MAX, INDEX_CUT_HELD_MS_MIN, INDEX_KEYS, SETUP_ATTEMPTS_MAX } from './limits';
import { LinkCuts, type FaultHook } from './network-faults';
import type { SimCluster, SimRouter } from './sim-cluster';

/** The index workload's table (key `pk`) and the global index UpdateTable adds to it (key `g`, every attribute projected). */
export const INDEXED_TABLE = 'SimIndexed';
export const GLOBAL_INDEX = 'ByG';
const G_VALUES = ['red', 'green', 'blue'];

type Item = Record<string, Record<string, unknown>>;

/** An item's attributes in one canonical string: the same item reads the same from the table and the index. */
export function canonicalItem(item: Item): string {
  return JSON.stringify(Object.keys(item).sort().map((name) => [name, item[name]]));
}

/**
 * The differences between a table's items and its global index's entries (index key `g`, a
 * string; every attribute projected): every item with a string `g` has exactly one entry, equal
 * to it, and there is no other entry. Pure.
 */
export function indexDifferences(items: readonly Item[], entries: readonly Item[], indexKey = 'g'): string[] {
  const expected = new Map<string, string>();
  for (const item of items) if (typeof item[indexKey]?.S === 'string') expected.set(String(item.pk?.S), canonicalItem(item));
  const found = new Map<string, string[]>();
  for (const entry of entries) {
    const key = String(entry.pk?.S);
    found.set(key, [...(found.get(key) ?? []), canonicalItem(entry)]);
  }
  const differences: string[] = [];
  for (const [key, item] of expected) {
    const at = found.get(key) ?? [];
    if (at.length === 0) differences.push(`item ${key} has no index entry (item ${item})`);
    else if (at.length > 1) differences.push(`item ${key} has ${at.length} index entries: ${at.join(' and ')} (item ${item})`);
    else if (at[0] !== item) differences.push(`item ${key}'s index entry ${at[0]} differs from the item ${item}`);
  }
  for (const [key, at] of found) if (!expected.has(key)) differences.push(`index entry ${at[0]} for ${key}, which has no item with ${indexKey}`);
  return differences;
}

/**
 * A global index added while the table is written (issue 12; issue 11, failure 4): clients write
 * the table `SimIndexed` through both routers (PutItem with and without the index key `g`,
 * UpdateItem SET and REMOVE of `g`, DeleteItem), while the second router is cut off from the
 * system partition (the catalog: its requests naming it are lost) a seeded while before router-a
 * adds the index `ByG` by UpdateTable, until a seeded while after the index is ACTIVE. The cut-off
 * router keeps writing with the old index list: a leader must refuse those writes (index fences),
 * or the index misses them for ever. `check`, after healing: the index equals its table (entries
 * against items, compared through both routers' Scans), and the router's real index reconciler
 * finds nothing to repair.
 */
export class IndexWorkload {
  readonly events: ScenarioEvent[] = [];
  readonly outcomes = new Map<string, number>();
  private readonly cuts = new LinkCuts();
  private readonly removeHook: () => void;
  private cutOff?: string;
  private active = false;

  constructor(
    private readonly cluster: SimCluster,
    private readonly prng: Prng,
    private readonly env: SimulatedEnvironment,
  ) {
    const system = cluster.layout.partitionCount;
    // Requests of the cut-off router that name the system partition are lost; everything else travels.
    const catalogCut: FaultHook = (message) =>
      message.direction === 'request' && message.from === this.cutOff && message.service === 'storage' && message.partitions.includes(system) ? { kind: 'drop' } : undefined;
    this.removeHook = cluster.network.addFaults((message, random) => catalogCut(message, random) ?? this.cuts.hook(message, random));
  }

  private note(kind: string, what: string): void {
    this.events.push({ atMs: this.cluster.simulator.nowMs, kind, what });
  }

  private tally(outcome: string): void {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  /** Creates the table (no index yet) and writes every key once. */
  async setup(router: SimRouter): Promise<void> {
    await router.call('CreateTable', {
      TableName: INDEXED_TABLE,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    for (let k = 0; k < INDEX_KEYS; k++) {
      const item = this.item(k, 0);
      // Tried again after a retriable error, as an SDK would: a node that crashes at a failed sync
      // (fault point store.syncFails) leaves a write's outcome unknown, and writing the same item
      // again means the same either way (seed 43 of --moves --indexes stopped here).
      await router.callRetrying('PutItem', { TableName: INDEXED_TABLE, Item: item }, SETUP_ATTEMPTS_MAX);
    }
  }

  private item(k: number, version: number): Item {
    const item: Item = { pk: { S: `k${k}` }, v: { N: String(version) } };
    if (this.prng.chance(0.7)) item.g = { S: this.prng.pick(G_VALUES) };
    return item;
  }

  /**
   * Clients write through both routers until the index is ACTIVE and the cut healed (or
   * `writesMax` writes each); meanwhile router-b is cut off and the index added.
   */
  async run(routers: readonly SimRouter[], clients = 2, writesMax = 60): Promise<void> {
    const [adder, cutOff] = routers;
    let done = false;
    const writers = Array.from({ length: clients }, async (_, c) => {
      for (let n = 0; n < writesMax && !done; n++) {
        await sleep(this.env, this.prng.real(0, CLIENT_THINK_MS_MAX));
        await this.write(`ix${c}`, this.prng.pick(routers));
      }
    });
    const change = (async () => {
      await sleep(this.env, this.prng.real(0, 2_000));
      this.cutOff = cutOff?.id;
      this.note('catalog-cut', `${this.cutOff} cut off from the system partition`);
      await sleep(this.env, this.prng.real(0, 1_500));
      const added = await this.addIndex(adder!);
      if (added) {
        const activeAt = await this.untilActive(adder!);
        this.note('index', activeAt ? `${GLOBAL_INDEX} ACTIVE` : `${GLOBAL_INDEX} not ACTIVE within ${INDEX_ACTIVE_SIMULATED_MS_MAX} ms`);
      }
      await sleep(this.env, this.prng.real(INDEX_CUT_HELD_MS_MIN, INDEX_CUT_HELD_MS_MAX));
      this.heal();
      done = true;
    })();
    await Promise.all([change, ...writers]);
    done = true;
  }

  /** Ends the catalog cut (the fault schedule heals its own faults). */
  heal(): void {
    if (this.cutOff) this.note('heal', `${this.cutOff} reaches the system partition again`);
    this.cutOff = undefined;
  }

  private async addIndex(router: SimRouter): Promise<boolean> {
    for (let attempt = 1; attempt <= 20; attempt++) {
      try {
        await this.call(router, 'UpdateTable', {
          TableName: INDEXED_TABLE,
          AttributeDefinitions: [{ AttributeName: 'g', AttributeType: 'S' }],
          GlobalSecondaryIndexUpdates: [{ Create: { IndexName: GLOBAL_INDEX, KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } } }],
        });
        this.note('index', `UpdateTable adds ${GLOBAL_INDEX} through ${router.id}`);
        return true;
      } catch (error) {
        const name = (error as Error).name;
        // An earlier attempt that timed out may have added it.
        if (name === 'ValidationException' && /exist/i.test((error as Error).message)) return true;
        this.note('index', `UpdateTable failed (${name}); again`);
        await sleep(this.env, 1_000);
      }
    }
    return false;
  }

  /** Waits until DescribeTable says the index is ACTIVE; false after INDEX_ACTIVE_SIMULATED_MS_MAX. */
  async untilActive(router: SimRouter, limitMs = INDEX_ACTIVE_SIMULATED_MS_MAX): Promise<boolean> {
    const deadline = this.cluster.simulator.nowMs + limitMs;
    while (this.cluster.simulator.nowMs < deadline) {
      try {
        const reply = (await this.call(router, 'DescribeTable', { TableName: INDEXED_TABLE })) as { Table: { GlobalSecondaryIndexes?: { IndexName: string; IndexStatus: string }[] } };
        if (reply.Table.GlobalSecondaryIndexes?.some((i) => i.IndexName === GLOBAL_INDEX && i.IndexStatus === 'ACTIVE')) {
          this.active = true;
          return true;
        }
      } catch {
        // Faults: ask again.
      }
      await sleep(this.env, 500);
    }
    return false;
  }

  private async write(client: string, router: SimRouter): Promise<void> {
    const k = this.prng.int(0, INDEX_KEYS - 1);
    const key = { pk: { S: `k${k}` } };
    const choice = this.prng.next();
    let request: [string, Record<string, unknown>];
    if (choice < 0.45) request = ['PutItem', { TableName: INDEXED_TABLE, Item: this.item(k, this.prng.int(1, 1_000_000)) }];
    else if (choice < 0.7) request = ['UpdateItem', { TableName: INDEXED_TABLE, Key: key, UpdateExpression: 'SET g = :g, v = :v', ExpressionAttributeValues: { ':g': { S: this.prng.pick(G_VALUES) }, ':v': { N: String(this.prng.int(1, 1_000_000)) } } }];
    else if (choice < 0.85) request = ['UpdateItem', { TableName: INDEXED_TABLE, Key: key, UpdateExpression: 'REMOVE g' }];
    else request = ['DeleteItem', { TableName: INDEXED_TABLE, Key: key }];
    const sentAt = this.cluster.simulator.nowMs;
    const what = `${client} ${router.id} k${k} ${request[0]} ${JSON.stringify(request[1].Item ?? request[1].ExpressionAttributeValues ?? request[1].UpdateExpression ?? '')}`;
    let outcome: string;
    try {
      await this.call(router, ...request);
      outcome = 'ok';
    } catch (error) {
      outcome = (error as Error).name || 'error';
    }
    this.tally(outcome);
    this.note('ix-write', `${what} ${outcome} (sent at ${sentAt.toFixed(3)})`);
  }

  /** One call, given up on after CLIENT_CALL_TIMEOUT_MS as a client would (it may still apply). */
  private call(router: SimRouter, operation: string, body: Record<string, unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = this.env.setTimeout(() => reject(Object.assign(new Error(`${operation} timed out`), { name: 'ClientTimeout' })), CLIENT_CALL_TIMEOUT_MS);
      router.call(operation, body).then(
        (reply) => {
          this.env.clearTimeout(timer);
          resolve(reply);
        },
        (error: unknown) => {
          this.env.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** Every page of a Scan (of the table, strongly, or of the index). */
  private async scanAll(router: SimRouter, indexName?: string): Promise<Item[]> {
    const items: Item[] = [];
    let start: unknown;
    for (let page = 0; page < 1_000; page++) {
      const reply = (await this.call(router, 'Scan', {
        TableName: INDEXED_TABLE,
        ...(indexName ? { IndexName: indexName } : { ConsistentRead: true }),
        ...(start ? { ExclusiveStartKey: start } : {}),
      })) as { Items?: Item[]; LastEvaluatedKey?: unknown };
      items.push(...(reply.Items ?? []));
      start = reply.LastEvaluatedKey;
      if (!start) return items;
    }
    throw new Error('Scan did not end within 1,000 pages');
  }

  /** The index's differences from its table, as `router` reads both now. */
  async differences(router: SimRouter): Promise<string[]> {
    const items = await this.scanAll(router);
    const entries = await this.scanAll(router, GLOBAL_INDEX);
    return indexDifferences(items, entries);
  }

  /** For a failure's explanation: what one pass of the real reconciler repairs, and whether the index equals its table then. */
  private async afterReconciler(router: SimRouter): Promise<string> {
    try {
      const repaired = (await router.reconciler.runOnce()).map((o) => JSON.stringify(o.repaired)).join(', ');
      const left = await this.differences(router);
      return `(one pass of the index reconciler repaired ${repaired}; ${left.length === 0 ? 'the index equals its table after it' : `${left.length} differences left`})`;
    } catch (e) {
      return `(the index reconciler's pass failed: ${String(e)})`;
    }
  }

  /**
   * After healing and settling: the index is ACTIVE, and equals its table within `limitMs` (its
   * entries travel asynchronously, through outboxes and hints), as each router reads them; then
   * one pass of the real index reconciler (router-a's) repairs nothing.
   */
  async check(routers: readonly SimRouter[], failures: string[], limitMs = INDEX_ACTIVE_SIMULATED_MS_MAX): Promise<void> {
    this.heal();
    this.removeHook();
    const [router] = routers;
    if (!this.active && !(await this.untilActive(router!, limitMs))) {
      failures.push(`index ${GLOBAL_INDEX} of ${INDEXED_TABLE} not ACTIVE ${limitMs} ms after healing`);
      return;
    }
    for (const r of routers) {
      const deadline = this.cluster.simulator.nowMs + limitMs;
      let differences: string[] = [];
      let error = '';
      for (;;) {
        try {
          differences = await this.differences(r);
          error = '';
          if (differences.length === 0) break;
        } catch (e) {
          error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        }
        if (this.cluster.simulator.nowMs >= deadline) break;
        await sleep(this.env, 1_000);
      }
      if (error) failures.push(`index check through ${r.id} failed: ${error}`);
      for (const d of differences.slice(0, 5)) failures.push(`global index ${GLOBAL_INDEX} differs from ${INDEXED_TABLE} (read through ${r.id}, ${limitMs} ms after healing): ${d}`);
      if (differences.length > 5) failures.push(`... and ${differences.length - 5} more differences of ${GLOBAL_INDEX}`);
      if (differences.length > 0) failures.push(await this.afterReconciler(router!));
      if (differences.length > 0 || error) return;
    }
    try {
      const outcomes = await router!.reconciler.runOnce();
      for (const o of outcomes) {
        const repaired = o.repaired.missing + o.repaired.stale + o.repaired.extra;
        if (repaired > 0 || o.failed > 0) failures.push(`the index reconciler repaired ${JSON.stringify(o.repaired)} (failed ${o.failed}) in an index the Scans found equal to its table`);
      }
    } catch (e) {
      failures.push(`the index reconciler's pass failed: ${String(e)}`);
    }
  }
}
