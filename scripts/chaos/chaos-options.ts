import { parseArgs } from 'node:util';
import { FAULT_KINDS, randomSeed, type FaultKind } from '@triad/harness';

/** Settings of `npm run chaos`, from its flags. */
export interface ChaosOptions {
  /** How long faults are injected; the checks follow. */
  minutes: number;
  /** 3 (one per zone) or 6 (two per zone). */
  storageNodes: number;
  seed: number;
  partitions: number;
  clients: number;
  /** The router's HTTP port. */
  routerPort: number;
  /** Storage gRPC on basePort + i, router gossip on basePort + 50 + j, storage metrics on basePort + 100 + i. */
  basePort: number;
  /** Each fault lasts a random time in this range. */
  faultMsMin: number;
  faultMsMax: number;
  /** Healthy time between faults, a random time in this range (after the cluster is seen healthy). */
  healthyMsMin: number;
  healthyMsMax: number;
  /** Keep the data directory (process logs) instead of deleting it. */
  keepData: boolean;
  /** Write the recorded history (faults, attempts, logical operations) here as JSON lines. */
  historyFile?: string;
  /** The kinds of fault to draw from, each equally likely (default: every kind). */
  faults: FaultKind[];
}

export const USAGE = `usage: npm run chaos -- --minutes N [--storage-nodes 3|6] [--seed S] [--partitions 16] [--clients 6]
       [--router-port 15000] [--base-port 19000] [--fault-ms 2000-6000] [--healthy-ms 2000-5000]
       [--faults kind,kind,...] [--keep-data] [--history-file path]

Starts a local cluster in a temporary directory (two routers, and a spare storage node for joins),
runs a client workload while injecting faults one at a time with healthy intervals, for N
minutes; then checks that no acknowledged write was lost, that the history (GetItem, Query, Scan,
conditional writes) is linearizable, that replicas converge and hints drain, and that every
global secondary index matches its table, and prints a report. Exits 1 if any check fails, 2 on
bad usage, 130 on Ctrl-C.

Fault kinds (--faults picks among them; default all, each equally likely):
  ${FAULT_KINDS.join(', ')}
(see packages/harness/src/chaos/faults.ts and README.md for what each does). Every process also runs with
a clock offset of its own (TRIAD_CLOCK_OFFSET_MS, within ±1 s).`;

function range(text: string, flag: string): [number, number] {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!match) throw new Error(`${flag} takes a number of ms or a range min-max, got ${text}`);
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  if (max < min) throw new Error(`${flag}: ${max} < ${min}`);
  return [min, max];
}

function positiveNumber(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} must be a positive number, got ${text}`);
  return value;
}

export function parseChaosOptions(argv: string[]): ChaosOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string' },
      'storage-nodes': { type: 'string', default: '3' },
      seed: { type: 'string' },
      partitions: { type: 'string', default: '16' },
      clients: { type: 'string', default: '6' },
      'router-port': { type: 'string', default: '15000' },
      'base-port': { type: 'string', default: '19000' },
      'fault-ms': { type: 'string', default: '2000-6000' },
      'healthy-ms': { type: 'string', default: '2000-5000' },
      'keep-data': { type: 'boolean', default: false },
      'history-file': { type: 'string' },
      faults: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) return 'help';
  if (values.minutes === undefined) throw new Error('--minutes is required');
  const storageNodes = Number(values['storage-nodes']);
  if (storageNodes !== 3 && storageNodes !== 6) throw new Error(`--storage-nodes must be 3 or 6, got ${values['storage-nodes']}`);
  const [faultMsMin, faultMsMax] = range(values['fault-ms']!, '--fault-ms');
  const [healthyMsMin, healthyMsMax] = range(values['healthy-ms']!, '--healthy-ms');
  const faults = values.faults === undefined ? [...FAULT_KINDS] : (values.faults.split(',').map((k) => k.trim()).filter(Boolean) as FaultKind[]);
  const unknownKinds = faults.filter((k) => !FAULT_KINDS.includes(k));
  if (unknownKinds.length > 0 || faults.length === 0) throw new Error(`--faults takes kinds among ${FAULT_KINDS.join(', ')}; got ${values.faults}`);
  return {
    minutes: positiveNumber(values.minutes, '--minutes'),
    storageNodes,
    seed: values.seed !== undefined ? Number(values.seed) >>> 0 : randomSeed(),
    partitions: positiveNumber(values.partitions!, '--partitions'),
    clients: positiveNumber(values.clients!, '--clients'),
    routerPort: positiveNumber(values['router-port']!, '--router-port'),
    basePort: positiveNumber(values['base-port']!, '--base-port'),
    faultMsMin,
    faultMsMax,
    healthyMsMin,
    healthyMsMax,
    keepData: values['keep-data']!,
    historyFile: values['history-file'],
    faults,
  };
}
