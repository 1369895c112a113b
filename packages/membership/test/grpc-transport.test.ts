import * as grpc from '@grpc/grpc-js';
import { CHANNEL_OPTIONS, INSECURE, loadProto } from '@triad/rpc';
import { GrpcMembershipTransport, startMembershipServer, type SwimMessage } from '../src';

/** The gRPC transport on its own: a message out, the direct reply back, bad packets refused. */

const ping: SwimMessage = { type: 'ping', seqNo: 1, from: 'a', fromAddress: 'a:1', targetId: 'b', updates: [] };

describe('GrpcMembershipTransport', () => {
  let server: grpc.Server;
  let address: string;
  const received: { message: SwimMessage; fromAddress: string }[] = [];

  beforeAll(async () => {
    const started = await startMembershipServer('127.0.0.1:0', {
      handleGossip: (message, fromAddress) => {
        received.push({ message, fromAddress });
        return message.type === 'ping'
          ? { type: 'ack', seqNo: message.seqNo, from: 'b', fromAddress: 'b:1', updates: [] }
          : null;
      },
    }, INSECURE);
    server = started.server;
    address = `127.0.0.1:${started.port}`;
  });

  afterAll(() => server.forceShutdown());

  it('returns the direct reply (a ping is answered by its ack) and null when there is none', async () => {
    const transport = new GrpcMembershipTransport('10.0.0.1:7000', INSECURE);
    await expect(transport.send(address, ping, 2_000)).resolves.toEqual({ type: 'ack', seqNo: 1, from: 'b', fromAddress: 'b:1', updates: [] });
    const gossip: SwimMessage = { type: 'gossip', from: 'a', fromAddress: 'a:1', updates: [] };
    await expect(transport.send(address, gossip, 2_000)).resolves.toBeNull();
    expect(received.map((r) => r.fromAddress)).toEqual(['10.0.0.1:7000', '10.0.0.1:7000']);
    transport.close();
    await expect(transport.send(address, ping, 2_000)).rejects.toThrow(/closed/);
  });

  it('rejects when the peer is unreachable', async () => {
    const transport = new GrpcMembershipTransport('10.0.0.1:7000', INSECURE);
    await expect(transport.send('127.0.0.1:1', ping, 500)).rejects.toMatchObject({ code: expect.any(Number) });
    transport.close();
  });

  it('refuses a packet that is not a SWIM message with INVALID_ARGUMENT', async () => {
    const loaded = loadProto('triad/membership.proto') as unknown as {
      triad: { membership: { v1: { Membership: grpc.ServiceClientConstructor } } };
    };
    const client = new loaded.triad.membership.v1.Membership(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    const call = (payload: Buffer) =>
      new Promise<{ code?: number; payload?: Buffer }>((resolve) => {
        (client as unknown as Record<string, Function>).Gossip.call(
          client,
          { payload, fromAddress: 'x' },
          { deadline: Date.now() + 2_000 },
          (error: grpc.ServiceError | null, reply: { payload: Buffer }) => resolve(error ? { code: error.code } : { payload: reply.payload }),
        );
      });
    await expect(call(Buffer.from('not json'))).resolves.toEqual({ code: grpc.status.INVALID_ARGUMENT });
    await expect(call(Buffer.from(JSON.stringify({ type: 'ping' })))).resolves.toEqual({ code: grpc.status.INVALID_ARGUMENT });
    // An empty packet is no message, answered by none.
    const empty = await call(Buffer.alloc(0));
    expect(empty.payload?.length).toBe(0);
    client.close();
  });
});
