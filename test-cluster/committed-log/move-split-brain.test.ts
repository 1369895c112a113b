/**
 * Issue 11, failure 3: split brain during a partition move, without any crash.
 *
 * A fourth storage node (storage-a-2) joins zone a, so partitions move from {a-1, b-1, c-1} to
 * {a-2, b-1, c-1}: a-1 leaves them, a-2 comes in, b-1 and c-1 stay. On 3b011fb the partition's
 * leader (a staying node) switches a partition after checking its leadership but not its lease,
 * pushes the new replica set for at most 1 s to the members of the new set and then adopts it
 * whatever they answered, and from then on counts lease acknowledgements only from the new set. A
 * network split {leader, incoming} | {other staying node, leaving node} just before the switch's
 * push lets the leader keep leading the new set with the incoming node's acks while the other two,
 * still on the old set (a majority of it), elect a leader of their own: both sides acknowledge
 * writes of the same partition.
 *
 * Each attempt: the join runs (`triad join`) with its CLI unable to reach the two staying nodes
 * (its own TRIAD_FAULT_FILE), so it stops at a partition whose leader it cannot reach; that
 * partition's item `cas` is written (n = 0); the network is split {leader, a-2, router-1} |
 * {other staying node, a-1, router-2}; the CLI may then reach the leader alone, which moves the
 * partition while its lease from before the split lasts. Then each side, through its own router,
 * advances the item by compare-and-set (read n strongly, `SET n = n + 1 IF n = :read`) and puts
 * items of its own in that partition, until both sides have a few acknowledged steps or time is
 * up. Heal, settle, next attempt (the next partition of the join); at the end the join finishes
 * and the cluster settles.
 *
 * Linearizability allows one acknowledged write per step of a compare-and-set chain: two
 * acknowledged `n = k` writes from the two sides are a violation on their own. And every
 * acknowledged put must be readable afterwards, on every replica of its partition. With the
 * committed log the switch is a configuration change through the log (joint consensus): only one
 * side can have a majority, so only one side acknowledges.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BatchGetItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Item, KeySchema } from '@triad/model';
import type { StorageNodeInfo } from '@triad/ring';
import {
  NetworkFaults,
  clusterProcesses,
  createTable,
  dynamoClient,
  eventually,
  faultFileEnv,
  faultFilePath,
  waitForActive,
  type ClusterProcess,
} from '@triad/harness';
import { ReplicaInspector, inspectReplicas, missingCopies, partitionOfItem } from '../support/replica-inspector';
import { startTestCluster, type TestCluster } from '../support/test-cluster';
import {
  TEST_ANTI_ENTROPY_INTERVAL_MS,
  describeLongFault,
  exitWithin,
  newestLayout,
  settle,
  startCli,
  storageMetricsUrl,
  withNode,
  type CliRun,
} from './support';

const SLOT = 26;
const TABLE = 'split';
const KEY_SCHEMA: KeySchema = { partitionKey: { name: 'id', type: 'S' } };
const LEAVING = 'storage-a-1';
const STAYING = ['storage-b-1', 'storage-c-1'];
/**
 * Attempts, each on the next partition the join moves (TRIAD_TEST_SPLIT_ATTEMPTS overrides, to
 * measure the rate; the join of a 16-partition cluster has about 10 moves). On 3b011fb 15 of 16
 * attempts split (the one miss: the CLI reached the leader after its lease had run out, so nothing
 * switched and only the old side acknowledged).
 */
const ATTEMPTS = Number(process.env.TRIAD_TEST_SPLIT_ATTEMPTS ?? 3);
/** Acknowledged compare-and-set steps each side aims for before the split is healed. */
const CAS_STEPS_WANTED = 3;
/** How long the sides write during the split at most: the old side needs an election timeout (1.5-3 s), the lease wait and a catch-up first. */
const SPLIT_WRITES_MS_MAX = 20_000;
/** How long the CLI is given to find its stuck partition, and the leader to switch it once the CLI reaches it. */
const CLI_STUCK_WAIT_MS = 90_000;
const SWITCH_WAIT_MS = 10_000;
/**
 * Processes re-read their fault files every 100 ms: the CLI may reach the leader only once the
 * split is in force there, or the switch would still reach the other staying node. (No event
 * says a process has re-read its file.)
 */
const FAULT_FILE_RELOAD_MS = 150;

jest.setTimeout(900_000);

interface Ack {
  attempt: number;
  side: string;
  n: number;
}

/** An item put during a split: its key, the side that put it, and the attempt. */
interface PutItem {
  id: { S: string };
  side: { S: string };
  attempt: { N: string };
}

interface AttemptRecord {
  attempt: number;
  partition: number;
  leader: string;
  /** The item the sides advanced by compare-and-set. */
  casKey: string;
  /** The CLI reported the partition moved while the network was split. */
  switchedDuringSplit: boolean;
  /** Acknowledged compare-and-set steps and puts, per side. */
  casAcks: Record<string, number>;
  putAcks: Record<string, number>;
  /** Errors per side, by name. */
  errors: Record<string, Record<string, number>>;
  /** Steps of the chain acknowledged by both sides. */
  conflicts: string[];
}

describeLongFault('a partition move during a network split (issue 11, failure 3)', () => {
  let tc: TestCluster;
  let faultDir: string;
  let network: NetworkFaults;
  let joining: StorageNodeInfo;
  let clients: DynamoDBClient[];
  const cliFaultFile = () => faultFilePath(faultDir, 'cli');

  beforeAll(async () => {
    faultDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-move-split-brain-faults-'));
    tc = await startTestCluster(SLOT, {
      routers: 2,
      env: { TRIAD_ANTI_ENTROPY_INTERVAL_MS: String(TEST_ANTI_ENTROPY_INTERVAL_MS) },
      envFor: faultFileEnv(faultDir),
    });
    joining = await tc.cluster.startExtraNode('a');
    const processes: ClusterProcess[] = [
      ...clusterProcesses(tc.cluster),
      { id: joining.id, zone: joining.zone, role: 'storage', grpcAddress: joining.address, metricsUrl: storageMetricsUrl(tc.cluster, joining.id) },
    ];
    network = new NetworkFaults(faultDir, processes);
    clients = [0, 1].map((i) => dynamoClient(tc.cluster.endpoint(i), { requestTimeoutMs: 15_000 }));
    await createTable(clients[0], TABLE, ['id', 'S']);
    await waitForActive(clients[1], TABLE);
  }, 180_000);

  afterAll(async () => {
    for (const client of clients ?? []) client.destroy();
    await tc?.stop();
    if (faultDir) fs.rmSync(faultDir, { recursive: true, force: true });
  }, 60_000);

  /** The addresses the CLI may not call (its own fault file, re-read every 100 ms). */
  const gateCli = (blockedIds: readonly string[]) => {
    const tmp = `${cliFaultFile()}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ blockedAddresses: blockedIds.map((id) => tc.cluster.storageNode(id).address) }));
    fs.renameSync(tmp, cliFaultFile());
  };
  const joinCli = (gated: boolean): CliRun =>
    startCli(tc.cluster, ['join', '--node', joining.id, '--zone', joining.zone, '--address', joining.address], gated ? { TRIAD_FAULT_FILE: cliFaultFile() } : {});
  const allStorage = () => tc.cluster.allStorageNodes.map((n) => n.id);

  /** Ids of `count` items of `partition`, named `prefix-<i>`. */
  const keysOf = (partition: number, prefix: string, count: number): string[] => {
    const keys: string[] = [];
    for (let i = 0; keys.length < count; i++) {
      const id = `${prefix}-${i}`;
      if (partitionOfItem(tc.cluster.layout.partitionCount, KEY_SCHEMA, { id: { S: id } }) === partition) keys.push(id);
    }
    return keys;
  };

  /** Every acknowledged put of every attempt, by id. */
  const acknowledgedPuts = new Map<string, PutItem>();
  const allAcks: Ack[] = [];

  /**
   * One side of the split: compare-and-set steps on `casKey` and puts of its own keys through its
   * router, until both sides have CAS_STEPS_WANTED acknowledged steps or the time is up.
   */
  async function writeSide(
    attempt: number,
    side: string,
    client: DynamoDBClient,
    casKey: string,
    putKeys: string[],
    progress: Map<string, number>,
    deadline: number,
  ): Promise<{ cas: number; puts: number; errors: Record<string, number> }> {
    const errors: Record<string, number> = {};
    const failed = (error: Error) => (errors[error.name] = (errors[error.name] ?? 0) + 1);
    let cas = 0;
    let puts = 0;
    const enough = () => [...progress.values()].every((n) => n >= CAS_STEPS_WANTED);
    while (Date.now() < deadline && !enough() && puts < putKeys.length) {
      try {
        const { Item: current } = await client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: casKey } }, ConsistentRead: true }));
        const n = Number(current?.n?.N ?? Number.NaN);
        await client.send(
          new UpdateItemCommand({
            TableName: TABLE,
            Key: { id: { S: casKey } },
            UpdateExpression: 'SET n = :next, w = :side',
            ConditionExpression: 'n = :read',
            ExpressionAttributeValues: { ':next': { N: String(n + 1) }, ':read': { N: String(n) }, ':side': { S: side } },
          }),
        );
        allAcks.push({ attempt, side, n: n + 1 });
        cas++;
        progress.set(side, cas);
      } catch (error) {
        failed(error as Error);
      }
      const item: PutItem = { id: { S: putKeys[puts] }, side: { S: side }, attempt: { N: String(attempt) } };
      try {
        await client.send(new PutItemCommand({ TableName: TABLE, Item: { ...item } }));
        acknowledgedPuts.set(putKeys[puts], item);
      } catch (error) {
        failed(error as Error);
      }
      puts++;
    }
    return { cas, puts: [...acknowledgedPuts.values()].filter((i) => i.side.S === side && i.attempt.N === String(attempt)).length, errors };
  }

  /** One attempt on the next partition the join moves; undefined when the join has nothing left to move. */
  async function attempt(number: number, log: string[]): Promise<AttemptRecord | undefined> {
    const started = Date.now();
    const at = () => `+${((Date.now() - started) / 1000).toFixed(2)} s`;
    network.heal();
    gateCli(STAYING);
    const cli = joinCli(true);
    try {
      // The CLI stops at the first partition whose leader (a staying node, once the leaving one handed it over) it cannot reach.
      const stuck = await cli.waitFor(/partition (\d+): storage-[bc]-1 did not answer/, CLI_STUCK_WAIT_MS);
      if (!stuck) {
        if (/done in|already in the cluster/.test(cli.output())) return undefined;
        throw new Error(`attempt ${number}: the join CLI did not stop at a partition:\n${cli.output()}`);
      }
      const partition = Number(stuck[1]);
      // Every node on the join's layout, and a staying node serving the partition.
      const leader = await eventually(
        `a staying leader of partition ${partition}, every node on the newest layout`,
        async () => {
          const epochs = await Promise.all(allStorage().map((id) => withNode(tc.cluster, tc.cluster.storageNode(id).address, (c) => c.getLayout({ knownEpoch: 0 }), 2_000)));
          if (new Set(epochs.map((e) => Number(e.epoch))).size !== 1) throw new Error(`layout epochs differ: ${epochs.map((e) => e.epoch).join(', ')}`);
          for (const id of STAYING) {
            const status = await withNode(tc.cluster, tc.cluster.storageNode(id).address, (c) => c.nodeStatus({}), 2_000);
            if (status.partitionsLed.includes(partition)) return id;
          }
          throw new Error('no staying node leads it');
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      const other = STAYING.find((id) => id !== leader)!;
      const newSide = `${leader}+${joining.id}`;
      const oldSide = `${other}+${LEAVING}`;
      const casKey = keysOf(partition, `cas-${number}`, 1)[0];
      await eventually('the item written before the split', () =>
        clients[0].send(new PutItemCommand({ TableName: TABLE, Item: { id: { S: casKey }, n: { N: '0' }, w: { S: 'setup' } } })),
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      log.push(`attempt ${number} (${at()}): partition ${partition} led by ${leader}; split {${newSide}, router-1} | {${oldSide}, router-2}`);

      // The split, then the CLI may reach the leader (and nobody else).
      network.cutOff([leader, joining.id, 'router-1']);
      await new Promise((resolve) => setTimeout(resolve, FAULT_FILE_RELOAD_MS));
      gateCli(allStorage().filter((id) => id !== leader));
      const moved = await cli.waitFor(new RegExp(`partition ${partition} moved`), SWITCH_WAIT_MS);
      gateCli(allStorage());
      await cli.kill();
      log.push(`  ${at()}: ${moved ? `partition ${partition} switched to {${joining.id}, ${STAYING.join(', ')}} during the split` : 'the CLI saw no switch'}`);

      // Both sides write, each through its own router.
      const progress = new Map([
        [newSide, 0],
        [oldSide, 0],
      ]);
      const deadline = Date.now() + SPLIT_WRITES_MS_MAX;
      const [mine, theirs] = await Promise.all([
        writeSide(number, newSide, clients[0], casKey, keysOf(partition, `put-${number}-new`, 200), progress, deadline),
        writeSide(number, oldSide, clients[1], casKey, keysOf(partition, `put-${number}-old`, 200), progress, deadline),
      ]);
      const steps = new Map<number, string[]>();
      for (const ack of allAcks.filter((a) => a.attempt === number)) steps.set(ack.n, [...(steps.get(ack.n) ?? []), ack.side]);
      const conflicts = [...steps].filter(([, sides]) => sides.length > 1).map(([n, sides]) => `n = ${n} acknowledged to ${sides.join(' and ')}`);
      const record: AttemptRecord = {
        attempt: number,
        partition,
        leader,
        casKey,
        switchedDuringSplit: Boolean(moved),
        casAcks: { [newSide]: mine.cas, [oldSide]: theirs.cas },
        putAcks: { [newSide]: mine.puts, [oldSide]: theirs.puts },
        errors: { [newSide]: mine.errors, [oldSide]: theirs.errors },
        conflicts,
      };
      log.push(`  ${at()}: writes during the split: ${JSON.stringify({ casAcks: record.casAcks, putAcks: record.putAcks, errors: record.errors })}`);
      if (conflicts.length > 0) log.push(`  conflicting acknowledgements: ${conflicts.join('; ')}`);
      network.heal();
      await settle(tc.cluster, allStorage());
      log.push(`  ${at()}: healed and settled`);
      return record;
    } finally {
      await cli.kill();
    }
  }

  it('never lets both sides acknowledge writes of the moving partition, and loses no acknowledged write', async () => {
    const log: string[] = [];
    const records: AttemptRecord[] = [];
    try {
      for (let n = 1; n <= ATTEMPTS; n++) {
        const record = await attempt(n, log);
        if (!record) break;
        records.push(record);
      }

      // Finish the join with the whole cluster reachable, and let repairs run.
      network.heal();
      const finish = joinCli(false);
      const done = await finish.waitFor(/done in|already in the cluster/, 180_000);
      const code = await exitWithin(finish, 10_000);
      log.push(`join finished (exit ${code}): ${done ? done[0] : finish.output().slice(-500)}`);
      expect(code).toBe(0);
      await settle(tc.cluster, allStorage());
      const layout = await newestLayout(tc.cluster, allStorage());
      expect(layout.change).toBeUndefined();

      // Every acknowledged put, through the router (strongly) and on every replica of its partition.
      const wanted = [...acknowledgedPuts.values()];
      const unreadable: string[] = [];
      for (let i = 0; i < wanted.length; i += 100) {
        let keys: Record<string, AttributeValue>[] = wanted.slice(i, i + 100).map((item) => ({ id: item.id }));
        const found = new Set<string>();
        while (keys.length > 0) {
          const reply = await clients[0].send(new BatchGetItemCommand({ RequestItems: { [TABLE]: { Keys: keys, ConsistentRead: true } } }));
          for (const got of reply.Responses?.[TABLE] ?? []) found.add(got.id.S!);
          keys = (reply.UnprocessedKeys?.[TABLE]?.Keys ?? []) as Record<string, AttributeValue>[];
        }
        for (const item of wanted.slice(i, i + 100)) if (!found.has(item.id.S)) unreadable.push(`${item.id.S} (${item.side.S}, attempt ${item.attempt.N})`);
      }
      const inspector = new ReplicaInspector(layout, tc.cluster.grpcSecurity, 30_000);
      let lostCopies: string[];
      try {
        const table = (await inspector.table(STAYING[0], TABLE))!;
        const report = await inspectReplicas(inspector, table, wanted as unknown as Item[], { allowUnexpected: true });
        lostCopies = [...missingCopies(report, 'all'), ...report.problems.filter((p) => p.includes('expected'))];
      } finally {
        inspector.close();
      }
      // Each chain's last acknowledged step is still there (the item reads that step or a later one).
      const lostSteps: string[] = [];
      for (const r of records) {
        const acks = allAcks.filter((a) => a.attempt === r.attempt);
        if (acks.length === 0) continue;
        const last = acks.reduce((a, b) => (b.n > a.n ? b : a));
        const { Item: final } = await clients[0].send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: r.casKey } }, ConsistentRead: true }));
        const n = Number(final?.n?.N ?? -1);
        log.push(`attempt ${r.attempt}: ${r.casKey} reads n = ${n} (${final?.w?.S}); last acknowledged step n = ${last.n} (${last.side})`);
        if (n < last.n) lostSteps.push(`attempt ${r.attempt}: n = ${last.n} was acknowledged to ${last.side}, ${r.casKey} reads n = ${n} written by ${final?.w?.S}`);
      }
      const splits = records.filter((r) => Object.values(r.casAcks).every((n) => n > 0)).length;
      log.push(
        `${records.length} attempts; ${records.filter((r) => r.switchedDuringSplit).length} switched during the split; ` +
          `${splits} with acknowledged steps on both sides; ${records.filter((r) => r.conflicts.length > 0).length} with conflicting acknowledgements; ` +
          `${acknowledgedPuts.size} puts acknowledged, ${unreadable.length} unreadable, ${lostCopies.length} missing on some replica`,
      );
      if (unreadable.length > 0) log.push(`unreadable: ${unreadable.slice(0, 20).join(', ')}`);
      if (lostCopies.length > 0) log.push(`missing copies: ${lostCopies.slice(0, 20).join('\n  ')}`);

      expect(records.length).toBeGreaterThan(0);
      expect(records.flatMap((r) => r.conflicts.map((c) => `attempt ${r.attempt}, partition ${r.partition}: ${c}`))).toEqual([]);
      expect(lostSteps).toEqual([]);
      expect(unreadable).toEqual([]);
      expect(lostCopies).toEqual([]);
      expect(tc.unexpectedExits).toEqual([]);
    } finally {
      console.log(`move split brain (slot ${SLOT}):\n${log.join('\n')}`);
    }
  });
});
