import * as grpc from '@grpc/grpc-js';
import { CHANNEL_OPTIONS, channelCredentials, channelOptions, faultGate, loadProto, serverCredentials, type GrpcSecurity } from '@triad/rpc';
import { systemDeadline } from '@triad/runtime';
import { CLIENTS_MAX, GOSSIP_PAYLOAD_BYTES_MAX } from '../limits';
import { InvalidSwimMessageError, parseSwimMessage, type SwimMessage } from '../swim';
import type { MembershipHandler, MembershipTransport } from './transport';

/** The wire form of proto/triad/membership.proto's GossipPacket, as proto-loader presents it. */
interface GossipPacket {
  payload: Buffer;
  fromAddress: string;
}

type ServiceConstructor = grpc.ServiceClientConstructor;

function membershipServiceConstructor(): ServiceConstructor {
  const loaded = loadProto('triad/membership.proto') as unknown as {
    triad: { membership: { v1: { Membership: ServiceConstructor } } };
  };
  return loaded.triad.membership.v1.Membership;
}

/** One SWIM message as packet bytes (JSON); no message is an empty payload. */
export function encodeSwimMessage(message: SwimMessage | null): Buffer {
  return message ? Buffer.from(JSON.stringify(message), 'utf8') : Buffer.alloc(0);
}

/** Packet bytes back to a checked SWIM message; throws InvalidSwimMessageError on anything else. */
export function decodeSwimMessage(payload: Buffer | Uint8Array | undefined): SwimMessage | null {
  if (!payload || payload.length === 0) return null;
  if (payload.length > GOSSIP_PAYLOAD_BYTES_MAX) {
    throw new InvalidSwimMessageError(`gossip payload of ${payload.length} bytes exceeds ${GOSSIP_PAYLOAD_BYTES_MAX}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new InvalidSwimMessageError('gossip payload is not JSON');
  }
  return parseSwimMessage(value);
}

/**
 * Registers the Membership service on a server the process already runs (the storage node's or
 * the router's), so that gossip shares its port with the other services.
 */
export function addMembershipService(server: grpc.Server, handler: MembershipHandler): void {
  const gossip: grpc.handleUnaryCall<GossipPacket, GossipPacket> = (call, callback) => {
    let message: SwimMessage | null;
    try {
      message = decodeSwimMessage(call.request.payload);
    } catch (error) {
      const details = error instanceof Error ? error.message : String(error);
      callback({ code: grpc.status.INVALID_ARGUMENT, details, name: 'InvalidSwimMessageError', message: details });
      return;
    }
    if (!message) {
      callback(null, { payload: Buffer.alloc(0), fromAddress: '' });
      return;
    }
    Promise.resolve()
      .then(() => handler.handleGossip(message, call.request.fromAddress))
      .then(
        (reply) => callback(null, { payload: encodeSwimMessage(reply), fromAddress: reply?.fromAddress ?? '' }),
        (error: unknown) => {
          const details = error instanceof Error ? error.message : String(error);
          callback({ code: grpc.status.INTERNAL, details, name: 'Error', message: details });
        },
      );
  };
  server.addService(membershipServiceConstructor().service, { Gossip: gossip });
}

/**
 * A gRPC server with only the Membership service (a router's gossip port, tests and tools);
 * resolves with the bound port (pass port 0 to get a free one). With mutual TLS, a peer without a
 * certificate the cluster CA signed cannot gossip at all.
 */
export async function startMembershipServer(
  address: string,
  handler: MembershipHandler,
  security: GrpcSecurity,
): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server(CHANNEL_OPTIONS);
  addMembershipService(server, handler);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, serverCredentials(security), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
  });
  return { server, port };
}

/**
 * Sends SWIM messages as unary Gossip calls: the call's reply is the message's direct reply (a
 * ping's ack). One client (one HTTP/2 connection) per peer address, every call under a deadline.
 */
export class GrpcMembershipTransport implements MembershipTransport {
  /** Insertion order doubles as least-recently-used order: a used client is moved to the end. */
  private readonly clients = new Map<string, grpc.Client>();
  private closed = false;

  /**
   * `localAddress` goes in every packet's from_address (for the receiver's logs); `security`: the
   * cluster's mutual TLS, or plaintext.
   */
  constructor(
    private readonly localAddress: string,
    private readonly security: GrpcSecurity,
  ) {}

  send(toAddress: string, message: SwimMessage, deadlineMs: number): Promise<SwimMessage | null> {
    const faulted = faultGate.intercept(toAddress, deadlineMs);
    if (faulted) return faulted;
    if (this.closed) return Promise.reject(new Error('membership transport is closed'));
    const client = this.client(toAddress);
    const request: GossipPacket = { payload: encodeSwimMessage(message), fromAddress: this.localAddress };
    return new Promise<SwimMessage | null>((resolve, reject) => {
      const gossip = (client as unknown as Record<string, Function>).Gossip;
      gossip.call(
        client,
        request,
        { deadline: systemDeadline(deadlineMs) },
        (error: grpc.ServiceError | null, reply: GossipPacket) => {
          if (error) return reject(error);
          try {
            resolve(decodeSwimMessage(reply.payload));
          } catch (decodeError) {
            reject(decodeError);
          }
        },
      );
    });
  }

  close(): void {
    this.closed = true;
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private client(address: string): grpc.Client {
    let client = this.clients.get(address);
    if (client) {
      this.clients.delete(address);
    } else {
      const Constructor = membershipServiceConstructor();
      client = new Constructor(address, channelCredentials(this.security), channelOptions(this.security));
      if (this.clients.size >= CLIENTS_MAX) {
        const [oldestAddress, oldest] = this.clients.entries().next().value as [string, grpc.Client];
        oldest.close();
        this.clients.delete(oldestAddress);
      }
    }
    this.clients.set(address, client);
    return client;
  }
}
