import { encodeKeyValue, indexEntryKey, type Item } from '@triad/model';
import { encodeJson, type IndexSpec, type ItemOpBody } from '@triad/rpc';
import { SimCluster } from '../src';

// Seconds of CPU (a whole cluster in one process): more than jest's 5 s on a busy machine.
jest.setTimeout(120_000);
process.env.TRIAD_LOG_LEVEL ??= 'error';

const INDEX: IndexSpec = { name: 'ByG', id: '00000000000000b2', keySchema: { partitionKey: { name: 'g', type: 'S' } } };

async function leadersOf(cluster: SimCluster, partition: number): Promise<string[]> {
  const ids: string[] = [];
  for (const id of cluster.nodes.keys()) {
    if (!cluster.node(id).process) continue;
    try {
      if ((await cluster.run(cluster.probe(id).nodeStatus({}))).partitionsLed.includes(partition)) ids.push(id);
    } catch {
      // A node that does not answer leads nothing we can see.
    }
  }
  return ids;
}

async function untilLed(cluster: SimCluster, partition: number, limitMs = 30_000): Promise<string> {
  const started = cluster.simulator.nowMs;
  while (cluster.simulator.nowMs - started < limitMs) {
    const [leader] = await leadersOf(cluster, partition);
    if (leader) return leader;
    await cluster.advance(250);
  }
  throw new Error(`partition ${partition} not led after ${limitMs} simulated ms`);
}

/**
 * Seed 93 of `npm run sim -- --moves --indexes --steps 20` (after the leaving-node fix of this
 * branch) ended with global index ByG missing item k21's entry: the backfill re-indexed k21 at
 * its leader while a PutItem of k21 without `g` was in that leader's log, not committed. The
 * re-index took the item as that write left it (no index key: no entry to deliver) and answered
 * done; the write never committed (its leader lost the partition), and k21 kept its `g` with no
 * entry. A re-index now takes the item's applied (committed) state; a write that does commit
 * delivers its own entries from its outbox, at a newer version.
 *
 * Here the write is held in its leader's log by dropping every replication packet the leader
 * sends, the re-index goes straight to that leader as the index builder sends it, then the leader
 * is killed, so the write never commits.
 */
test('a backfill re-index delivers the entry of the committed item, not of a write still in the log', async () => {
  const cluster = new SimCluster({ seed: 93 });
  await cluster.startNodes('storage-a', 'storage-b', 'storage-c');
  for (let p = 0; p <= cluster.layout.partitionCount; p++) await untilLed(cluster, p);
  const router = await cluster.startRouter();
  await router.requestRetrying('CreateTable', {
    TableName: 'Backfilled',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  const def = (await cluster.run(router.context.catalog.find('Backfilled')))!;
  const storage = router.context.storage;
  const indexPartition = storage.partitionOf(encodeKeyValue('S', { S: 'red' }));
  // An item whose partition is not its entry's, so that the entry's delivery is not held with the write.
  const pk = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'].find((k) => storage.partitionOf(encodeKeyValue('S', { S: k })) !== indexPartition)!;
  const partition = storage.partitionOf(encodeKeyValue('S', { S: pk }));
  const key = Buffer.concat([Buffer.from(def.tableId, 'hex'), encodeKeyValue('S', { S: pk })]);
  const committed: Item = { pk: { S: pk }, g: { S: 'red' } };
  await router.requestRetrying('PutItem', { TableName: 'Backfilled', Item: committed });

  const withIndex: Pick<ItemOpBody, 'indexes' | 'tableKeySchema' | 'schemaVersion'> = { indexes: [INDEX], tableKeySchema: def.keySchema, schemaVersion: 1 };
  const leader = await untilLed(cluster, partition);
  // The leader's log reaches no follower: its next write stays in its log, uncommitted.
  const removeHook = cluster.network.addFaults((m) => (m.from === leader && m.method === 'election' && m.direction === 'request' ? { kind: 'drop' } : undefined));
  const pending = storage.execute({ partition, key, kind: 'OP_KIND_PUT', body: encodeJson({ item: { pk: { S: pk } }, ...withIndex }) });
  pending.catch(() => undefined);
  await cluster.advance(20);
  const reindexed = await cluster.run(storage.execute({ partition, key, kind: 'OP_KIND_REINDEX', body: encodeJson(withIndex) }));
  expect(reindexed.errorName).toBe('');

  // The entry of the committed item reached a majority of its partition's replicas before the re-index answered.
  const entryKey = indexEntryKey(Buffer.from(INDEX.id, 'hex'), INDEX.keySchema, def.keySchema, committed)!;
  const holders: string[] = [];
  for (const id of ['storage-a', 'storage-b', 'storage-c']) {
    const reply = await cluster.run(cluster.probe(id).read({ keys: [{ partition: indexPartition, key: entryKey }] }));
    if (reply.results[0]!.found) holders.push(id);
  }
  expect(holders.length).toBeGreaterThanOrEqual(2);

  // The write never commits: the item keeps its index key, and so the entry is the right one.
  cluster.crashNode(leader);
  removeHook();
  await untilLed(cluster, partition);
  const read = (await router.requestRetrying('GetItem', { TableName: 'Backfilled', Key: { pk: { S: pk } }, ConsistentRead: true })) as { Item?: Item };
  expect(read.Item).toEqual(committed);
});
