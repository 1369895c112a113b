import path from 'node:path';
import { parseArgs } from 'node:util';

export type Scenario = 'kill' | 'pause' | 'zone' | 'all';
export type NetworkMode = 'auto' | 'netns' | 'loopback';
export type ZoneCut = 'isolate' | 'unplug';

export interface LabOptions {
  storageNodes: number;
  routers: number;
  /** Length of the load-and-faults phase; cluster start and the final check come on top. */
  minutes: number;
  scenario: Scenario;
  network: NetworkMode;
  zoneCut: ZoneCut;
  zones: string[];
  partitions: number;
  clients: number;
  keysPerClient: number;
  faultSeconds: number;
  /** --fault-seconds was given; otherwise faults shrink (down to 3 s) so each kind fits the run. */
  faultSecondsExplicit: boolean;
  quietSeconds: number;
  settleSeconds: number;
  latency: boolean;
  latencySameZoneMs: number;
  latencyCrossZoneMs: number;
  /** First three octets of the lab's /24, e.g. "10.77.0". */
  subnet: string;
  /** Loopback mode: storage gRPC on basePort + i, metrics +100, router gossip +50, router HTTP +200. */
  basePort: number;
  seed: number;
  dataDir?: string;
  keepData: boolean;
  json?: string;
  verbose: boolean;
  cleanup: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm run lab -- [options]

Starts a Triad cluster where every storage node and router is its own host (network namespace),
runs a small load, injects faults, checks that no acknowledged write was lost, and removes
everything it created. Must run as root for namespaces; otherwise falls back to loopback.

  --storage-nodes N       storage nodes, spread over the zones              (default 6)
  --routers N             routers                                           (default 2)
  --minutes M             length of the load + faults phase (fractions ok)  (default 2)
  --scenario S            kill | pause | zone | all                         (default all)
  --network MODE          auto | netns | loopback                           (default auto)
  --zone-cut MODE         isolate (zone cut from other zones, clients still reach it)
                          | unplug (zone's cables pulled, clients too)      (default isolate)
  --zones a,b,c           zone names                                        (default a,b,c)
  --partitions N          hash partitions (power of two)                    (default 16)
  --clients N             concurrent load clients                           (default 4)
  --keys N                keys per client (each key has one writer)         (default 4)
  --fault-seconds S       how long each fault lasts   (default 10, shortened down to 3
                          when needed so that every fault kind of the scenario fits)
  --quiet-seconds S       calm between faults, and before the first one     (default 5)
  --settle-seconds S      calm at the end before the load stops             (default 10)
  --latency-same-ms MS    one-way delay between hosts of one zone           (default 0.5)
  --latency-cross-ms MS   one-way delay between zones                       (default 3)
  --no-latency            no tc qdiscs at all
  --subnet A.B.C          the lab's private /24                             (default 10.77.0)
  --base-port P           loopback mode only: first port                    (default 19100)
  --seed N                picks fault targets (printed; reuse to replay)    (default random)
  --data-dir DIR          data, logs and layout   (default a fresh temp dir, removed on PASS)
  --keep-data             keep the data dir even on PASS
  --json FILE             also write the summary as JSON
  --verbose               print every ip/tc command the lab runs
  --cleanup               remove leftovers of a crashed run (namespaces triad-lab-*,
                          links tlab-*, its processes) and exit
  --help
`;

function number(value: string | undefined, name: string, fallback: number, check: (n: number) => boolean = (n) => n > 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new Error(`--${name}: invalid value ${value}`);
  return n;
}

function oneOf<T extends string>(value: string | undefined, name: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new Error(`--${name} must be one of ${allowed.join(', ')}; got ${value}`);
  return value as T;
}

export function parseLabOptions(argv: string[]): LabOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      'storage-nodes': { type: 'string' },
      routers: { type: 'string' },
      minutes: { type: 'string' },
      scenario: { type: 'string' },
      network: { type: 'string' },
      'zone-cut': { type: 'string' },
      zones: { type: 'string' },
      partitions: { type: 'string' },
      clients: { type: 'string' },
      keys: { type: 'string' },
      'fault-seconds': { type: 'string' },
      'quiet-seconds': { type: 'string' },
      'settle-seconds': { type: 'string' },
      'latency-same-ms': { type: 'string' },
      'latency-cross-ms': { type: 'string' },
      'no-latency': { type: 'boolean', default: false },
      subnet: { type: 'string' },
      'base-port': { type: 'string' },
      seed: { type: 'string' },
      'data-dir': { type: 'string' },
      'keep-data': { type: 'boolean', default: false },
      json: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      cleanup: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  const integer = (n: number) => Number.isInteger(n) && n > 0;
  const nonNegative = (n: number) => n >= 0;
  const zones = (values.zones ?? 'a,b,c').split(',').map((z) => z.trim()).filter(Boolean);
  if (zones.length < 3) throw new Error('--zones needs at least 3 zones: every partition lives in 3 zones');
  if (zones.some((z) => !/^[a-z0-9]+$/.test(z))) throw new Error('--zones: names may use a-z and 0-9 only');
  const options: LabOptions = {
    storageNodes: number(values['storage-nodes'], 'storage-nodes', 6, integer),
    routers: number(values.routers, 'routers', 2, integer),
    minutes: number(values.minutes, 'minutes', 2),
    scenario: oneOf(values.scenario, 'scenario', ['kill', 'pause', 'zone', 'all'] as const, 'all'),
    network: oneOf(values.network, 'network', ['auto', 'netns', 'loopback'] as const, 'auto'),
    zoneCut: oneOf(values['zone-cut'], 'zone-cut', ['isolate', 'unplug'] as const, 'isolate'),
    zones,
    partitions: number(values.partitions, 'partitions', 16, (n) => integer(n) && (n & (n - 1)) === 0),
    clients: number(values.clients, 'clients', 4, integer),
    keysPerClient: number(values.keys, 'keys', 4, integer),
    faultSeconds: number(values['fault-seconds'], 'fault-seconds', 10),
    faultSecondsExplicit: values['fault-seconds'] !== undefined,
    quietSeconds: number(values['quiet-seconds'], 'quiet-seconds', 5, nonNegative),
    settleSeconds: number(values['settle-seconds'], 'settle-seconds', 10, nonNegative),
    latency: !values['no-latency'],
    latencySameZoneMs: number(values['latency-same-ms'], 'latency-same-ms', 0.5, nonNegative),
    latencyCrossZoneMs: number(values['latency-cross-ms'], 'latency-cross-ms', 3, nonNegative),
    subnet: values.subnet ?? '10.77.0',
    basePort: number(values['base-port'], 'base-port', 19100, (n) => integer(n) && n < 65000),
    seed: number(values.seed, 'seed', Math.floor(Math.random() * 1_000_000), (n) => Number.isInteger(n) && n >= 0),
    dataDir: values['data-dir'] ? path.resolve(values['data-dir']) : undefined,
    keepData: values['keep-data'] ?? false,
    json: values.json ? path.resolve(values.json) : undefined,
    verbose: values.verbose ?? false,
    cleanup: values.cleanup ?? false,
    help: values.help ?? false,
  };
  const octets = options.subnet.split('.');
  if (octets.length !== 3 || octets.some((o) => !/^\d+$/.test(o) || Number(o) > 255)) {
    throw new Error(`--subnet takes the first three octets of a /24, e.g. 10.77.0; got ${options.subnet}`);
  }
  if (options.storageNodes < zones.length) throw new Error(`--storage-nodes must be at least the number of zones (${zones.length})`);
  if (options.storageNodes > 80) throw new Error('--storage-nodes: at most 80');
  if (options.routers > 40) throw new Error('--routers: at most 40');
  return options;
}
