import { parseArgs } from 'node:util';
import { ITEM_COLLECTION_BYTES_MAX } from '@triad/model';
import { GRPC_TLS_ENV, envFlag, grpcSecurityFromFlags } from '@triad/rpc';
import { ANTI_ENTROPY_INTERVAL_MS_DEFAULT } from './repair/anti-entropy';
import { HINT_BYTES_MAX_DEFAULT, HINT_WINDOW_MS_DEFAULT } from './repair/hint-store';
import { StorageNode } from './storage-node';
import { FileKeyProvider } from '@triad/encryption';
import { DISK_RESERVE_BYTES_DEFAULT } from './storage/disk-reserve';
import { PRIVATE_UMASK } from './storage/private-files';

/**
 * Starts one storage node: `--id`, `--zone`, `--listen host:port`, `--advertise host:port`,
 * `--data-dir`, `--layout file`, `--metrics-port`, `--metrics-host` (default: the host of --listen),
 * `--disk-reserve-bytes`, `--master-key-file` (encryption at rest), `--grpc-tls-dir DIR` (mutual
 * TLS: ca.crt, tls.crt, tls.key) or `--grpc-insecure` (or the TRIAD_* environment variables), and
 * stops it cleanly on SIGINT or SIGTERM.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      id: { type: 'string', default: process.env.TRIAD_NODE_ID },
      zone: { type: 'string', default: process.env.TRIAD_ZONE },
      listen: { type: 'string', default: process.env.TRIAD_LISTEN ?? '0.0.0.0:7000' },
      /** The address others reach this node at; default: its address in the layout, else --listen. */
      advertise: { type: 'string', default: process.env.TRIAD_ADVERTISE },
      'data-dir': { type: 'string', default: process.env.TRIAD_DATA_DIR ?? './data' },
      layout: { type: 'string', default: process.env.TRIAD_LAYOUT },
      'metrics-port': { type: 'string', default: process.env.TRIAD_METRICS_PORT ?? '9100' },
      /** The address /metrics and the health probes bind; default: the host of --listen. */
      'metrics-host': { type: 'string', default: process.env.TRIAD_METRICS_HOST },
      /** Client writes are refused while the data directory's filesystem has less free space than this. */
      'disk-reserve-bytes': { type: 'string', default: process.env.TRIAD_DISK_RESERVE_BYTES ?? String(DISK_RESERVE_BYTES_DEFAULT) },
      'grpc-tls-dir': { type: 'string', default: process.env[GRPC_TLS_ENV.dir] },
      'grpc-insecure': { type: 'boolean', default: envFlag(process.env[GRPC_TLS_ENV.insecure]) },
      'anti-entropy-interval-ms': { type: 'string', default: process.env.TRIAD_ANTI_ENTROPY_INTERVAL_MS ?? String(ANTI_ENTROPY_INTERVAL_MS_DEFAULT) },
      'hint-window-ms': { type: 'string', default: process.env.TRIAD_HINT_WINDOW_MS ?? String(HINT_WINDOW_MS_DEFAULT) },
      'hint-bytes-max': { type: 'string', default: process.env.TRIAD_HINT_BYTES_MAX ?? String(HINT_BYTES_MAX_DEFAULT) },
      /** The item collection limit of tables with local indexes: DynamoDB's 10 GB; lower it to try the limit out. */
      /** Encryption at rest: the master key file (32 bytes, 64 hex digits) that wraps this node's data keys. */
      'master-key-file': { type: 'string', default: process.env.TRIAD_MASTER_KEY_FILE },
      /** During a master key rotation: the old key file(s), which still unwrap data keys not yet re-wrapped. */
      'previous-master-key-file': { type: 'string', multiple: true },
      'item-collection-bytes-max': { type: 'string', default: process.env.TRIAD_ITEM_COLLECTION_BYTES_MAX ?? String(ITEM_COLLECTION_BYTES_MAX) },
    },
  });
  if (!values.id || !values.zone || !values.layout) throw new Error('--id, --zone and --layout are required');
  if (!Number.isSafeInteger(Number(values['disk-reserve-bytes'])) || Number(values['disk-reserve-bytes']) < 0) {
    throw new Error(`--disk-reserve-bytes must be a whole number of bytes, got ${values['disk-reserve-bytes']}`);
  }
  // Every file and directory the node creates is the service user's alone (0600 / 0700).
  process.umask(PRIVATE_UMASK);
  const node = await StorageNode.open({
    id: values.id,
    zone: values.zone,
    listen: values.listen!,
    advertise: values.advertise,
    dataDir: values['data-dir']!,
    layoutFile: values.layout,
    metricsPort: Number(values['metrics-port']),
    metricsHost: values['metrics-host'],
    diskReserveBytes: Number(values['disk-reserve-bytes']),
    grpcSecurity: grpcSecurityFromFlags({ tlsDir: values['grpc-tls-dir'], insecure: values['grpc-insecure'] }),
    antiEntropyIntervalMs: Number(values['anti-entropy-interval-ms']),
    hintWindowMs: Number(values['hint-window-ms']),
    hintBytesMax: Number(values['hint-bytes-max']),
    itemCollectionBytesMax: Number(values['item-collection-bytes-max']),
    keyProvider: values['master-key-file'] ? FileKeyProvider.fromFiles(values['master-key-file'], values['previous-master-key-file'] ?? []) : undefined,
  });
  const stop = (signal: string) =>
    void node.stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        node.log.error('storage node did not stop cleanly', { error: String(error) });
        process.exit(1);
      },
    );
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(JSON.stringify({ level: 'error', message: 'storage node failed to start', error: String(error) }));
  process.exit(1);
});
