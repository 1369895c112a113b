import type { MembershipHandler } from '@triad/membership';
import { certainlyNotSent, isUnreachable, type StorageNodeService } from '@triad/rpc';
import { Simulator } from '@triad/runtime';
import { LinkCuts, SimNetwork, runUntilSettled, type FaultHook } from '../src';

const NO_GOSSIP: MembershipHandler = { handleGossip: () => null };

/** Two processes, a client and a server whose storage service answers ping and records what it got. */
function setup(seed: number, faults?: FaultHook) {
  const simulator = new Simulator(seed);
  const network = new SimNetwork(simulator, { faults });
  const serverEnv = simulator.environment({ name: 'server' });
  const clientEnv = simulator.environment({ name: 'client' });
  const server = network.process('server', serverEnv);
  const client = network.process('client', clientEnv);
  const received: { from: string; atMs: number }[] = [];
  const service = {
    ping: async (request: { from: string }) => {
      received.push({ from: request.from, atMs: simulator.nowMs });
      return { nodeId: 'server', zone: 'a' };
    },
    nodeStatus: async () => {
      throw Object.assign(new Error('NOT_LEADER:x'), { grpcCode: 9 });
    },
  } as unknown as StorageNodeService;
  const connection = client.storage.connect('server:7000', { deadlineMs: 1_000 });
  const run = <T>(promise: Promise<T>) => runUntilSettled(simulator, promise, 60_000);
  return { simulator, network, server, client, clientEnv, serverEnv, service, received, connection, run };
}

/** The failure of a promise the simulation settles. */
async function failure(run: (p: Promise<unknown>) => Promise<unknown>, promise: Promise<unknown>): Promise<{ code?: number; details?: string }> {
  try {
    await run(promise);
  } catch (error) {
    return error as { code?: number; details?: string };
  }
  throw new Error('the call succeeded');
}

describe('SimNetwork', () => {
  test('a call reaches the served object after the link latency, and its reply comes back as gRPC would decode it', async () => {
    const s = setup(1);
    await s.server.serve('server:7000', s.service, NO_GOSSIP);
    const reply = await s.run(s.connection.ping({ from: 'client' }));
    // proto3 defaults: a field the server left out arrives as its default, as over gRPC.
    expect(reply).toEqual({ nodeId: 'server', zone: 'a', knownGenerationOfCaller: 0, layoutEpoch: 0 });
    expect(s.received).toHaveLength(1);
    expect(s.received[0].atMs).toBeGreaterThan(0);
    expect(s.simulator.nowMs).toBeLessThanOrEqual(4);
  });

  test("a handler's error comes back with its gRPC code and message, as the server adapter sends it", async () => {
    const s = setup(2);
    await s.server.serve('server:7000', s.service, NO_GOSSIP);
    const error = await failure(s.run, s.connection.nodeStatus({}));
    expect(error.code).toBe(9);
    expect(error.details).toBe('NOT_LEADER:x');
  });

  test('a call to an address nobody serves is refused at once: certainly not sent', async () => {
    const s = setup(3);
    const error = await failure(s.run, s.connection.ping({ from: 'client' }));
    expect(isUnreachable(error)).toBe(true);
    expect(certainlyNotSent(error)).toBe(true);
    expect(s.simulator.nowMs).toBeLessThan(10);
  });

  test('a dropped request fails at the caller\'s deadline, on its own clock, and never arrives', async () => {
    const s = setup(4, (m) => (m.direction === 'request' ? { kind: 'drop' } : undefined));
    await s.server.serve('server:7000', s.service, NO_GOSSIP);
    const error = await failure(s.run, s.connection.ping({ from: 'client' }));
    expect(isUnreachable(error)).toBe(true);
    expect(certainlyNotSent(error)).toBe(false);
    expect(s.simulator.nowMs).toBe(1_000);
    await s.simulator.advanceBy(5_000);
    expect(s.received).toHaveLength(0);
  });

  test('a held request arrives after its caller gave up, and the receiver still acts on it', async () => {
    const s = setup(5, (m) => (m.direction === 'request' ? { kind: 'hold' } : undefined));
    await s.server.serve('server:7000', s.service, NO_GOSSIP);
    await failure(s.run, s.connection.ping({ from: 'client' }));
    expect(s.received).toHaveLength(0);
    await s.simulator.advanceBy(100);
    expect(s.received).toHaveLength(1);
    expect(s.received[0].atMs).toBeGreaterThan(1_000);
  });

  test('a duplicated request runs twice; the caller takes one reply', async () => {
    const s = setup(6, (m) => (m.direction === 'request' ? { kind: 'duplicate' } : undefined));
    await s.server.serve('server:7000', s.service, NO_GOSSIP);
    await s.run(s.connection.ping({ from: 'client' }));
    await s.simulator.advanceBy(100);
    expect(s.received).toHaveLength(2);
  });

  test('a one-way cut stops messages one way only; a refusing cut is certainly-not-sent, a dropping one is not', async () => {
    const cuts = new LinkCuts().cutOneWay('client', 'server');
    const s = setup(7, cuts.hook);
    await s.server.serve('server:7000', s.service, NO_GOSSIP);
    await s.client.serve('client:7000', s.service, NO_GOSSIP);
    const back = s.server.storage.connect('client:7000', { deadlineMs: 1_000 });
    // server -> client travels, and so does its reply (client -> server is cut for requests and replies alike).
    expect(await failure(s.run, back.ping({ from: 'server' }))).toMatchObject({ code: 4 });
    cuts.heal().cutOneWay('client', 'server', 'refuse');
    const refused = await failure(s.run, s.connection.ping({ from: 'client' }));
    expect(certainlyNotSent(refused)).toBe(true);
    cuts.heal().cutOneWay('server', 'client');
    // Requests from client arrive; the server's replies to it are lost.
    const before = s.received.length;
    expect(await failure(s.run, s.connection.ping({ from: 'client' }))).toMatchObject({ code: 4 });
    expect(s.received.length).toBe(before + 1);
    cuts.heal();
    expect(await s.run(s.connection.ping({ from: 'client' }))).toMatchObject({ nodeId: 'server' });
  });

  test('batches on a stream arrive in order whatever their delays; unary calls may overtake each other', async () => {
    const delays = [10, 1];
    const order: string[] = [];
    const s = setup(8, (m) => (m.direction === 'request' ? { kind: 'deliver', delayMs: delays.shift() ?? 1 } : undefined));
    const service = {
      election: async (packet: { from: string }) => {
        order.push(packet.from);
        return { from: 'server', payload: Buffer.alloc(0) };
      },
      ping: async (request: { from: string }) => {
        order.push(request.from);
        return { nodeId: 'server', zone: 'a' };
      },
    } as unknown as StorageNodeService;
    await s.server.serve('server:7000', service, NO_GOSSIP);
    await s.run(Promise.all([s.connection.election({ from: 's1', payload: Buffer.alloc(0) }), s.connection.election({ from: 's2', payload: Buffer.alloc(0) })]));
    delays.push(10, 1);
    await s.run(Promise.all([s.connection.ping({ from: 'u1' }), s.connection.ping({ from: 'u2' })]));
    expect(order).toEqual(['s1', 's2', 'u2', 'u1']);
  });

  test('a crash resets the calls its servers had not answered; a dead process\'s own calls never settle', async () => {
    const s = setup(9);
    const never = { ping: () => new Promise(() => undefined) } as unknown as StorageNodeService;
    await s.server.serve('server:7000', never, NO_GOSSIP);
    const pending = s.connection.ping({ from: 'client' });
    await s.simulator.advanceBy(10);
    s.network.crash(s.server);
    s.serverEnv.stop();
    const error = await failure(s.run, pending);
    expect(certainlyNotSent(error)).toBe(false);
    expect(isUnreachable(error)).toBe(true);
    expect(s.simulator.nowMs).toBeLessThan(100);

    await s.client.serve('client:7000', s.service, NO_GOSSIP);
    let settled = false;
    s.server.storage.connect('client:7000', { deadlineMs: 100 }).ping({ from: 'ghost' }).finally(() => (settled = true));
    await s.simulator.advanceBy(1_000);
    expect(settled).toBe(false);
  });

  test('gossip reaches the served membership handler, checked as membership.proto carries it', async () => {
    const s = setup(10);
    const seen: string[] = [];
    await s.server.serve('server:7000', s.service, {
      handleGossip: (message, fromAddress) => {
        seen.push(`${message.type} from ${fromAddress}`);
        return null;
      },
    });
    const transport = s.client.membership('client:7000');
    const reply = await s.run(transport.send('server:7000', { type: 'gossip', from: 'client', fromAddress: 'client:7000', updates: [] }, 500));
    expect(reply).toBeNull();
    expect(seen).toEqual(['gossip from client:7000']);
  });

  test('one seed, one trace; another seed, other delays', async () => {
    const trace = async (seed: number) => {
      const s = setup(seed);
      await s.server.serve('server:7000', s.service, NO_GOSSIP);
      for (let i = 0; i < 5; i++) await s.run(s.connection.ping({ from: `c${i}` }));
      return s.network.trace.join('\n');
    };
    expect(await trace(11)).toEqual(await trace(11));
    expect(await trace(11)).not.toEqual(await trace(12));
  });
});
