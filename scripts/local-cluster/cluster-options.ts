import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_OPTIONS, type LocalClusterOptions } from '@triad/harness/local-cluster';
import { PARTITION_COUNT_MAX } from '@triad/ring';

/** What `npm start -- --help` prints. */
export const CLUSTER_USAGE = `Usage: npm start -- [options]

Starts the local Triad cluster: storage nodes and routers as separate processes, gRPC over mutual
TLS with a cluster CA made in <data-dir>/tls on first start, data encrypted at rest.

  --data-dir DIR             where the cluster keeps its data (default ./data)
  --port N                   the first router's HTTP port (default 8000)
  --storage-nodes N          storage nodes (default 3)
  --routers N                routers (default 1)
  --zones a,b,c              availability zones the storage nodes are spread over (default a,b,c)
  --partitions N             partitions of a new cluster, a power of two (default 64)
  --base-port N              the first storage node's gRPC port (default 7100)
  --host HOST                the address storage nodes listen on and are reached at (default 127.0.0.1)
  --router-host HOST         where routers listen (default 127.0.0.1)
  --encryption-at-rest on|off  (or TRIAD_ENCRYPTION_AT_REST; default on, master key in the data directory)
  --grpc-insecure            gRPC in plaintext
  --https                    the routers serve HTTPS (trust <data-dir>/tls/ca/ca.crt)
  --auth open|enforce        default open (routers on loopback); open on another address also
                             needs --auth-open-insecure
  --credentials FILE         access keys to enforce, one \`ACCESS_KEY_ID SECRET_ACCESS_KEY [admin]\` per line
  --audit-log                each router writes logs/<router>.audit.jsonl
  --config FILE              settings as JSON (flags win)
  --help                     this text
`;

/** A command line the local cluster cannot start from: the message says what to change. */
export class ClusterUsageError extends Error {}

/**
 * Local cluster settings from a JSON config file (\`--config\`) and flags (CLUSTER_USAGE); flags win.
 * Undefined for --help. Run from the bundle \`npm run build\` makes, the cluster runs the bundled
 * storage node and router.
 */
export function parseClusterOptions(argv: string[]): LocalClusterOptions | undefined {
  const values = parsedFlags(argv);
  if (values.help) return undefined;
  return optionsOf(values);
}

function parsedFlags(argv: string[]) {
  try {
    return parseFlags(argv);
  } catch (error) {
    // node:util's own wording ("Unknown option '--x'", "Option '--port <value>' argument missing").
    throw new ClusterUsageError((error as Error).message);
  }
}

function parseFlags(argv: string[]) {
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
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  return values;
}

function optionsOf(values: ReturnType<typeof parseFlags>): LocalClusterOptions {
  const options: LocalClusterOptions = { ...DEFAULT_OPTIONS, ...(values.config ? configFile(values.config) : {}) };
  if (values['data-dir']) options.dataDir = values['data-dir'];
  if (values.port) options.routerPort = wholeNumber('--port', values.port, 1, PORT_MAX);
  if (values['storage-nodes']) options.storageNodes = wholeNumber('--storage-nodes', values['storage-nodes'], 1);
  if (values.routers) options.routers = wholeNumber('--routers', values.routers, 1);
  if (values.zones) options.zones = values.zones.split(',');
  if (values.partitions) {
    options.partitions = wholeNumber('--partitions', values.partitions, 1, PARTITION_COUNT_MAX);
    if ((options.partitions & (options.partitions - 1)) !== 0) throw new ClusterUsageError(`--partitions takes a power of two, not ${options.partitions}`);
  }
  if (values['base-port']) options.basePort = wholeNumber('--base-port', values['base-port'], 1, PORT_MAX);
  if (values.host) options.host = values.host;
  // TRIAD_ENCRYPTION_AT_REST=off lets a launcher that passes no flags through (npm run bench) compare.
  const encryption = values['encryption-at-rest'] ?? process.env.TRIAD_ENCRYPTION_AT_REST;
  if (encryption !== undefined) {
    if (!['on', 'off'].includes(encryption)) throw new ClusterUsageError('--encryption-at-rest (TRIAD_ENCRYPTION_AT_REST) takes on or off');
    options.encryptionAtRest = encryption === 'on';
  }
  if (values['grpc-insecure']) options.grpcTls = false;
  if (values.https) options.httpsApi = true;
  if (values.auth !== undefined && values.auth !== 'open' && values.auth !== 'enforce') throw new ClusterUsageError(`--auth must be open or enforce, not '${values.auth}'`);
  if (values.credentials && values.auth !== 'enforce') throw new ClusterUsageError('--credentials seeds the keys of --auth enforce: add --auth enforce');
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
    throw new ClusterUsageError('--auth enforce needs --credentials FILE (one `ACCESS_KEY_ID SECRET_ACCESS_KEY` pair per line; add `admin` to a line to let that key manage keys)');
  }
  if (options.auth?.credentialsFile) options.auth.credentialsFile = path.resolve(options.auth.credentialsFile);
  options.dataDir = path.resolve(options.dataDir);
  if (typeof TRIAD_BUNDLE_ENTRIES === 'object') {
    const run = (bundle: string) => ['--enable-source-maps', path.join(__dirname, bundle)];
    options.prebuiltEntries = { storage: run(TRIAD_BUNDLE_ENTRIES.storage), router: run(TRIAD_BUNDLE_ENTRIES.router) };
  }
  return options;
}

const PORT_MAX = 65_535;

function wholeNumber(flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new ClusterUsageError(`${flag} takes a whole number from ${min} to ${max}, not '${text}'`);
  return value;
}

function configFile(file: string): Partial<LocalClusterOptions> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LocalClusterOptions>;
  } catch (error) {
    throw new ClusterUsageError(`--config ${file}: ${(error as Error).message}`);
  }
}

/**
 * Set only in the bundle `npm run build` makes of the local cluster (dist/local-cluster.js, by
 * esbuild's `define` in scripts/build.ts): the storage node's and the router's bundles, relative to
 * it, which the cluster then runs. From the sources it is not defined, and the cluster bundles the
 * sources itself when it starts.
 */
declare const TRIAD_BUNDLE_ENTRIES: { storage: string; router: string } | undefined;
