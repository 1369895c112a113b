import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_OPTIONS, type LocalClusterOptions } from '@triad/harness/local-cluster';

/**
 * Local cluster settings from a JSON config file (`--config`) and flags; flags win. Run from the
 * bundle `npm run build` makes, the cluster runs the bundled storage node and router.
 * TLS: every gRPC channel runs over mutual TLS with a CA made in <data-dir>/tls on first start;
 * --grpc-insecure runs them in plaintext; --https serves the routers' API over HTTPS (trust
 * <data-dir>/tls/ca/ca.crt).
 * Flags: --data-dir, --port, --storage-nodes, --routers, --zones a,b,c, --partitions, --base-port, --host,
 * --encryption-at-rest on|off (or TRIAD_ENCRYPTION_AT_REST; default on: the master key is made in the data directory),
 * --auth open|enforce (default open: routers listen on loopback), --credentials FILE (access keys
 * to enforce, `ACCESS_KEY_ID SECRET_ACCESS_KEY [admin]` per line), --audit-log (each router writes
 * logs/<router>.audit.jsonl), --router-host (where routers listen; default 127.0.0.1; open mode
 * on any other address also needs --auth-open-insecure).
 */
export function parseClusterOptions(argv: string[]): LocalClusterOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      'storage-nodes': { type: 'string' },
      routers: { type: 'string' },
      zones: { type: 'string' },
      partitions: { type: 'string' },
      'base-port': { type: 'string' },
      host: { type: 'string' },
      'encryption-at-rest': { type: 'string' },
      'grpc-insecure': { type: 'boolean' },
      https: { type: 'boolean' },
      auth: { type: 'string' },
      credentials: { type: 'string' },
      'audit-log': { type: 'boolean' },
      'router-host': { type: 'string' },
      'auth-open-insecure': { type: 'boolean' },
    },
    allowPositionals: false,
  });
  const file: Partial<LocalClusterOptions> = values.config ? JSON.parse(fs.readFileSync(values.config, 'utf8')) : {};
  const options: LocalClusterOptions = { ...DEFAULT_OPTIONS, ...file };
  if (values['data-dir']) options.dataDir = values['data-dir'];
  if (values.port) options.routerPort = Number(values.port);
  if (values['storage-nodes']) options.storageNodes = Number(values['storage-nodes']);
  if (values.routers) options.routers = Number(values.routers);
  if (values.zones) options.zones = values.zones.split(',');
  if (values.partitions) options.partitions = Number(values.partitions);
  if (values['base-port']) options.basePort = Number(values['base-port']);
  if (values.host) options.host = values.host;
  // TRIAD_ENCRYPTION_AT_REST=off lets a launcher that passes no flags through (npm run bench) compare.
  const encryption = values['encryption-at-rest'] ?? process.env.TRIAD_ENCRYPTION_AT_REST;
  if (encryption !== undefined) {
    if (!['on', 'off'].includes(encryption)) throw new Error('--encryption-at-rest (TRIAD_ENCRYPTION_AT_REST) takes on or off');
    options.encryptionAtRest = encryption === 'on';
  }
  if (values['grpc-insecure']) options.grpcTls = false;
  if (values.https) options.httpsApi = true;
  if (values.auth !== undefined && values.auth !== 'open' && values.auth !== 'enforce') throw new Error(`--auth must be open or enforce, not '${values.auth}'`);
  if (values.credentials && values.auth !== 'enforce') throw new Error('--credentials seeds the keys of --auth enforce: add --auth enforce');
  if (values['router-host']) options.routerListenHost = values['router-host'];
  if (values.auth || values['audit-log'] || values['auth-open-insecure']) {
    options.auth = {
      mode: (values.auth as 'open' | 'enforce' | undefined) ?? options.auth?.mode ?? 'open',
      credentialsFile: values.credentials,
      auditLog: values['audit-log'],
      insecureOpen: values['auth-open-insecure'],
    };
  }
  if (options.auth?.mode === 'enforce' && !options.auth.credentialsFile) {
    throw new Error('--auth enforce needs --credentials FILE (one `ACCESS_KEY_ID SECRET_ACCESS_KEY` pair per line; add `admin` to a line to let that key manage keys)');
  }
  if (options.auth?.credentialsFile) options.auth.credentialsFile = path.resolve(options.auth.credentialsFile);
  options.dataDir = path.resolve(options.dataDir);
  if (typeof TRIAD_BUNDLE_ENTRIES === 'object') {
    const run = (bundle: string) => ['--enable-source-maps', path.join(__dirname, bundle)];
    options.prebuiltEntries = { storage: run(TRIAD_BUNDLE_ENTRIES.storage), router: run(TRIAD_BUNDLE_ENTRIES.router) };
  }
  return options;
}

/**
 * Set only in the bundle `npm run build` makes of the local cluster (dist/local-cluster.js, by
 * esbuild's `define` in scripts/build.ts): the storage node's and the router's bundles, relative to
 * it, which the cluster then runs. From the sources it is not defined, and the cluster bundles the
 * sources itself when it starts.
 */
declare const TRIAD_BUNDLE_ENTRIES: { storage: string; router: string } | undefined;
