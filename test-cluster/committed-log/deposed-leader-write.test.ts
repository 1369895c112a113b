/**
 * Issue 11, failure 2: a deposed leader stamps an in-flight write with the new leader's term.
 *
 * On 3b011fb a leader checks its lease, decides a write (condition, new item), and only then reads
 * the partition's term for the write's version; followers accept a write of their current term
 * from any replica, and a drain hands leadership over without waiting for a write that has not
 * been sent yet. A test delay (TRIAD_TEST_DELAYS, point `write.afterLeaseCheck`, on storage-a-1
 * only and only for this test's keys) holds one conditional write of storage-a-1 in that window,
 * standing for a slow disk read, while storage-a-1 is drained and a new value is written, and
 * acknowledged, through the new leader (the held write keeps its key's lock on storage-a-1, so the
 * new value's copy waits there and the held write still decides on the old state). The write
 * history, one item:
 *
 *   W1  UpdateItem SET v = 1 IF attribute_not_exists(v)   sent to the old leader, held by the delay
 *   W2  PutItem v = 2                                      through the new leader, acknowledged while W1 is held
 *
 * W1's condition is false once W2 has taken effect, so in every linearization W1 either precedes
 * W2 or does nothing: whatever W1's answer (acknowledged, refused, or unknown), the item must read
 * v = 2 at the end, on every replica. On 3b011fb W1 is stamped with the new term and a later clock,
 * reaches a majority through the other follower, and a hint replay (or anti-entropy) overwrites the
 * new leader's v = 2 with it: W2, acknowledged, is lost. With the committed log the term is fixed
 * at the leadership check, so W1's entry is refused by the new term's followers and truncated.
 */
import { GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KeySchema } from '@triad/model';
import { Ring } from '@triad/ring';
import { ReplicaInspector, partitionOfItem } from '../support/replica-inspector';
import { createTable, dynamoClient, eventually } from '@triad/harness';
import { STORAGE_NODE_IDS, startTestCluster, type TestCluster } from '../support/test-cluster';
import { TEST_ANTI_ENTROPY_INTERVAL_MS, describeCommittedLog, logEvents, nodeMetric, settle, withNode } from './support';

const SLOT = 25;
const TABLE = 'deposed';
const KEY_SCHEMA: KeySchema = { partitionKey: { name: 'id', type: 'S' } };
/** The node whose writes of this test's keys are held by the delay: the old leader. */
const OLD_LEADER = 'storage-a-1';
/** Only items whose key contains this are delayed. */
const KEY_MARKER = 'stale-';
/**
 * How long the old leader holds W1 between deciding it and stamping it: room for a drain, an
 * election and W2's acknowledgement on a busy machine, and under the router's 2 s per-call deadline
 * so that the old leader's answer to W1 can still reach the client.
 */
const DELAY_MS = Number(process.env.TRIAD_TEST_STALE_DELAY_MS ?? 1_500);

jest.setTimeout(180_000);

describeCommittedLog('a leader deposed while a write is in flight (issue 11, failure 2)', () => {
  let tc: TestCluster;
  let client: DynamoDBClient;

  beforeAll(async () => {
    tc = await startTestCluster(SLOT, {
      env: { TRIAD_ANTI_ENTROPY_INTERVAL_MS: String(TEST_ANTI_ENTROPY_INTERVAL_MS) },
      envFor: (id) =>
        id === OLD_LEADER ? { TRIAD_TEST_DELAYS: JSON.stringify({ 'write.afterLeaseCheck': { ms: DELAY_MS, keyContains: KEY_MARKER } }) } : undefined,
    });
    client = dynamoClient(tc.endpoint, { requestTimeoutMs: 30_000 });
    await createTable(client, TABLE, ['id', 'S']);
  }, 120_000);

  afterAll(async () => {
    client?.destroy();
    await tc?.stop();
  }, 60_000);

  it('keeps the value acknowledged through the new leader when the old leader\'s delayed conditional write lands after the drain', async () => {
    const { cluster, dataDir } = tc;
    const ring = new Ring(cluster.layout);
    const oldLeader = cluster.storageNode(OLD_LEADER);

    // A key of a partition that storage-a-1 leads now (it leads those where it is the preferred replica).
    const { key, partition } = await eventually('a partition led by storage-a-1', async () => {
      const status = await withNode(cluster, oldLeader.address, (c) => c.nodeStatus({}));
      const led = new Set(status.partitionsLed.filter((p) => p !== ring.systemPartition));
      for (let i = 0; i < 1_000; i++) {
        const id = `${KEY_MARKER}${i}`;
        const p = partitionOfItem(ring.partitionCount, KEY_SCHEMA, { id: { S: id } });
        if (led.has(p)) return { key: id, partition: p };
      }
      throw new Error(`storage-a-1 leads no data partition (leads ${status.partitionsLed.join(', ')})`);
    });
    const others = ring.replicaSet(partition).map((n) => n.id).filter((id) => id !== OLD_LEADER);
    const t0 = Date.now();
    const at = () => `${Date.now() - t0} ms`;
    const timeline: string[] = [];

    // W1, to the old leader: it decides (no item yet: the condition holds) and is then held.
    const w1 = client
      .send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: { id: { S: key } },
          UpdateExpression: 'SET v = :one',
          ConditionExpression: 'attribute_not_exists(v)',
          ExpressionAttributeValues: { ':one': { N: '1' } },
        }),
      )
      .then(
        () => ({ outcome: 'acknowledged', at: at() }),
        (error: Error) => ({ outcome: `${error.name}: ${error.message}`, at: at() }),
      );
    await eventually('W1 held by the test delay on storage-a-1', () => {
      if (logEvents(dataDir, OLD_LEADER, 'test delay started').length !== 1) throw new Error('not yet');
    }, { timeoutMs: 10_000, intervalMs: 20 });
    timeline.push(`${at()} W1 held on ${OLD_LEADER} (partition ${partition}, key ${key})`);

    // Drain the old leader: leadership of the partition moves to one of the other two replicas.
    await withNode(cluster, oldLeader.address, (c) => c.drain({ draining: true }));
    timeline.push(`${at()} ${OLD_LEADER} draining`);
    const newLeader = await eventually(
      'a new serving leader of the partition',
      async () => {
        for (const id of others) {
          const status = await withNode(cluster, cluster.storageNode(id).address, (c) => c.nodeStatus({}), 1_000);
          if (status.partitionsLed.includes(partition)) return id;
        }
        throw new Error('none yet');
      },
      // Generous: a leader that fences a transfer on its writes in flight may hand over only once W1 is done.
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    timeline.push(`${at()} ${newLeader} leads partition ${partition}`);

    // W2 through the router, which the draining node sends to the new leader.
    await client.send(new PutItemCommand({ TableName: TABLE, Item: { id: { S: key }, v: { N: '2' } } }));
    timeline.push(`${at()} W2 (v = 2) acknowledged`);
    // The race this test is about: W2 acknowledged while W1 was still held, its term not yet taken.
    // (A leader that fences its transfer on W1 finishes W1 first; v = 2 must win then too.)
    const heldUntilW2 = logEvents(dataDir, OLD_LEADER, 'test delay over').length === 0;
    timeline.push(`${at()} W1 ${heldUntilW2 ? 'still held' : 'no longer held'} when W2 was acknowledged`);

    const w1Result = await w1;
    timeline.push(`${w1Result.at} W1 answered: ${w1Result.outcome}`);
    const failures = await nodeMetric(cluster, OLD_LEADER, 'triad_storage_replication_failures_total', { follower: newLeader });
    timeline.push(`${at()} ${OLD_LEADER}'s replication failures to ${newLeader}: ${failures}`);

    // Let everything that repairs replicas run: the old leader serves again, hints replay, anti-entropy rounds.
    await withNode(cluster, oldLeader.address, (c) => c.drain({ draining: false }));
    await settle(cluster, STORAGE_NODE_IDS);
    timeline.push(`${at()} settled (no hints pending, two anti-entropy rounds on every node)`);

    const strong = (await client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: key } }, ConsistentRead: true }))).Item;
    const inspector = new ReplicaInspector(cluster.layout, cluster.grpcSecurity);
    const copies: Record<string, unknown> = {};
    try {
      const table = (await inspector.table(newLeader, TABLE))!;
      for (const id of ring.replicaSet(partition).map((n) => n.id)) {
        const held = (await inspector.tableItems(id, table.tableId)).get(partition) ?? [];
        copies[id] = held.find((s) => JSON.stringify(s.item.id) === JSON.stringify({ S: key }))?.item.v ?? null;
      }
    } finally {
      inspector.close();
    }
    timeline.push(`${at()} strong read: ${JSON.stringify(strong?.v)}; replicas: ${JSON.stringify(copies)}`);
    console.log(`deposed-leader write, delay ${DELAY_MS} ms:\n  ${timeline.join('\n  ')}`);

    // W2 was acknowledged and nothing legal can follow it: v = 2 everywhere.
    expect({ strong: strong?.v, ...copies }).toEqual({
      strong: { N: '2' },
      ...Object.fromEntries(Object.keys(copies).map((id) => [id, { N: '2' }])),
    });
    expect(tc.unexpectedExits).toEqual([]);
  });
});
