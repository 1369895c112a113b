import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureLocalCertificates } from '@triad/cli';
import type { MembershipHandler, MembershipTransport, SwimMessage } from '@triad/membership';
import { INSECURE, certainlyNotSent, isUnreachable, loadGrpcTls, type GrpcSecurity, type StorageNodeConnection, type StorageNodeService } from '@triad/rpc';
import { Simulator, realEnvironment } from '@triad/runtime';
import { grpcNodeNetwork, type ServedNode, type StorageNodeNetwork } from '@triad/storage-node';
import { SimNetwork, runUntilSettled } from '../src';

// Seconds of CPU each (a whole cluster in one process): more than jest's 5 s on a busy machine.
jest.setTimeout(60_000);

/**
 * The compliance suite of the transport (issue 12: the same cases against the gRPC and the
 * simulated transport): what callers read of a call's outcome — replies as decoded from the wire,
 * handler errors, unreachable nodes, deadlines, closed servers — is the same on both, so that code
 * proven in the simulator meets the same answers in production. The gRPC side runs on loopback.
 */

/** One transport as the cases drive it: two processes' networks, and how to wait for a call. */
interface TransportUnderTest {
  server: StorageNodeNetwork;
  client: StorageNodeNetwork;
  /** Where the server listens (gRPC: a free loopback port). */
  listen: string;
  /** The address calls go to once it serves. */
  addressOf(served: ServedNode): string;
  /** An address nobody serves. */
  nobody: string;
  run<T>(promise: Promise<T>): Promise<T>;
}

function grpcTransport(security: () => [GrpcSecurity, GrpcSecurity] = () => [INSECURE, INSECURE]): TransportUnderTest {
  const [server, client] = security();
  return {
    server: grpcNodeNetwork(realEnvironment, server),
    client: grpcNodeNetwork(realEnvironment, client),
    listen: '127.0.0.1:0',
    addressOf: (served) => `127.0.0.1:${served.port}`,
    // Port 1 (tcpmux) is not served on a test machine: the connection is refused.
    nobody: '127.0.0.1:1',
    run: (promise) => promise,
  };
}

/** gRPC as every real cluster runs it: mutual TLS, each side with its own certificate from one CA. */
function mutualTlsTransport(): TransportUnderTest {
  return grpcTransport(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-compliance-tls-'));
    const dirs = ensureLocalCertificates(dir, ['server', 'client'], Date.now());
    return [{ kind: 'mtls', tls: loadGrpcTls(dirs.get('server')!) }, { kind: 'mtls', tls: loadGrpcTls(dirs.get('client')!) }];
  });
}

function simulatedTransport(): TransportUnderTest {
  const simulator = new Simulator(7);
  const network = new SimNetwork(simulator);
  return {
    server: network.process('server', simulator.environment({ name: 'server' })),
    client: network.process('client', simulator.environment({ name: 'client' })),
    listen: 'server:7000',
    addressOf: () => 'server:7000',
    nobody: 'nobody:7000',
    run: (promise) => runUntilSettled(simulator, promise, 60_000),
  };
}

const ping: SwimMessage = { type: 'ping', seqNo: 1, from: 'a', fromAddress: 'client:7070', targetId: 'b', updates: [] };

/**
 * A storage service that answers pings and reads, fails node status as a follower would, and
 * never answers drain; every other method (the gRPC server binds them all) fails.
 */
function service(seen: string[]): StorageNodeService {
  const methods: Record<string, unknown> = {
    ping: async (request: { from: string }) => {
      seen.push(`ping ${request.from}`);
      return { nodeId: 'server', zone: 'a' };
    },
    read: async (request: { keys: { partition: number; key: Buffer }[] }) => {
      seen.push(`read ${request.keys.map((k) => `${k.partition}/${k.key.toString()}`).join(',')}`);
      return { results: request.keys.map((k) => ({ found: true, item: Buffer.concat([k.key, Buffer.from('!')]) })) };
    },
    nodeStatus: async () => {
      throw Object.assign(new Error('NOT_LEADER:storage-b'), { grpcCode: 9 });
    },
    execute: async () => {
      throw new Error('disk on fire');
    },
    drain: () => new Promise(() => undefined),
  };
  const unimplemented = async () => {
    throw new Error('not in this test');
  };
  return new Proxy(methods, { get: (target, name: string) => target[name] ?? unimplemented }) as unknown as StorageNodeService;
}

const gossipHandler = (seen: string[]): MembershipHandler => ({
  handleGossip: (message, fromAddress) => {
    seen.push(`${message.type} from ${fromAddress}`);
    return message.type === 'ping' ? { type: 'ack', seqNo: message.seqNo, from: 'b', fromAddress: 'server:7070', updates: [] } : null;
  },
});

async function failure(t: TransportUnderTest, promise: Promise<unknown>): Promise<{ code?: number; details?: string }> {
  try {
    await t.run(promise);
  } catch (error) {
    return error as { code?: number; details?: string };
  }
  throw new Error('the call succeeded');
}

describe.each([
  ['gRPC', () => grpcTransport()],
  ['gRPC with mutual TLS', mutualTlsTransport],
  ['simulated', simulatedTransport],
])('the %s transport', (_name, make) => {
  let t: TransportUnderTest;
  let served: ServedNode;
  let connection: StorageNodeConnection;
  let gossip: MembershipTransport;
  const seen: string[] = [];

  beforeAll(async () => {
    t = make();
    served = await t.server.serve(t.listen, service(seen), gossipHandler(seen));
    connection = t.client.storage.connect(t.addressOf(served), { deadlineMs: 300 });
    gossip = t.client.membership('client:7070');
  });

  afterAll(async () => {
    connection.close();
    gossip.close();
    await t.run(served.close()).catch(() => undefined);
  });

  test('a unary call gets the reply as the wire decodes it (proto3 defaults filled in)', async () => {
    expect(await t.run(connection.ping({ from: 'c1' }))).toEqual({ nodeId: 'server', zone: 'a', knownGenerationOfCaller: 0, layoutEpoch: 0 });
    expect(seen).toContain('ping c1');
  });

  test('a batch on a stream gets its reply', async () => {
    const reply = await t.run(connection.read({ keys: [{ partition: 3, key: Buffer.from('k') }] }));
    expect(reply.results).toEqual([{ found: true, item: Buffer.from('k!'), notHeld: false }]);
  });

  test("a handler's typed error arrives with its code and message; an untyped one as INTERNAL", async () => {
    expect(await failure(t, connection.nodeStatus({}))).toMatchObject({ code: 9, details: 'NOT_LEADER:storage-b' });
    expect(await failure(t, connection.execute({ ops: [] }))).toMatchObject({ code: 13, details: 'disk on fire' });
  });

  test('a call nobody answers fails at its deadline: unreachable, but perhaps sent', async () => {
    const error = await failure(t, connection.drain({ draining: true }));
    expect(error.code).toBe(4);
    expect(isUnreachable(error)).toBe(true);
    expect(certainlyNotSent(error)).toBe(false);
  });

  test('a call to an address nobody serves fails as certainly not sent', async () => {
    const error = await failure(t, t.client.storage.connect(t.nobody, { deadlineMs: 2_000 }).ping({ from: 'c2' }));
    expect(error.code).toBe(14);
    expect(isUnreachable(error)).toBe(true);
    expect(certainlyNotSent(error)).toBe(true);
  });

  test('gossip reaches the membership handler with the sender address, and its direct reply comes back', async () => {
    expect(await t.run(gossip.send(t.addressOf(served), ping, 2_000))).toEqual({ type: 'ack', seqNo: 1, from: 'b', fromAddress: 'server:7070', updates: [] });
    expect(await t.run(gossip.send(t.addressOf(served), { type: 'gossip', from: 'a', fromAddress: 'client:7070', updates: [] }, 2_000))).toBeNull();
    expect(seen).toContain('ping from client:7070');
  });
});
