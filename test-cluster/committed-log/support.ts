/**
 * What the committed-log reproductions share: the switch that keeps them out of `npm test` until
 * the committed log lands, where each storage node's metrics and log are, and "settled" (every
 * hint replayed, then anti-entropy rounds on every node) as an awaited event with a deadline.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Ring, parseClusterLayout, type ClusterLayout } from '@triad/ring';
import { StorageNodeClient } from '@triad/rpc';
import { REPO_ROOT, eventually, scrapeMetrics, sumMetric, type LocalCluster } from '@triad/harness';

/** Failures 2 and 3 of issue 11 fail on the code before the committed log (3b011fb); see enabled.ts for which run when. */
export { describeCommittedLog, describeLongFault } from './enabled';

/** Anti-entropy period the tests start their nodes with (default 10 s): settling waits for two rounds. */
export const TEST_ANTI_ENTROPY_INTERVAL_MS = 1_000;
/** How long settling may take: hints replay every second, rounds run every TEST_ANTI_ENTROPY_INTERVAL_MS. */
const SETTLE_TIMEOUT_MS = 60_000;

/** A storage node's Prometheus endpoint (LocalCluster: basePort + 100 + its index among all storage nodes). */
export function storageMetricsUrl(cluster: LocalCluster, nodeId: string): string {
  const index = cluster.allStorageNodes.findIndex((n) => n.id === nodeId);
  if (index < 0) throw new Error(`no storage node ${nodeId}`);
  return `http://${cluster.options.host}:${cluster.options.basePort + 100 + index}/metrics`;
}

/** A metric of one storage node, summed over its labels (or those matching `where`). */
export async function nodeMetric(cluster: LocalCluster, nodeId: string, name: string, where: Record<string, string> = {}): Promise<number> {
  return sumMetric(await scrapeMetrics(storageMetricsUrl(cluster, nodeId)), name, where);
}

/** The log events of a process whose message is `message`, parsed (one JSON object per line). */
export function logEvents(dataDir: string, processId: string, message: string): Record<string, unknown>[] {
  const file = path.join(dataDir, 'logs', `${processId}.log`);
  if (!fs.existsSync(file)) return [];
  const events: Record<string, unknown>[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.includes(message)) continue;
    try {
      const event = JSON.parse(line) as Record<string, unknown>;
      if (event.message === message) events.push(event);
    } catch {
      // A line cut by a crash.
    }
  }
  return events;
}

/** One call to a storage node on a fresh channel, bounded by `deadlineMs`. */
export async function withNode<T>(cluster: LocalCluster, address: string, call: (client: StorageNodeClient) => Promise<T>, deadlineMs = 5_000): Promise<T> {
  const client = new StorageNodeClient(address, deadlineMs, cluster.grpcSecurity);
  try {
    return await call(client);
  } finally {
    client.close();
  }
}

/** The newest layout any of the nodes holds (a move or join changes it at run time). */
export async function newestLayout(cluster: LocalCluster, nodeIds: readonly string[]): Promise<ClusterLayout> {
  let newest: ClusterLayout = cluster.layout;
  for (const id of nodeIds) {
    try {
      const reply = await withNode(cluster, cluster.storageNode(id).address, (c) => c.getLayout({ knownEpoch: newest.epoch ?? 0 }));
      if (reply.layout.length > 0) newest = parseClusterLayout(JSON.parse(reply.layout.toString('utf8')));
    } catch {
      // A node that does not answer: the others know.
    }
  }
  return newest;
}

/**
 * Waits until the cluster has settled: no storage node holds a pending hint, and after that every
 * node has run two full anti-entropy rounds (its partitions compared with each peer replica, per
 * triad_anti_entropy_partitions_compared_total), then again no hint pending. What the replicas
 * hold afterwards is what they will keep.
 */
export async function settle(cluster: LocalCluster, nodeIds: readonly string[]): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  const left = () => Math.max(1_000, deadline - Date.now());
  const noHints = async () => {
    for (const id of nodeIds) {
      const pending = await nodeMetric(cluster, id, 'triad_hints_pending');
      if (pending !== 0) throw new Error(`${id} holds ${pending} hints`);
    }
  };
  await eventually('every hint replayed', noHints, { timeoutMs: left(), intervalMs: 250 });
  const ring = new Ring(await newestLayout(cluster, nodeIds));
  const perRound = new Map<string, number>();
  const start = new Map<string, number>();
  for (const id of nodeIds) {
    const mine = ring.partitionsOf(id);
    let comparisons = 0;
    for (const peer of ring.nodes) if (peer.id !== id) comparisons += mine.filter((p) => ring.replicaSet(p).some((n) => n.id === peer.id)).length;
    perRound.set(id, comparisons);
    start.set(id, await nodeMetric(cluster, id, 'triad_anti_entropy_partitions_compared_total'));
  }
  await eventually(
    'two anti-entropy rounds on every storage node',
    async () => {
      for (const id of nodeIds) {
        const done = (await nodeMetric(cluster, id, 'triad_anti_entropy_partitions_compared_total')) - start.get(id)!;
        if (done < 2 * perRound.get(id)!) throw new Error(`${id} compared ${done} partitions of ${2 * perRound.get(id)!}`);
      }
    },
    { timeoutMs: left(), intervalMs: 250 },
  );
  await eventually('every hint replayed after the rounds', noHints, { timeoutMs: left(), intervalMs: 250 });
}

/** A run of the admin CLI (`triad …`) against a test cluster, whose output the test follows. */
export interface CliRun {
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Resolves with the first match of `pattern` in its output, or undefined once it exited or `timeoutMs` passed. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray | undefined>;
  /** Resolves with its exit code (-1 when killed). */
  exited: Promise<number>;
  /** SIGKILL (a crash of the operator's command); resolves once it exited. */
  kill(): Promise<number>;
}

/** Starts `triad <args> --layout <the cluster's layout file>` with extra environment (e.g. its own TRIAD_FAULT_FILE). */
export function startCli(cluster: LocalCluster, args: readonly string[], env: Record<string, string> = {}): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'packages/cli/src/main.ts'), ...args, '--layout', cluster.layoutFile], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((listener) => listener());
  child.stdout.on('data', (chunk: Buffer) => ((text += chunk.toString()), changed()));
  child.stderr.on('data', (chunk: Buffer) => ((text += chunk.toString()), changed()));
  let exitCode: number | undefined;
  const exited = new Promise<number>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code ?? -1;
      resolve(exitCode);
      changed();
    }),
  );
  return {
    output: () => text,
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve) => {
        const check = () => {
          const match = pattern.exec(text);
          if (match || exitCode !== undefined) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(match ?? undefined);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          resolve(undefined);
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    exited,
    kill: () => {
      if (exitCode === undefined) child.kill('SIGKILL');
      return exited;
    },
  };
}

/** The CLI's exit code once it exits, or after `timeoutMs` it is killed (-1). */
export async function exitWithin(run: CliRun, timeoutMs: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<number>((resolve) => (timer = setTimeout(() => resolve(run.kill()), timeoutMs)));
  try {
    return await Promise.race([run.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}
