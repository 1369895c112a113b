import { SimCluster, type FaultHook } from '../src';

// The nodes' winston loggers write to stderr: only what goes wrong.
process.env.TRIAD_LOG_LEVEL ??= 'error';

/** Every message: 1% lost, 1% duplicated, 8% late by up to 30 ms (unary calls then overtake each other). */
const lossy: FaultHook = (_message, random) => {
  const r = random();
  if (r < 0.01) return { kind: 'drop' };
  if (r < 0.02) return { kind: 'duplicate' };
  if (r < 0.1) return { kind: 'deliver', delayMs: random() * 30 };
  return undefined;
};

const TABLE = {
  TableName: 'Registers',
  AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  BillingMode: 'PAY_PER_REQUEST',
};

describe('a whole cluster on a lossy network', () => {
  // A few seeds in every run; the simulator's runner (to come) takes thousands.
  test.each([31, 32, 33, 34, 35])('seed %i: a strong read after each write sees it', async (seed) => {
    const cluster = new SimCluster({ seed, network: { faults: lossy } });
    await cluster.startNodes('storage-a', 'storage-b', 'storage-c');
    await cluster.advance(5_000);
    const router = await cluster.startRouter();
    await router.requestRetrying('CreateTable', TABLE);
    for (let i = 0; i < 20; i++) {
      const key = { id: { S: `k${i % 5}` } };
      // Retried after an unknown outcome: the same put again means the same.
      await router.requestRetrying('PutItem', { TableName: 'Registers', Item: { ...key, v: { N: String(i) } } });
      expect(await router.requestRetrying('GetItem', { TableName: 'Registers', Key: key, ConsistentRead: true })).toEqual({ Item: { ...key, v: { N: String(i) } } });
    }
    expect(cluster.network.counts.get('request drop')).toBeGreaterThan(0);
    expect(cluster.network.counts.get('request duplicate')).toBeGreaterThan(0);
  });
});
