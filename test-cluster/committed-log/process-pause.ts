/**
 * SIGSTOP and SIGCONT that resolve once the kernel shows the process stopped (or running again),
 * read from /proc/<pid>/stat: a test that reasons "both followers are stopped, so nothing can be
 * committed now" must know that they are, not only that the signal was sent.
 */
import fs from 'node:fs';
import { type LocalCluster } from '@triad/harness';

/** A signal takes effect within microseconds; this bound only stops a wait that would hang. */
const STATE_WAIT_MS_MAX = 5_000;
const STATE_POLL_MS = 2;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The process state letter of /proc/<pid>/stat ('R', 'S', 'T' stopped, ...), or undefined if it is gone. */
function processState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ...": comm may hold spaces and parentheses; the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

async function awaitState(pid: number, wanted: (state: string) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + STATE_WAIT_MS_MAX;
  for (;;) {
    const state = processState(pid);
    if (state === undefined) throw new Error(`process ${pid} is gone while waiting for it to be ${what}`);
    if (wanted(state)) return;
    if (Date.now() > deadline) throw new Error(`process ${pid} not ${what} after ${STATE_WAIT_MS_MAX} ms (state ${state})`);
    await delay(STATE_POLL_MS);
  }
}

function pidOf(cluster: LocalCluster, id: string): number {
  const pid = cluster.pid(id);
  if (pid === undefined) throw new Error(`${id} is not running`);
  return pid;
}

/** SIGSTOP `id`; resolves once it is stopped. */
export async function pauseProcess(cluster: LocalCluster, id: string): Promise<void> {
  const pid = pidOf(cluster, id);
  await cluster.signal(id, 'SIGSTOP');
  await awaitState(pid, (s) => s === 'T' || s === 't', 'stopped');
}

/** SIGCONT `id`; resolves once it is no longer stopped. */
export async function resumeProcess(cluster: LocalCluster, id: string): Promise<void> {
  const pid = cluster.pid(id);
  if (pid === undefined) return;
  await cluster.signal(id, 'SIGCONT');
  await awaitState(pid, (s) => s !== 'T' && s !== 't', 'running');
}
