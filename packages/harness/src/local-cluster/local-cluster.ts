import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { ensureLocalCertificates } from '@triad/cli';
import { GRPC_TLS_FILES, INSECURE, StorageNodeClient, loadGrpcTls, type GrpcSecurity } from '@triad/rpc';
import type { ClusterLayout, StorageNodeInfo } from '@triad/ring';
import { bundledEntry } from './bundle-entry';

/** The repository root (this file is packages/harness/src/local-cluster/local-cluster.ts). */
export const REPO_ROOT = path.resolve(__dirname, '../../../..');
const STORAGE_ENTRY = path.join(REPO_ROOT, 'packages/storage-node/src/main.ts');
const ROUTER_ENTRY = path.join(REPO_ROOT, 'packages/router/src/main.ts');
/** How long a process may take to answer after it is started (default of LocalClusterOptions.startTimeoutMs). */
const START_TIMEOUT_MS = 60_000;
/** How long a process may take to exit after SIGINT before it is killed. */
const STOP_TIMEOUT_MS = 15_000;
const POLL_INTERVAL_MS = 100;

export interface LocalClusterOptions {
  /** Each node keeps its data in <dataDir>/<node id>; logs go to <dataDir>/logs. */
  dataDir: string;
  /** The first router's HTTP port; further routers take the next ports. */
  routerPort: number;
  storageNodes: number;
  routers: number;
  zones: string[];
  partitions: number;
  /** Storage node i listens for gRPC on basePort + i and serves metrics on basePort + 100 + i. */
  basePort: number;
  /** The address storage nodes listen on and routers are reached at. */
  host: string;
  /**
   * The address routers listen on: loopback by default, where open mode is allowed (a non-loopback
   * address makes routers enforce authentication unless told otherwise; docs/security.md).
   */
  routerListenHost: string;
  /**
   * Authentication of the routers: `open` (any credentials; the default) or `enforce` (SigV4 against
   * access keys, the secrets sealed under `<dataDir>/master.key`, made on first start), with keys
   * seeded from `credentialsFile` (`ACCESS_KEY_ID SECRET_ACCESS_KEY [admin]` per line).
   * `masterKeyFile` gives the routers another master key than the storage nodes' (a master key
   * rotation), `previousMasterKeyFiles` the old ones while it is under way; read at each router start.
   */
  auth?: {
    mode: 'open' | 'enforce';
    credentialsFile?: string;
    auditLog?: boolean;
    insecureOpen?: boolean;
    masterKeyFile?: string;
    previousMasterKeyFiles?: string[];
  };
  /** Extra arguments for node itself, before the entry point (e.g. --cpu-prof to profile every process). */
  nodeArgs?: string[];
  /** Extra environment for every process (log level, test switches). */
  env?: Record<string, string>;
  /**
   * Extra environment for one process, by its id (`storage-a-1`, `router-1`), applied after `env`
   * each time that process is started: e.g. a fault file of its own (TRIAD_FAULT_FILE), so that a
   * network partition can cut each side off from the other.
   */
  envFor?: (processId: string) => Record<string, string> | undefined;
  /** How long a started process may take to answer (default 60 s); tests stretch it on a busy machine. */
  startTimeoutMs?: number;
  /**
   * Node's arguments that run a storage node and a router: the bundles `npm run build` made, for a
   * cluster started from them (the container image). Default: bundles of the sources, made when
   * the cluster starts (bundle-entry.ts).
   */
  prebuiltEntries?: { storage: string[]; router: string[] };
  /**
   * Encryption at rest (default on): storage nodes seal every value under data keys wrapped by the
   * cluster's master key, `<dataDir>/master.key` (made, mode 0600, on first start). Off: values
   * are written plain (a data directory that was encrypted then refuses to start).
   */
  encryptionAtRest?: boolean;
  /**
   * Mutual TLS on every gRPC channel (default true): a CA is made in <dataDir>/tls/ca on first
   * start and each process gets its own certificate there (<dataDir>/tls/<id>); the launcher and
   * `triad` use <dataDir>/tls/admin. False runs gRPC in plaintext.
   */
  grpcTls?: boolean;
  /** Serve the routers' DynamoDB API over HTTPS with their certificates (default false: http://). */
  httpsApi?: boolean;
}

/** The certificate the launcher, the CLI and tests' own gRPC clients present. */
export const ADMIN_CERT_NAME = 'admin';

export const DEFAULT_OPTIONS: LocalClusterOptions = {
  dataDir: path.join(process.cwd(), 'data'),
  routerPort: 8000,
  storageNodes: 3,
  routers: 1,
  zones: ['a', 'b', 'c'],
  partitions: 64,
  basePort: 7100,
  host: '127.0.0.1',
  routerListenHost: '127.0.0.1',
};

interface RouterInfo {
  id: string;
  zone: string;
  port: number;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` until it returns true. `failure` is asked before each attempt and ends the wait at
 * once with its message (a process that exited will never answer); errors from `check` mean "not yet".
 */
async function until(what: string, check: () => Promise<boolean>, failure: () => string | undefined, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const failed = failure();
    if (failed) throw new Error(failed);
    if (await check().catch(() => false)) return;
    await delay(POLL_INTERVAL_MS);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Whether a GET of `url` answers 200 within a second (a router's /health/ready); never rejects. `ca` is trusted for https. */
export function httpOk(url: string, ca?: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const onResponse = (res: http.IncomingMessage) => {
      res.resume();
      resolve(res.statusCode === 200);
    };
    const req = url.startsWith('https:') ? https.get(url, { ca }, onResponse) : http.get(url, onResponse);
    req.on('error', () => resolve(false));
    req.setTimeout(1_000, () => req.destroy());
  });
}

/**
 * A cluster of real processes on this machine: storage nodes spread over zones, and routers. Used by
 * `npm start`, the benchmark and the test-cluster tests, which kill, pause, wipe and restart nodes.
 */
export class LocalCluster {
  readonly layout: ClusterLayout;
  readonly routers: RouterInfo[];
  private readonly processes = new Map<string, ChildProcess>();
  private readonly layoutPath: string;
  /** Storage nodes started with `startExtraNode`: not in the layout file (until `triad join` adds them). */
  private readonly extraNodes: StorageNodeInfo[] = [];
  /** Called when a process exits without being asked to. */
  onUnexpectedExit?: (id: string, code: number | null, signal: NodeJS.Signals | null) => void;
  private readonly expectedExits = new Set<string>();
  /** Node's arguments to run each entry point, bundled once per cluster (see bundle-entry.ts). */
  private readonly entryArgs = new Map<string, string[]>();

  constructor(readonly options: LocalClusterOptions) {
    const storageNodes: StorageNodeInfo[] = [];
    for (let i = 0; i < options.storageNodes; i++) {
      const zone = options.zones[i % options.zones.length];
      storageNodes.push({ id: `storage-${zone}-${Math.floor(i / options.zones.length) + 1}`, zone, address: `${options.host}:${options.basePort + i}` });
    }
    this.layout = { partitionCount: options.partitions, storageNodes };
    this.routers = [];
    for (let j = 0; j < options.routers; j++) {
      const zone = options.zones[j % options.zones.length];
      this.routers.push({ id: `router-${j + 1}`, zone, port: options.routerPort + j });
    }
    this.layoutPath = path.join(options.dataDir, 'cluster-layout.json');
  }

  /** The DynamoDB endpoint of router `index`. */
  endpoint(index = 0): string {
    const host = this.options.host === '127.0.0.1' ? 'localhost' : this.options.host;
    return `${this.options.httpsApi ? 'https' : 'http'}://${host}:${this.routers[index].port}`;
  }

  private get tlsRoot(): string {
    return path.join(this.options.dataDir, 'tls');
  }

  /** Whether gRPC runs over mutual TLS (the default). */
  get grpcTls(): boolean {
    return this.options.grpcTls ?? true;
  }

  /** The TLS directory of process `name` (ca.crt, tls.crt, tls.key), issued by the cluster CA when missing. */
  tlsDir(name: string): string {
    fs.mkdirSync(this.options.dataDir, { recursive: true });
    return ensureLocalCertificates(this.tlsRoot, [name], Date.now()).get(name)!;
  }

  /** The cluster CA certificate (PEM): what an HTTPS client of the routers trusts. */
  get caCertificate(): Buffer {
    return fs.readFileSync(path.join(this.tlsDir(ADMIN_CERT_NAME), GRPC_TLS_FILES.ca));
  }

  private security?: GrpcSecurity;

  /** The security an operator's gRPC client of this cluster uses (the admin certificate), for tools and tests. */
  get grpcSecurity(): GrpcSecurity {
    this.security ??= this.grpcTls ? { kind: 'mtls', tls: loadGrpcTls(this.tlsDir(ADMIN_CERT_NAME)) } : INSECURE;
    return this.security;
  }

  /** A process's flags for its gRPC security. */
  private grpcFlags(id: string): string[] {
    return this.grpcTls ? ['--grpc-tls-dir', this.tlsDir(id)] : ['--grpc-insecure'];
  }

  private prepareDataDir(): void {
    fs.mkdirSync(path.join(this.options.dataDir, 'logs'), { recursive: true });
    if (fs.existsSync(this.layoutPath)) {
      const existing = JSON.parse(fs.readFileSync(this.layoutPath, 'utf8')) as ClusterLayout;
      if (existing.partitionCount !== this.layout.partitionCount) {
        throw new Error(
          `${this.options.dataDir} holds a cluster with ${existing.partitionCount} partitions; start with --partitions ${existing.partitionCount} or another --data-dir`,
        );
      }
    }
    fs.writeFileSync(this.layoutPath, JSON.stringify(this.layout, null, 2));
  }

  async start(): Promise<void> {
    this.prepareDataDir();
    // Routers start alongside the storage nodes: they wait for the catalog themselves.
    await Promise.all([
      ...this.layout.storageNodes.map((node) => this.startNode(node.id)),
      ...this.routers.map((router) => this.startRouter(router.id)),
    ]);
  }

  /** The layout file every process is started with (the cluster's layout when it was created). */
  get layoutFile(): string {
    return this.layoutPath;
  }

  /** Every storage node this launcher knows: the layout file's, then the extra ones in start order. */
  get allStorageNodes(): StorageNodeInfo[] {
    return [...this.layout.storageNodes, ...this.extraNodes];
  }

  storageNode(id: string): StorageNodeInfo {
    const node = this.allStorageNodes.find((n) => n.id === id);
    if (!node) throw new Error(`no storage node ${id}`);
    return node;
  }

  /**
   * Starts a storage node that is not in the layout file, in `zone`, with the next free ports: it
   * learns the current layout from the others and holds nothing until `triad join` adds it.
   */
  async startExtraNode(zone: string): Promise<StorageNodeInfo> {
    const index = this.allStorageNodes.length;
    const sameZone = this.allStorageNodes.filter((n) => n.zone === zone).length;
    const node: StorageNodeInfo = { id: `storage-${zone}-${sameZone + 1}`, zone, address: `${this.options.host}:${this.options.basePort + index}` };
    this.extraNodes.push(node);
    await this.startNode(node.id);
    return node;
  }

  private spawnProcess(id: string, entry: string, args: string[]): ChildProcess {
    const log = fs.openSync(path.join(this.options.dataDir, 'logs', `${id}.log`), 'a');
    let entryArgs = this.entryArgs.get(entry);
    if (!entryArgs) {
      const prebuilt = this.options.prebuiltEntries;
      entryArgs = prebuilt ? prebuilt[entry === STORAGE_ENTRY ? 'storage' : 'router'] : bundledEntry(REPO_ROOT, entry);
      this.entryArgs.set(entry, entryArgs);
    }
    const child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), ...entryArgs, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.options.env, ...this.options.envFor?.(id) },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    this.processes.set(id, child);
    child.on('exit', (code, signal) => {
      if (this.processes.get(id) === child) this.processes.delete(id);
      if (!this.expectedExits.delete(id)) this.onUnexpectedExit?.(id, code, signal);
    });
    return child;
  }

  /** Starts (or restarts) a storage node and resolves once it answers gRPC. */
  async startNode(id: string): Promise<void> {
    const node = this.storageNode(id);
    const index = this.allStorageNodes.indexOf(node);
    this.spawnProcess(id, STORAGE_ENTRY, [
      '--id', id,
      '--zone', node.zone,
      '--listen', node.address,
      '--data-dir', path.join(this.options.dataDir, id),
      '--layout', this.layoutPath,
      '--metrics-port', String(this.options.basePort + 100 + index),
      ...this.encryptionArgs(),
      ...this.grpcFlags(id),
    ]);
    await until(
      `storage node ${id}`,
      async () => {
        // A fresh channel per attempt: a reused one fails fast through its reconnect backoff (up to
        // 2 s) after the refusals that come before the node listens.
        const client = new StorageNodeClient(node.address, 1_000, this.grpcSecurity);
        try {
          await client.ping({ from: 'launcher' });
          return true;
        } finally {
          client.close();
        }
      },
      () => (this.processes.has(id) ? undefined : `storage node ${id} exited during start; see ${this.options.dataDir}/logs/${id}.log`),
      this.options.startTimeoutMs,
    );
  }

  private encryptionArgs(): string[] {
    if (this.options.encryptionAtRest === false) return [];
    return ['--master-key-file', this.ensureMasterKeyFile()];
  }

  async startRouter(id: string): Promise<void> {
    const router = this.routers.find((r) => r.id === id)!;
    this.spawnProcess(id, ROUTER_ENTRY, [
      '--id', id,
      '--zone', router.zone,
      '--port', String(router.port),
      '--host', this.options.routerListenHost,
      // Routers gossip on basePort + 50 + j, beside the storage nodes' ports.
      '--gossip-listen', `${this.options.host}:${this.options.basePort + 50 + this.routers.indexOf(router)}`,
      '--layout', this.layoutPath,
      ...this.grpcFlags(id),
      ...(this.options.httpsApi ? ['--tls-cert', path.join(this.tlsDir(id), GRPC_TLS_FILES.cert), '--tls-key', path.join(this.tlsDir(id), GRPC_TLS_FILES.key)] : []),
      ...this.authArgs(id),
    ]);
    const scheme = this.options.httpsApi ? 'https' : 'http';
    const ca = this.options.httpsApi ? this.caCertificate : undefined;
    await until(
      `router ${id}`,
      () => httpOk(`${scheme}://${this.options.host}:${router.port}/health/ready`, ca),
      () => (this.processes.has(id) ? undefined : `router ${id} exited during start; see ${this.options.dataDir}/logs/${id}.log`),
      this.options.startTimeoutMs,
    );
  }

  /**
   * The cluster's master key file: it wraps the storage nodes' data keys (encryption at rest) and
   * seals the access keys' secrets of an enforcing cluster. Made (0600) on first start, kept with the data.
   */
  get masterKeyFile(): string {
    return path.join(this.options.dataDir, 'master.key');
  }

  /** The master key file, made if missing: 32 random bytes as hex ('wx': a key made once is kept). */
  private ensureMasterKeyFile(): string {
    if (!fs.existsSync(this.masterKeyFile)) fs.writeFileSync(this.masterKeyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return this.masterKeyFile;
  }

  /** A router's audit log file (when `auth.auditLog` is set). */
  auditLogFile(id: string): string {
    return path.join(this.options.dataDir, 'logs', `${id}.audit.jsonl`);
  }

  private authArgs(id: string): string[] {
    const auth = this.options.auth ?? { mode: 'open' };
    const args = ['--auth', auth.mode];
    if (auth.mode === 'enforce') {
      args.push('--master-key-file', auth.masterKeyFile ? path.resolve(auth.masterKeyFile) : this.ensureMasterKeyFile());
      for (const file of auth.previousMasterKeyFiles ?? []) args.push('--previous-master-key-file', path.resolve(file));
    }
    if (auth.insecureOpen) args.push('--auth-open-insecure');
    if (auth.credentialsFile) args.push('--credentials', path.resolve(auth.credentialsFile));
    if (auth.auditLog) args.push('--audit-log', this.auditLogFile(id));
    return args;
  }

  isRunning(id: string): boolean {
    return this.processes.has(id);
  }

  /** The operating-system process id of a running process (tests watch /proc/<pid> to see a SIGSTOP take effect). */
  pid(id: string): number | undefined {
    return this.processes.get(id)?.pid;
  }

  /** Sends a signal to a process; for SIGKILL and SIGINT/SIGTERM, resolves once it has exited. */
  async signal(id: string, signal: NodeJS.Signals): Promise<void> {
    const child = this.processes.get(id);
    if (!child) return;
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
      child.kill(signal);
      return;
    }
    this.expectedExits.add(id);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  /** Deletes a stopped storage node's data, as if its disk were lost. */
  wipeNode(id: string): void {
    if (this.processes.has(id)) throw new Error(`stop ${id} before wiping it`);
    fs.rmSync(path.join(this.options.dataDir, id), { recursive: true, force: true });
  }

  /** Stops every process (routers first) and resolves once all have exited. */
  async stop(): Promise<void> {
    const routerIds = this.routers.map((r) => r.id);
    await Promise.all(routerIds.map((id) => this.signal(id, 'SIGCONT').then(() => this.signal(id, 'SIGINT'))));
    const others = [...this.processes.keys()];
    await Promise.all(others.map((id) => this.signal(id, 'SIGCONT').then(() => this.signal(id, 'SIGINT'))));
  }
}
