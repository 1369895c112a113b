import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * Set only in the bundles of `npm run build` (scripts/build.ts, by esbuild's `define`): where the
 * build put its copy of proto/, relative to the bundle. Run from the sources, it is not defined.
 */
declare const TRIAD_BUNDLE_PROTO_DIR: string | undefined;

/**
 * The .proto files, loaded at run time. From the sources: the repository's proto/, found from this
 * file so that every entry point agrees; in a bundle: the copy beside it.
 */
export const PROTO_ROOT =
  typeof TRIAD_BUNDLE_PROTO_DIR === 'string' ? path.join(__dirname, TRIAD_BUNDLE_PROTO_DIR) : path.resolve(__dirname, '../../../proto');

/** gRPC messages carry whole batches and 1 MB pages; DynamoDB items go up to 400 KB each. */
export const GRPC_MESSAGE_BYTES_MAX = 64 * 1024 * 1024;

export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': GRPC_MESSAGE_BYTES_MAX,
  'grpc.max_send_message_length': GRPC_MESSAGE_BYTES_MAX,
  // Detect a dead peer on an idle connection within seconds, not the OS default of hours.
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  // Reconnect quickly once a killed node returns.
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2_000,
};

const packageCache = new Map<string, grpc.GrpcObject>();

/** Loads a .proto under proto/ with the options every Triad process uses. */
export function loadProto(relativePath: string): grpc.GrpcObject {
  let loaded = packageCache.get(relativePath);
  if (!loaded) {
    const definition = protoLoader.loadSync(path.join(PROTO_ROOT, relativePath), {
      keepCase: false,
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
      includeDirs: [PROTO_ROOT],
    });
    loaded = grpc.loadPackageDefinition(definition);
    packageCache.set(relativePath, loaded);
  }
  return loaded;
}
