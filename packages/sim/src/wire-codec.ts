import type * as grpc from '@grpc/grpc-js';
import { decodeSwimMessage, encodeSwimMessage, type SwimMessage } from '@triad/membership';
import { loadProto } from '@triad/rpc';

/**
 * Messages cross the simulated network as the bytes gRPC would send: a request is serialized
 * when it is sent and deserialized when it arrives, with the definitions the real server and
 * client use (proto-loader's options: defaults filled in, enums as strings, longs as numbers).
 * So a receiver sees exactly what it would see over gRPC (missing fields as defaults, no shared
 * buffers with the sender), and a field the proto lacks is lost in the simulator as in production.
 */
export interface WireCodec<Req, Rep> {
  encodeRequest(request: Req): Buffer;
  decodeRequest(bytes: Buffer): Req;
  encodeReply(reply: Rep): Buffer;
  decodeReply(bytes: Buffer): Rep;
}

type MethodDefinitions = Record<string, grpc.MethodDefinition<unknown, unknown>>;

let storageMethods: MethodDefinitions | undefined;

function storageDefinitions(): MethodDefinitions {
  if (!storageMethods) {
    const loaded = loadProto('triad/storage.proto') as unknown as {
      triad: { storage: { v1: { StorageNode: grpc.ServiceClientConstructor } } };
    };
    storageMethods = loaded.triad.storage.v1.StorageNode.service as unknown as MethodDefinitions;
  }
  return storageMethods;
}

const codecs = new Map<string, WireCodec<unknown, unknown>>();

/** The codec of a storage service method, named as the service object names it (`execute`, `getLayout`). */
export function storageCodec(method: string): WireCodec<unknown, unknown> {
  let codec = codecs.get(method);
  if (!codec) {
    const definition = storageDefinitions()[method[0].toUpperCase() + method.slice(1)];
    if (!definition) throw new Error(`the storage service has no method ${method}`);
    codec = {
      encodeRequest: (request) => definition.requestSerialize(request),
      decodeRequest: (bytes) => definition.requestDeserialize(bytes),
      encodeReply: (reply) => definition.responseSerialize(reply),
      decodeReply: (bytes) => definition.responseDeserialize(bytes),
    };
    codecs.set(method, codec);
  }
  return codec;
}

/** Gossip travels as membership.proto's payload: the SWIM message as JSON bytes, checked on arrival. */
export const gossipCodec: WireCodec<SwimMessage, SwimMessage | null> = {
  encodeRequest: (message) => encodeSwimMessage(message),
  decodeRequest: (bytes) => decodeSwimMessage(bytes)!,
  encodeReply: (reply) => encodeSwimMessage(reply),
  decodeReply: (bytes) => decodeSwimMessage(bytes),
};
