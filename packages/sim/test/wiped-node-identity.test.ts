import { LinkCuts, SimCluster } from '../src';
import { untilEveryPartitionLed } from './support/until-every-partition-led';

// Seconds of CPU (a whole cluster in one process): more than jest's 5 s on a busy machine.
jest.setTimeout(120_000);
process.env.TRIAD_LOG_LEVEL ??= 'error';

/**
 * The shape of seed 52 of `npm run sim -- --seeds 100 --steps 30 --moves --indexes` on main at
 * da30dc4, without the join and decommission that led to it: the only peer that answers a wiped
 * node is one that knows nothing of it (it lost its own data, and has not heard from the wiped
 * node since), while the peer that knows it is down. The code before took that "never saw you" as
 * proof of a first start: the wiped node came back a voter with no memory of its votes, and in
 * seed 52 voted twice in a term (two leaders in term 10 of partition 4). Now a node without data is
 * new only once every node of the layout answered 0; here it waits for storage-c, who saw it.
 */
test('a wiped node that only a peer without memory of it answers waits for the others, and comes back a learner', async () => {
  const cluster = new SimCluster({ seed: 52 });
  await cluster.startNodes('storage-a', 'storage-b', 'storage-c');
  await untilEveryPartitionLed(cluster, ['storage-a', 'storage-b', 'storage-c']);
  const router = await cluster.startRouter();
  await router.requestRetrying('CreateTable', {
    TableName: 'Things',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  for (let i = 0; i < 5; i++) await router.requestRetrying('PutItem', { TableName: 'Things', Item: { id: { S: `k${i}` } } });

  // storage-a loses its disk and comes back cut off from storage-b: it learns storage-c's
  // generation (a learner of generation 2), never storage-b's.
  const cuts = new LinkCuts().cut('storage-a', 'storage-b');
  cluster.network.setFaults(cuts.hook);
  cluster.wipeNode('storage-a');
  await cluster.startNodes('storage-a');
  await cluster.advance(3_000);

  // storage-c goes down; storage-b loses its disk and restarts; storage-a answers it again.
  cluster.crashNode('storage-c');
  cluster.wipeNode('storage-b');
  cuts.heal();
  let opened = false;
  const opening = cluster.openNode('storage-b').then(() => (opened = true));
  await cluster.advance(10_000);
  // The code before this change opened storage-b here as a voter of generation 1 (no learner partition).
  expect(opened).toBe(false);

  await cluster.startNodes('storage-c');
  await cluster.run(opening);
  const b = cluster.node('storage-b').process!.node!;
  expect(await b.inspection.learnerPartitions()).toBe(cluster.layout.partitionCount + 1);
});
