import { encodeKeyValue, indexEntryKey, type Item } from '@triad/model';
import { encodeJson, type IndexSpec, type ItemOpBody } from '@triad/rpc';
import { SimCluster } from '../src';
import { untilEveryPartitionLed } from './support/until-every-partition-led';

// Seconds of CPU (a whole cluster in one process): more than jest's 5 s on a busy machine.
jest.setTimeout(120_000);
process.env.TRIAD_LOG_LEVEL ??= 'error';

const NODES = ['storage-a', 'storage-b', 'storage-c'];

async function leaderOf(cluster: SimCluster, partition: number): Promise<string> {
  const started = cluster.simulator.nowMs;
  while (cluster.simulator.nowMs - started < 30_000) {
    for (const id of NODES) {
      try {
        if ((await cluster.run(cluster.probe(id).nodeStatus({}))).partitionsLed.includes(partition)) return id;
      } catch {
        // A node that does not answer leads nothing we can see.
      }
    }
    await cluster.advance(250);
  }
  throw new Error(`partition ${partition} not led after 30 s`);
}

/**
 * A backfill's re-index (OP_KIND_REINDEX) delivers the item's global entries to their partition
 * before it answers. When that delivery fails — here the item's leader cannot reach either other
 * replica of the entry's partition with a delivery, so only it holds the entry — the fault is the
 * cluster's, not the request's: the answer must be retriable (ServiceUnavailable, as the
 * write path answers a write whose outcome it cannot tell), not InternalServerError. Once the
 * deliveries get through again, the same re-index succeeds, as the backfill's retry does.
 */
test('a re-index whose global entries cannot reach a majority answers ServiceUnavailable (retriable); retried later, it delivers them', async () => {
  const cluster = new SimCluster({ seed: 5 });
  await cluster.startNodes(...NODES);
  await untilEveryPartitionLed(cluster, NODES);
  const router = await cluster.startRouter();
  await router.requestRetrying('CreateTable', {
    TableName: 'Reindexed',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  const def = (await cluster.run(router.context.catalog.find('Reindexed')))!;
  const storage = router.context.storage;
  const index: IndexSpec = { name: 'ByG', id: '00000000000000c3', keySchema: { partitionKey: { name: 'g', type: 'S' } } };
  const indexPartition = storage.partitionOf(encodeKeyValue('S', { S: 'red' }));
  // An item of another partition than its entry's: the entry travels by delivery, not with the item's log.
  const pk = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'].find((k) => storage.partitionOf(encodeKeyValue('S', { S: k })) !== indexPartition)!;
  const partition = storage.partitionOf(encodeKeyValue('S', { S: pk }));
  const key = Buffer.concat([Buffer.from(def.tableId, 'hex'), encodeKeyValue('S', { S: pk })]);
  const item: Item = { pk: { S: pk }, g: { S: 'red' } };
  await router.requestRetrying('PutItem', { TableName: 'Reindexed', Item: item });
  const body = encodeJson({ indexes: [index], tableKeySchema: def.keySchema, schemaVersion: 0 } satisfies Pick<ItemOpBody, 'indexes' | 'tableKeySchema' | 'schemaVersion'>);
  const entryKey = indexEntryKey(Buffer.from(index.id, 'hex'), index.keySchema, def.keySchema, item)!;
  const holders = async () => {
    const found: string[] = [];
    for (const id of NODES) {
      const reply = await cluster.run(cluster.probe(id).read({ keys: [{ partition: indexPartition, key: entryKey }] }));
      if (reply.results[0]!.found) found.push(id);
    }
    return found;
  };

  const leader = await leaderOf(cluster, partition);
  // Every delivery (and hint replay) of the entry's partition from the item's leader is refused
  // on the way, as a peer that cannot be reached refuses a connection.
  const removeHook = cluster.network.addFaults((m) =>
    m.from === leader && m.method === 'replicate' && m.direction === 'request' && m.partitions.includes(indexPartition) ? { kind: 'refuse' } : undefined,
  );
  const failed = await cluster.run(storage.execute({ partition, key, kind: 'OP_KIND_REINDEX', body }));
  expect({ errorName: failed.errorName, errorMessage: failed.errorMessage }).toEqual({
    errorName: 'ServiceUnavailable',
    errorMessage: expect.stringMatching(/retry/),
  });
  expect(await holders()).toEqual([leader]); // applied at the leader, a replica of the entry's partition too

  removeHook();
  const retried = await cluster.run(storage.execute({ partition, key, kind: 'OP_KIND_REINDEX', body }));
  expect(retried.errorName).toBe('');
  expect((await holders()).length).toBeGreaterThanOrEqual(2);
});
