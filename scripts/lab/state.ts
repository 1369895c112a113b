import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listLabLinks, listLabNamespaces, removeLabNetwork } from './netns-network';
import { ROUTER_ENTRY, STORAGE_ENTRY } from './processes';

/**
 * What a running lab has created, kept on disk so that `--cleanup` can remove it after a crash
 * (or a SIGKILL of the driver, which no handler can catch).
 */
export interface LabState {
  driverPid: number;
  startedAt: string;
  kind: 'netns' | 'loopback';
  dataDir: string;
  /** The lab made the data dir itself (a temp dir), so cleanup may delete it. */
  dataDirOwned: boolean;
  namespaces: string[];
  pids: number[];
}

export const STATE_FILE = path.join(os.tmpdir(), 'triad-lab-state.json');

export function readState(): LabState | undefined {
  try {
    return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

export function writeState(state: LabState): void {
  fs.writeFileSync(`${STATE_FILE}.tmp`, JSON.stringify(state, null, 2));
  fs.renameSync(`${STATE_FILE}.tmp`, STATE_FILE);
}

export function removeState(): void {
  fs.rmSync(STATE_FILE, { force: true });
}

function cmdline(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/** Whether `pid` is a live lab driver other than this process. */
export function isLabDriver(pid: number): boolean {
  if (pid === process.pid) return false;
  const cmd = cmdline(pid);
  return !!cmd && /scripts\/lab(\.ts)?\b/.test(cmd) && !cmd.includes('--cleanup');
}

/** Whether `pid` is still one of the cluster processes a lab started (a reused PID is left alone). */
function isLabClusterProcess(pid: number): boolean {
  const cmd = cmdline(pid);
  return !!cmd && (cmd.includes(STORAGE_ENTRY) || cmd.includes(ROUTER_ENTRY));
}

/** `--cleanup`: removes what a crashed run left behind. Returns the exit code. */
export function runCleanup(): number {
  const state = readState();
  if (state && isLabDriver(state.driverPid)) {
    console.error(`a lab run (pid ${state.driverPid}) is still running; stop it with Ctrl-C (or \`kill ${state.driverPid}\`) and it cleans up itself`);
    return 1;
  }
  const done: string[] = [];
  for (const pid of state?.pids ?? []) {
    if (!isLabClusterProcess(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
      done.push(`process ${pid}`);
    } catch {
      // gone meanwhile
    }
  }
  const canUseIp = typeof process.getuid !== 'function' || process.getuid() === 0;
  let leftovers: string[] = [];
  if (canUseIp) {
    const report = removeLabNetwork(state?.namespaces ?? []);
    done.push(...report.removed);
    leftovers = report.leftovers;
  } else if (listLabNamespaces().length > 0 || listLabLinks().length > 0) {
    leftovers = [...listLabNamespaces(), ...listLabLinks()];
    console.error('lab namespaces/links exist but removing them needs root');
  }
  if (state?.dataDirOwned && fs.existsSync(state.dataDir)) {
    fs.rmSync(state.dataDir, { recursive: true, force: true });
    done.push(`data dir ${state.dataDir}`);
  }
  removeState();
  console.log(done.length > 0 ? `removed:\n  ${done.join('\n  ')}` : 'nothing to clean up');
  if (leftovers.length > 0) {
    console.error(`still there: ${leftovers.join(', ')}`);
    return 1;
  }
  return 0;
}
