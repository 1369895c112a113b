import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, httpOk } from '@triad/harness/local-cluster';
import { ensureLocalCertificates } from '@triad/cli';
import { StorageNodeClient, loadGrpcTls, type GrpcSecurity } from '@triad/rpc';
import type { LabNetwork } from './network';
import type { ClusterPlan, LabHost, RouterHost, StorageHost } from './plan';

export const STORAGE_ENTRY = path.join(REPO_ROOT, 'packages/storage-node/src/main.ts');
export const ROUTER_ENTRY = path.join(REPO_ROOT, 'packages/router/src/main.ts');
/** Several tsx processes compiling at once on a small machine start slowly. */
const START_TIMEOUT_MS = 120_000;
const POLL_INTERVAL_MS = 200;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function storageAnswers(address: string, security: GrpcSecurity): Promise<boolean> {
  // A fresh channel per attempt: a reused one backs off after the refusals before the node listens.
  const client = new StorageNodeClient(address, 1_000, security);
  try {
    await client.ping({ from: 'fault-lab' });
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

interface Managed {
  host: LabHost;
  child?: ChildProcess;
  paused: boolean;
  /** Set while the lab itself is stopping or killing it, so its exit is not reported as unexpected. */
  expectingExit: boolean;
}

/**
 * Starts the cluster's processes (inside their namespaces in netns mode), signals them, restarts
 * them, and stops them all. Children are started in their own process group, so a Ctrl-C in the
 * terminal reaches only the driver, which then stops them in order and removes the network.
 */
export class Supervisor {
  private readonly managed = new Map<string, Managed>();
  /** "id code=… signal=…" for every exit the lab did not cause. */
  readonly unexpectedExits: string[] = [];
  /** Called whenever the set of live PIDs changes (the lab records them for `--cleanup`). */
  onPidsChanged?: (pids: number[]) => void;

  constructor(
    private readonly plan: ClusterPlan,
    private readonly network: LabNetwork,
    private readonly dataDir: string,
    private readonly layoutPath: string,
    private readonly elapsed: () => string,
  ) {
    fs.mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
    for (const host of plan.hosts) this.managed.set(host.id, { host, paused: false, expectingExit: false });
    // Every gRPC channel of the lab runs over mutual TLS, as production does: a CA in <data>/tls on first run.
    this.tlsDirs = ensureLocalCertificates(path.join(dataDir, 'tls'), [...plan.hosts.map((h) => h.id), 'admin'], Date.now());
    this.security = { kind: 'mtls', tls: loadGrpcTls(this.tlsDirs.get('admin')!) };
  }

  private readonly tlsDirs: Map<string, string>;
  /** What the lab's own gRPC clients present (the admin certificate). */
  readonly security: GrpcSecurity;

  logFile(id: string): string {
    return path.join(this.dataDir, 'logs', `${id}.log`);
  }

  pids(): number[] {
    return [...this.managed.values()].map((m) => m.child?.pid).filter((p): p is number => typeof p === 'number');
  }

  pid(id: string): number | undefined {
    return this.managed.get(id)?.child?.pid;
  }

  isRunning(id: string): boolean {
    return !!this.managed.get(id)?.child;
  }

  private argsFor(host: LabHost): string[] {
    if (host.role === 'storage') {
      const s = host as StorageHost;
      return [
        STORAGE_ENTRY,
        '--id', s.id,
        '--zone', s.zone,
        '--listen', s.address,
        '--data-dir', path.join(this.dataDir, s.id),
        '--layout', this.layoutPath,
        '--metrics-port', String(s.metricsPort),
        '--grpc-tls-dir', this.tlsDirs.get(s.id)!,
      ];
    }
    const r = host as RouterHost;
    return [
      ROUTER_ENTRY,
      '--id', r.id,
      '--zone', r.zone,
      '--port', String(r.httpPort),
      '--host', r.ip,
      // The lab's addresses exist only inside this machine's network namespaces, and its load
      // driver does not sign: open mode, which a non-loopback address otherwise refuses.
      '--auth', 'open', '--auth-open-insecure',
      '--gossip-listen', r.gossipAddress,
      '--layout', this.layoutPath,
      '--grpc-tls-dir', this.tlsDirs.get(r.id)!,
    ];
  }

  private spawnHost(m: Managed): ChildProcess {
    const { host } = m;
    const log = fs.openSync(this.logFile(host.id), 'a');
    const command = [...this.network.wrap(host), process.execPath, '--import', 'tsx', ...this.argsFor(host)];
    const child = spawn(command[0], command.slice(1), {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.network.envFor(host) },
      stdio: ['ignore', log, log],
      detached: true,
    });
    fs.closeSync(log);
    m.child = child;
    m.paused = false;
    m.expectingExit = false;
    child.on('exit', (code, signal) => {
      if (m.child === child) m.child = undefined;
      if (!m.expectingExit) {
        this.unexpectedExits.push(`${host.id} code=${code} signal=${signal} at ${this.elapsed()}`);
        console.log(`[lab ${this.elapsed()}] ${host.id} exited unexpectedly (code ${code}, signal ${signal}); see ${this.logFile(host.id)}`);
      }
      this.onPidsChanged?.(this.pids());
    });
    child.on('error', (error) => console.log(`[lab ${this.elapsed()}] could not start ${host.id}: ${error.message}`));
    this.onPidsChanged?.(this.pids());
    return child;
  }

  /** Starts (or restarts) one process and resolves once it answers (gRPC ping / HTTP ready). */
  async start(id: string): Promise<void> {
    const m = this.managed.get(id)!;
    if (m.child) throw new Error(`${id} is already running`);
    const child = this.spawnHost(m);
    const ready =
      m.host.role === 'storage'
        ? () => storageAnswers((m.host as StorageHost).address, this.security)
        : () => httpOk(`${(m.host as RouterHost).endpoint}/health/ready`);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (m.child !== child) throw new Error(`${id} exited during start; see ${this.logFile(id)}`);
      if (await ready()) return;
      await delay(POLL_INTERVAL_MS);
    }
    throw new Error(`${id} did not become ready within ${START_TIMEOUT_MS / 1000} s; see ${this.logFile(id)}`);
  }

  /** Starts all storage nodes, then all routers (routers load the catalog from storage nodes). */
  async startAll(): Promise<void> {
    await Promise.all(this.plan.storage.map((s) => this.start(s.id)));
    await Promise.all(this.plan.routers.map((r) => this.start(r.id)));
  }

  /** SIGKILL, and resolves once the process is gone. */
  async kill9(id: string): Promise<void> {
    const m = this.managed.get(id)!;
    const child = m.child;
    if (!child) return;
    m.expectingExit = true;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  pause(id: string): void {
    const m = this.managed.get(id)!;
    if (!m.child) return;
    m.child.kill('SIGSTOP');
    m.paused = true;
  }

  resume(id: string): void {
    const m = this.managed.get(id)!;
    if (!m.child) return;
    m.child.kill('SIGCONT');
    m.paused = false;
  }

  /** Resumes paused processes, asks every process to stop (routers first), SIGKILLs those that linger. */
  async stopAll(timeoutMs: number): Promise<void> {
    const stop = async (m: Managed) => {
      const child = m.child;
      if (!child) return;
      m.expectingExit = true;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGCONT');
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    };
    const all = [...this.managed.values()];
    await Promise.all(all.filter((m) => m.host.role === 'router').map(stop));
    await Promise.all(all.filter((m) => m.host.role === 'storage').map(stop));
  }

  /** Last resort, synchronous: SIGKILL every live child (works on stopped processes too). */
  killAllSync(): void {
    for (const m of this.managed.values()) {
      if (!m.child?.pid) continue;
      m.expectingExit = true;
      try {
        process.kill(m.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
