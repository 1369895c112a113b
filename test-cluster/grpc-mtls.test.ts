import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureLocalCertificates } from '@triad/cli';
import { createTable, dynamoClient, eventually, scrapeMetrics, sumMetric } from '@triad/harness';
import { GrpcMembershipTransport, type MemberState, type SwimMessage } from '@triad/membership';
import { GRPC_TLS_FILES, INSECURE, StorageNodeClient, loadGrpcTls, type GrpcSecurity } from '@triad/rpc';
import { startTestCluster, type TestCluster } from './support/test-cluster';

/**
 * Mutual TLS on the cluster's gRPC channels, and gossip that lies (issue 13): every storage node's
 * port and every gossip port refuse a client without a certificate from the cluster CA — no
 * certificate, plaintext, or one from another CA — while the cluster serves; a member's forged
 * gossip with an absurd incarnation is refused or bounded, and no process comes to believe a
 * storage node dead.
 */
const SLOT = 34;
const TABLE = 'guarded';

let tc: TestCluster;
let client: DynamoDBClient;
let scratch: string;
/** A well-formed certificate and key, signed by a CA the cluster does not know. */
let stranger: GrpcSecurity;

beforeAll(async () => {
  tc = await startTestCluster(SLOT);
  client = dynamoClient(tc.endpoint, { maxAttempts: 3 });
  await createTable(client, TABLE, ['id', 'S']);
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-rogue-ca-'));
  stranger = { kind: 'mtls', tls: loadGrpcTls(ensureLocalCertificates(scratch, ['rogue'], Date.now()).get('rogue')!) };
});

afterAll(async () => {
  client?.destroy();
  await tc?.stop();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

/** Every address that gossips: the storage nodes' gRPC ports and the router's gossip port. */
function gossipAddresses(): string[] {
  const { host, basePort } = tc.cluster.options;
  return [...tc.cluster.layout.storageNodes.map((n) => n.address), `${host}:${basePort + 50}`];
}

/** TLS that trusts the cluster CA but presents no certificate of its own. */
function anonymousTls(): grpc.ChannelCredentials {
  const ca = fs.readFileSync(path.join(tc.cluster.tlsDir('admin'), GRPC_TLS_FILES.ca));
  return grpc.credentials.createSsl(ca, null, null, { checkServerIdentity: () => undefined });
}

async function pingWith(address: string, security: GrpcSecurity): Promise<grpc.ServiceError | undefined> {
  const c = new StorageNodeClient(address, 3_000, security);
  try {
    await c.ping({ from: 'mtls-test' });
    return undefined;
  } catch (error) {
    return error as grpc.ServiceError;
  } finally {
    c.close();
  }
}

async function putAndGet(id: string): Promise<void> {
  await client.send(new PutItemCommand({ TableName: TABLE, Item: { id: { S: id }, v: { S: 'kept' } } }));
  const { Item } = await client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: id } }, ConsistentRead: true }));
  expect(Item?.v?.S).toBe('kept');
}

test('every storage node refuses a gRPC client without a certificate from the cluster CA, and serves one with it', async () => {
  for (const node of tc.cluster.layout.storageNodes) {
    expect(await pingWith(node.address, INSECURE)).toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(await pingWith(node.address, stranger)).toMatchObject({ code: grpc.status.UNAVAILABLE });
    // The calls a rogue client would make to read or wipe data never reach the service.
    const rogue = new StorageNodeClient(node.address, 3_000, stranger);
    await expect(rogue.dropTable({ tableId: 'any' } as never)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    await expect(rogue.drain({ draining: true })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    rogue.close();
    const anonymous = new grpc.Client(node.address, anonymousTls(), { 'grpc.ssl_target_name_override': 'triad' });
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      anonymous.makeUnaryRequest('/triad.storage.v1.StorageNode/Ping', (x: Buffer) => x, (x: Buffer) => x, Buffer.alloc(0), { deadline: Date.now() + 3_000 }, resolve),
    );
    anonymous.close();
    expect(error).toMatchObject({ code: grpc.status.UNAVAILABLE });
    // The cluster's own certificate gets through.
    expect(await pingWith(node.address, tc.cluster.grpcSecurity)).toBeUndefined();
  }
  await putAndGet('after-rogues');
  expect(tc.unexpectedExits).toEqual([]);
});

test('every gossip port refuses a peer without a certificate from the cluster CA', async () => {
  const message: SwimMessage = { type: 'ping', seqNo: 1, from: 'rogue', fromAddress: '127.0.0.1:1', targetId: 'storage-a-1', updates: [] };
  for (const address of gossipAddresses()) {
    for (const security of [INSECURE, stranger]) {
      const transport = new GrpcMembershipTransport('127.0.0.1:1', security);
      await expect(transport.send(address, message, 3_000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
      transport.close();
    }
  }
});

/** Sum of a metric over every process: the storage nodes' metrics ports and the router's API port. */
async function everywhere(name: string, where: Record<string, string> = {}): Promise<number[]> {
  const { host, basePort } = tc.cluster.options;
  const urls = [
    ...tc.cluster.layout.storageNodes.map((_, i) => `http://${host}:${basePort + 100 + i}/metrics`),
    `http://${host}:${tc.cluster.routers[0].port}/metrics`,
  ];
  return Promise.all(urls.map(async (url) => sumMetric(await scrapeMetrics(url), name, where)));
}

test('forged gossip with a huge incarnation is refused or bounded: the cluster serves and no storage node is believed dead', async () => {
  const victim = tc.cluster.layout.storageNodes[1];
  // Sent as from a storage node other than the receiver: a process drops a packet that names itself as the sender.
  const forged = (incarnation: number, to: string): SwimMessage => ({
    type: 'gossip',
    from: tc.cluster.layout.storageNodes.find((n) => n.address !== to && n.id !== victim.id)!.id,
    fromAddress: tc.cluster.layout.storageNodes.find((n) => n.address !== to && n.id !== victim.id)!.address,
    updates: [{ id: victim.id, zone: victim.zone, role: 'storage', address: victim.address, status: 'dead', incarnation } satisfies MemberState],
  });
  const deadBefore = await everywhere('triad_membership_changes_total', { status: 'dead' });
  // The forger holds a cluster certificate (an insider, or a stolen key): mTLS lets it speak.
  const forger = new GrpcMembershipTransport('127.0.0.1:1', tc.cluster.grpcSecurity);
  for (const address of gossipAddresses()) {
    // 2^53 - 1: refused as malformed (no member could ever outbid it).
    await expect(forger.send(address, forged(Number.MAX_SAFE_INTEGER, address), 3_000)).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    // 2^40: well-formed, taken as a bounded step ahead and as a suspicion, which the victim refutes.
    await expect(forger.send(address, forged(2 ** 40, address), 3_000)).resolves.toBeNull();
  }
  forger.close();
  await putAndGet('during-forgery');
  expect((await everywhere('triad_membership_incarnations_bounded_total')).every((n) => n >= 1)).toBe(true);
  // Every process sees every storage node alive again (the victim refuted), and none saw it dead.
  await eventually(
    'every process sees the three storage nodes alive',
    async () => expect(await everywhere('triad_membership_members', { status: 'alive', role: 'storage' })).toEqual([3, 3, 3, 3]),
    { timeoutMs: 30_000 },
  );
  expect(await everywhere('triad_membership_changes_total', { status: 'dead' })).toEqual(deadBefore);
  await putAndGet('after-forgery');
  expect(tc.unexpectedExits).toEqual([]);
});

test('the storage nodes serve metrics only on the address they were told (loopback here)', async () => {
  const { basePort } = tc.cluster.options;
  const external = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  if (!external) return; // a machine with loopback only has nothing to show
  await expect(scrapeMetrics(`http://${external}:${basePort + 100}/metrics`)).rejects.toThrow();
});
