import { parseArgs } from 'node:util';
import { ITEM_COLLECTION_BYTES_MAX } from '@triad/model';
import { ANTI_ENTROPY_INTERVAL_MS_DEFAULT } from './repair/anti-entropy';
import { HINT_BYTES_MAX_DEFAULT, HINT_WINDOW_MS_DEFAULT } from './repair/hint-store';
import { StorageNode } from './storage-node';
import { FileKeyProvider } from '@triad/encryption';

/**
 * Starts one storage node: `--id`, `--zone`, `--listen host:port`, `--advertise host:port`,
 * `--data-dir`, `--layout file`, `--metrics-port`, `--master-key-file` (encryption at rest; or the
 * TRIAD_* environment variables), and stops
 * it cleanly on SIGINT or SIGTERM.
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
  const node = await StorageNode.open({
    id: values.id,
    zone: values.zone,
    listen: values.listen!,
    advertise: values.advertise,
    dataDir: values['data-dir']!,
    layoutFile: values.layout,
    metricsPort: Number(values['metrics-port']),
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
