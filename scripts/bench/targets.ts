/**
 * Benchmark targets: spawning and stopping the local Triad cluster and
 * dynalite, or pointing at an already-running endpoint.
 *
 * Spawned servers run in their own process group (detached) so a Ctrl-C in the
 * terminal reaches only the benchmark, which then shuts them down in order.
 * Every process we spawn is registered so that an abnormal exit of the
 * benchmark still SIGKILLs it (synchronously, from the 'exit' handler).
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DynamoHttpClient } from './http-client';

export type TargetKind = 'triad' | 'dynalite' | 'url';

/**
 * How a Triad target runs: as npm start does, with authentication enforced (and HTTPS), with gRPC
 * in plaintext and no encryption at rest, or from another checkout (`tree`) as its own launcher does.
 */
export type TriadVariant = 'default' | 'auth' | 'secure' | 'plain' | 'tree';

/** Storage and gossip ports of each variant's cluster (the default one keeps npm start's, 7100 up). */
const VARIANT_BASE_PORTS = { auth: 7400, secure: 7700, plain: 9100, tree: 9400 } as const;

/** The key a secure target enforces and the load generator signs with. */
export const BENCH_CREDENTIALS = { accessKeyId: 'TRIADBENCHKEY0000001', secretAccessKey: 'bench-secret-0123456789-abcdefghijklmnop' };

export interface RunningTarget {
  name: string;
  kind: TargetKind;
  endpoint: string;
  /** Extra facts for the report (pid, data dir, ...). */
  details: string[];
  /** Credentials its requests must be signed with (a target that enforces authentication). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Cumulative CPU seconds of the server process tree (Linux, spawned targets only). */
  cpuSeconds?: () => number | undefined;
  /** Registers a callback for an unexpected exit of the server process. */
  onUnexpectedExit(cb: (why: string) => void): void;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------
// process bookkeeping

interface ProcIdentity {
  pid: number;
  startTime: string;
}

const liveChildren = new Set<ChildProcess>();
const extraPids = new Map<number, ProcIdentity>();

/** Synchronous last-resort kill of everything we spawned (their process groups and known descendants). */
export function killAllChildrenSync(): void {
  for (const child of liveChildren) {
    if (child.pid === undefined) continue;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* group gone */
    }
    try {
      child.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const id of extraPids.values()) killIfSame(id, 'SIGKILL');
  liveChildren.clear();
  extraPids.clear();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// /proc helpers (Linux): process tree CPU and descendants

interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  state: string;
  cpuTicks: number;
  startTime: string;
}

const CLK_TCK = 100; // USER_HZ; 100 on every mainstream Linux configuration

function readProcStat(pid: number): ProcStat | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); field k is rest[k - 3]
    return {
      pid,
      state: rest[0],
      ppid: Number(rest[1]),
      pgrp: Number(rest[2]),
      cpuTicks: Number(rest[11]) + Number(rest[12]),
      startTime: rest[19],
    };
  } catch {
    return undefined;
  }
}

function allProcs(): ProcStat[] {
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const n of names) {
    if (n.charCodeAt(0) < 48 || n.charCodeAt(0) > 57) continue;
    const st = readProcStat(Number(n));
    if (st) out.push(st);
  }
  return out;
}

/** rootPid and all its live descendants. */
function processTree(rootPid: number): ProcStat[] {
  const procs = allProcs();
  const byParent = new Map<number, ProcStat[]>();
  let root: ProcStat | undefined;
  for (const p of procs) {
    if (p.pid === rootPid) root = p;
    const list = byParent.get(p.ppid);
    if (list) list.push(p);
    else byParent.set(p.ppid, [p]);
  }
  if (!root) return [];
  const out: ProcStat[] = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    for (const c of byParent.get(p.pid) ?? []) stack.push(c);
  }
  return out;
}

function killIfSame(id: ProcIdentity, signal: NodeJS.Signals): boolean {
  const st = readProcStat(id.pid);
  if (!st || st.startTime !== id.startTime) return false;
  try {
    process.kill(id.pid, signal);
    return true;
  } catch {
    return false;
  }
}

function alive(id: ProcIdentity): boolean {
  const st = readProcStat(id.pid);
  return !!st && st.startTime === id.startTime && st.state !== 'Z';
}

/** Whether any non-zombie process is left in process group `pgid`. */
function groupAlive(pgid: number): boolean {
  if (process.platform === 'linux') return allProcs().some((p) => p.pgrp === pgid && p.state !== 'Z');
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// spawned server

interface SpawnOptions {
  name: string;
  kind: TargetKind;
  command: string;
  args: string[];
  cwd: string;
  verbose: boolean;
  log: (line: string) => void;
}

/** Keeps the last lines of a child's output for error reports. */
class TailBuffer {
  private readonly lines: string[] = [];
  constructor(private readonly max = 80) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  text(): string {
    return this.lines.map((l) => `    | ${l}`).join('\n');
  }
}

class SpawnedServer {
  readonly child: ChildProcess;
  readonly tail = new TailBuffer();
  exitInfo?: string;
  readonly exited: Promise<string>;
  private stopping = false;
  private exitListeners: Array<(why: string) => void> = [];
  private lineListeners: Array<(line: string) => void> = [];

  constructor(private readonly o: SpawnOptions) {
    this.child = spawn(o.command, o.args, {
      cwd: o.cwd,
      detached: true, // own process group: terminal Ctrl-C goes to the benchmark only
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    liveChildren.add(this.child);
    this.exited = new Promise<string>((resolve) => {
      this.child.on('exit', (code, signal) => {
        liveChildren.delete(this.child);
        this.exitInfo = signal ? `signal ${signal}` : `exit code ${code}`;
        resolve(this.exitInfo);
        if (!this.stopping) for (const l of this.exitListeners) l(`${o.name} exited unexpectedly (${this.exitInfo})`);
      });
      this.child.on('error', (err) => {
        liveChildren.delete(this.child);
        this.exitInfo = `spawn error: ${err.message}`;
        resolve(this.exitInfo);
        if (!this.stopping) for (const l of this.exitListeners) l(`${o.name}: ${this.exitInfo}`);
      });
    });
    for (const [stream, tag] of [
      [this.child.stdout, 'out'],
      [this.child.stderr, 'err'],
    ] as const) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) this.line(line, tag);
      });
      stream?.on('end', () => {
        if (partial) this.line(partial, tag);
        partial = '';
      });
    }
  }

  private line(line: string, tag: string): void {
    this.tail.push(line);
    if (this.o.verbose) this.o.log(`[${this.o.name} ${tag}] ${line}`);
    for (const l of this.lineListeners) l(line);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  onLine(l: (line: string) => void): void {
    this.lineListeners.push(l);
  }

  onUnexpectedExit(l: (why: string) => void): void {
    this.exitListeners.push(l);
  }

  cpuSeconds(): number | undefined {
    if (process.platform !== 'linux' || this.pid === undefined || !this.running) return undefined;
    const tree = processTree(this.pid);
    if (!tree.length) return undefined;
    let ticks = 0;
    for (const p of tree) ticks += p.cpuTicks;
    return ticks / CLK_TCK;
  }

  /**
   * Stop like a terminal Ctrl-C would: SIGINT to the server's whole process
   * group (`npx` runs the command through `sh -c`, which does not forward
   * signals, so signalling only the direct child is not enough; tsx notices
   * its child already got the signal and does not send a second one). Then
   * wait until the group and every descendant seen before are gone: after
   * `graceMs / 2` SIGINT again, after `graceMs` SIGKILL everything.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const pid = this.pid;
    if (pid === undefined) return;
    const tree = process.platform === 'linux' ? processTree(pid).filter((p) => p.pid !== pid) : [];
    const descendants: ProcIdentity[] = tree.map((p) => ({ pid: p.pid, startTime: p.startTime }));
    // Descendants that left our process group do not get the group signal: signal them one by one.
    const outsiders: ProcIdentity[] = tree.filter((p) => p.pgrp !== pid).map((p) => ({ pid: p.pid, startTime: p.startTime }));
    for (const d of descendants) extraPids.set(d.pid, d);
    const signalAll = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pid, sig);
      } catch {
        if (this.running) {
          try {
            this.child.kill(sig);
          } catch {
            /* gone */
          }
        }
      }
      for (const d of sig === 'SIGKILL' ? descendants : outsiders) killIfSame(d, sig);
    };
    const anythingLeft = () => this.running || groupAlive(pid) || descendants.some(alive);
    const waitGone = async (ms: number): Promise<boolean> => {
      const until = Date.now() + ms;
      while (anythingLeft()) {
        if (Date.now() >= until) return false;
        await sleep(100);
      }
      return true;
    };

    signalAll('SIGINT');
    if (!(await waitGone(graceMs / 2))) {
      this.o.log(`${this.o.name}: still running ${graceMs / 2000} s after SIGINT, sending SIGINT again`);
      signalAll('SIGINT');
      if (!(await waitGone(graceMs / 2))) {
        this.o.log(`${this.o.name}: still running ${graceMs / 1000} s after SIGINT, sending SIGKILL`);
        signalAll('SIGKILL');
        await waitGone(5000);
      }
    }
    for (const d of descendants) extraPids.delete(d.pid);
  }
}

function startupError(server: SpawnedServer, what: string): Error {
  return new Error(`${what}\n  last output:\n${server.tail.text() || '    (none)'}`);
}

// ---------------------------------------------------------------------------
// concrete targets

export interface TargetOptions {
  repoRoot: string;
  verbose: boolean;
  startTimeoutSec: number;
  stopGraceSec: number;
  keepData: boolean;
  log: (line: string) => void;
  /** Aborts a server start that is still waiting for readiness. */
  signal?: AbortSignal;
}

/** A checkout's commit (short), or its directory's name when git cannot tell. */
function checkoutName(root: string): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return path.basename(root);
  }
}

export async function startTriad(o: TargetOptions & { script: string; variant?: TriadVariant; extraArgs?: readonly string[] }): Promise<RunningTarget> {
  const variant = o.variant ?? 'default';
  const name = variant === 'default' ? 'triad' : variant === 'tree' ? `triad@${checkoutName(o.repoRoot)}` : `triad-${variant}`;
  const scriptPath = path.resolve(o.repoRoot, o.script);
  if (!fs.existsSync(scriptPath)) throw new Error(`cluster script not found: ${scriptPath}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-bench-'));
  const port = await freePort();
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  const args = ['tsx', o.script, '--data-dir', dataDir, '--port', String(port)];
  // Clusters of two variants run side by side: their storage nodes need ports of their own.
  if (variant !== 'default') args.push('--base-port', String(VARIANT_BASE_PORTS[variant]));
  if (variant === 'auth' || variant === 'secure') {
    const credentialsFile = path.join(dataDir, 'bench-credentials');
    fs.writeFileSync(credentialsFile, `${BENCH_CREDENTIALS.accessKeyId} ${BENCH_CREDENTIALS.secretAccessKey}\n`, { mode: 0o600 });
    args.push('--auth', 'enforce', '--credentials', credentialsFile);
  }
  if (variant === 'secure') args.push('--https');
  if (variant === 'plain') args.push('--grpc-insecure', '--encryption-at-rest', 'off');
  args.push(...(o.extraArgs ?? []));
  o.log(`${name}: starting \`npx ${args.join(' ')}\``);
  const server = new SpawnedServer({ name, kind: 'triad', command: npx, args, cwd: o.repoRoot, verbose: o.verbose, log: o.log });

  const removeData = () => {
    if (o.keepData) o.log(`${name}: keeping data dir ${dataDir}`);
    else fs.rmSync(dataDir, { recursive: true, force: true });
  };

  let endpoint: string;
  try {
    endpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(startupError(server, `${name}: no "ready at http://..." line within ${o.startTimeoutSec} s`)),
        o.startTimeoutSec * 1000,
      );
      server.onLine((line) => {
        const m = /ready at (https?:\/\/[^\s"'<>]+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1].replace(/[.,;)]+$/, ''));
        }
      });
      void server.exited.then((why) => {
        clearTimeout(timer);
        reject(startupError(server, `${name}: cluster process ended before it was ready (${why})`));
      });
      const onAbort = () => {
        clearTimeout(timer);
        reject(new Error('triad: start interrupted'));
      };
      if (o.signal?.aborted) onAbort();
      else o.signal?.addEventListener('abort', onAbort, { once: true });
    });
  } catch (err) {
    await server.stop(o.stopGraceSec * 1000);
    removeData();
    throw err;
  }
  o.log(`${name}: ready at ${endpoint}`);
  return {
    name,
    kind: 'triad',
    credentials: variant === 'auth' || variant === 'secure' ? BENCH_CREDENTIALS : undefined,
    endpoint,
    details: [`pid ${server.pid}`, `data dir ${dataDir}`, `requested port ${port}`],
    cpuSeconds: () => server.cpuSeconds(),
    onUnexpectedExit: (cb) => server.onUnexpectedExit(cb),
    stop: async () => {
      o.log(`${name}: stopping (SIGINT)`);
      await server.stop(o.stopGraceSec * 1000);
      o.log(`${name}: stopped (${server.exitInfo ?? 'unknown'})`);
      removeData();
    },
  };
}

export async function startDynalite(o: TargetOptions & { dataPath?: string }): Promise<RunningTarget> {
  const cli = path.join(o.repoRoot, 'node_modules', 'dynalite', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`dynalite not installed (missing ${cli}); run npm install`);
  const port = await freePort();
  const args = [cli, '--port', String(port), '--host', '127.0.0.1'];
  if (o.dataPath) {
    fs.mkdirSync(o.dataPath, { recursive: true });
    args.push('--path', path.resolve(o.dataPath));
  }
  o.log(`dynalite: starting \`node ${path.relative(o.repoRoot, cli)} ${args.slice(1).join(' ')}\``);
  const server = new SpawnedServer({
    name: 'dynalite',
    kind: 'dynalite',
    command: process.execPath,
    args,
    cwd: o.repoRoot,
    verbose: o.verbose,
    log: o.log,
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const probe = new DynamoHttpClient(endpoint, 1, 2000);
  try {
    const deadline = Date.now() + o.startTimeoutSec * 1000;
    for (;;) {
      if (o.signal?.aborted) throw new Error('dynalite: start interrupted');
      if (!server.running) throw startupError(server, `dynalite: process ended before it was ready (${server.exitInfo})`);
      const r = await probe.call('ListTables', '{}');
      if (r.ok) break;
      if (Date.now() > deadline) {
        throw startupError(server, `dynalite: ListTables did not succeed within ${o.startTimeoutSec} s (last: ${r.errorType})`);
      }
      await sleep(100);
    }
  } catch (err) {
    probe.close();
    await server.stop(o.stopGraceSec * 1000);
    throw err;
  }
  probe.close();
  o.log(`dynalite: ready at ${endpoint}`);
  return {
    name: 'dynalite',
    kind: 'dynalite',
    endpoint,
    details: [`pid ${server.pid}`, o.dataPath ? `LevelDB path ${path.resolve(o.dataPath)}` : 'in-memory'],
    cpuSeconds: () => server.cpuSeconds(),
    onUnexpectedExit: (cb) => server.onUnexpectedExit(cb),
    stop: async () => {
      o.log('dynalite: stopping (SIGINT)');
      await server.stop(o.stopGraceSec * 1000);
      o.log(`dynalite: stopped (${server.exitInfo ?? 'unknown'})`);
    },
  };
}

export async function useEndpoint(endpoint: string, o: TargetOptions): Promise<RunningTarget> {
  const url = new URL(endpoint); // validates
  const probe = new DynamoHttpClient(endpoint, 1, 5000);
  try {
    const r = await probe.call('ListTables', '{}');
    if (!r.ok) throw new Error(`ListTables against ${endpoint} failed: ${r.errorType}${r.message ? ` (${r.message})` : ''}`);
  } finally {
    probe.close();
  }
  o.log(`endpoint ${endpoint} answers ListTables`);
  return {
    name: url.host,
    kind: 'url',
    endpoint,
    details: ['already running (not managed by the benchmark)'],
    onUnexpectedExit: () => undefined,
    stop: async () => undefined,
  };
}
