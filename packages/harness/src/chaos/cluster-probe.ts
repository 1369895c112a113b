/**
 * Looks at a running LocalCluster from outside, as the chaos checks need it: which processes exist
 * and where (storage gRPC, router gossip, metrics), Prometheus metrics, Merkle roots per replica,
 * pings. Nothing here changes the cluster.
 */
import http from 'node:http';
import { Ring, layoutEpoch, parseClusterLayout, type ClusterLayout, type StorageNodeInfo } from '@triad/ring';
import { StorageNodeClient, type NodeStatusReply } from '@triad/rpc';
import type { LocalCluster } from '../local-cluster/local-cluster';

/** One gRPC call from the probe may take this long: a paused node must not stall a poll for long. */
const PROBE_CALL_DEADLINE_MS = 2_000;
/** One metrics scrape may take this long. */
const SCRAPE_TIMEOUT_MS = 2_000;

/** A process of the cluster as the fault injector and the probe see it. */
export interface ClusterProcess {
  id: string;
  zone: string;
  role: 'storage' | 'router';
  /** The address its peers call it at over gRPC: storage service, or the router's gossip listener. */
  grpcAddress: string;
  metricsUrl: string;
}

/**
 * Every storage node and router of the cluster, with their addresses (as LocalCluster assigns
 * them): the layout file's storage nodes, and those started since to join (startExtraNode).
 */
export function clusterProcesses(cluster: LocalCluster): ClusterProcess[] {
  const { host, basePort } = cluster.options;
  const storage: ClusterProcess[] = cluster.allStorageNodes.map((node, i) => ({
    id: node.id,
    zone: node.zone,
    role: 'storage',
    grpcAddress: node.address,
    metricsUrl: `http://${host}:${basePort + 100 + i}/metrics`,
  }));
  const routers: ClusterProcess[] = cluster.routers.map((router, j) => ({
    id: router.id,
    zone: router.zone,
    role: 'router',
    // Routers gossip on basePort + 50 + j (see LocalCluster.startRouter).
    grpcAddress: `${host}:${basePort + 50 + j}`,
    metricsUrl: `http://${host}:${router.port}/metrics`,
  }));
  return [...storage, ...routers];
}

/** One sample of a Prometheus text exposition. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (the subset prom-client writes: no timestamps, no exemplars). */
export function parsePrometheusText(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    if (match[3]) {
      for (const pair of match[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    }
    const value = Number(match[4]);
    if (!Number.isNaN(value)) samples.push({ name: match[1], labels, value });
  }
  return samples;
}

/** Fetches and parses one process's /metrics. */
export function scrapeMetrics(url: string): Promise<MetricSample[]> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${url} answered ${res.statusCode}`));
        else resolve(parsePrometheusText(Buffer.concat(chunks).toString('utf8')));
      });
    });
    req.setTimeout(SCRAPE_TIMEOUT_MS, () => req.destroy(new Error(`${url} did not answer within ${SCRAPE_TIMEOUT_MS} ms`)));
    req.on('error', reject);
  });
}

/** The sum of a metric's samples, optionally only those whose labels match `where`. */
export function sumMetric(samples: readonly MetricSample[], name: string, where: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

/** Whether any sample of the metric exists (a metric a build does not have yet reads as absent, not 0). */
export function hasMetric(samples: readonly MetricSample[], name: string): boolean {
  return samples.some((s) => s.name === name);
}

export class ClusterProbe {
  private layout: ClusterLayout;
  private currentRing: Ring;

  constructor(readonly cluster: LocalCluster) {
    this.layout = cluster.layout;
    this.currentRing = new Ring(cluster.layout);
  }

  /** The ring of the newest layout seen (see refreshLayout): the layout file's until a join or decommission. */
  get ring(): Ring {
    return this.currentRing;
  }

  /** Every process started so far, storage nodes that joined included. */
  get processes(): ClusterProcess[] {
    return clusterProcesses(this.cluster);
  }

  /** The storage nodes of the current layout (a node that is joining is one already). */
  get storageNodes(): StorageNodeInfo[] {
    return this.ring.nodes;
  }

  /**
   * Asks every storage node started so far for its layout and adopts the newest: after a join or
   * decommission, replica sets (and so the partitions to compare) change. Nodes that do not answer
   * are skipped. Returns the layout adopted.
   */
  async refreshLayout(): Promise<ClusterLayout> {
    const replies = await Promise.all(
      this.cluster.allStorageNodes.map((node) => this.withNode(node, (c) => c.getLayout({ knownEpoch: layoutEpoch(this.layout) })).catch(() => undefined)),
    );
    for (const reply of replies) {
      if (!reply || reply.layout.length === 0) continue;
      const layout = parseClusterLayout(JSON.parse(reply.layout.toString('utf8')));
      if (layoutEpoch(layout) > layoutEpoch(this.layout)) this.layout = layout;
    }
    if (this.currentRing.epoch !== layoutEpoch(this.layout)) this.currentRing = new Ring(this.layout);
    return this.layout;
  }

  /** A storage node's NodeStatus (partitions held and led, draining, moves), or undefined if it does not answer. */
  async nodeStatus(nodeId: string): Promise<NodeStatusReply | undefined> {
    const node = this.cluster.allStorageNodes.find((n) => n.id === nodeId);
    if (!node) throw new Error(`no storage node ${nodeId}`);
    return this.withNode(node, (c) => c.nodeStatus({})).catch(() => undefined);
  }

  /** The leader each node that answers claims, by partition (a partition two nodes claim lists the first to answer). */
  async leaders(): Promise<Map<number, string>> {
    const leaders = new Map<number, string>();
    const statuses = await Promise.all(this.storageNodes.map(async (n) => [n.id, await this.nodeStatus(n.id)] as const));
    for (const [id, status] of statuses) for (const p of status?.partitionsLed ?? []) if (!leaders.has(p)) leaders.set(p, id);
    return leaders;
  }

  process(id: string): ClusterProcess {
    const found = this.processes.find((p) => p.id === id);
    if (!found) throw new Error(`no process ${id}`);
    return found;
  }

  /**
   * Runs one call against a storage node on a fresh channel: a reused channel to a node that was
   * just restarted fails fast through its reconnect backoff for up to 2 s.
   */
  async withNode<T>(node: StorageNodeInfo, call: (client: StorageNodeClient) => Promise<T>): Promise<T> {
    const client = new StorageNodeClient(node.address, PROBE_CALL_DEADLINE_MS, this.cluster.grpcSecurity);
    try {
      return await call(client);
    } finally {
      client.close();
    }
  }

  /** The storage nodes that do not answer a ping (not running, paused, or not yet listening). */
  async unresponsiveNodes(): Promise<string[]> {
    const answers = await Promise.all(
      this.storageNodes.map((node) =>
        this.withNode(node, (c) => c.ping({ from: 'chaos-probe' })).then(
          () => undefined,
          () => node.id,
        ),
      ),
    );
    return answers.filter((id): id is string => id !== undefined);
  }

  /** Every partition id, data partitions and the system (catalog) partition. */
  get partitions(): number[] {
    return Array.from({ length: this.ring.partitionCount + 1 }, (_, p) => p);
  }

  /**
   * The Merkle root of every partition on every node that answers, by node id (partition → root,
   * only for partitions the node replicates). A node that does not answer is absent.
   */
  async merkleRoots(): Promise<Map<string, Map<number, string>>> {
    const result = new Map<string, Map<number, string>>();
    await Promise.all(
      this.storageNodes.map(async (node) => {
        const partitions = this.ring.partitionsOf(node.id);
        try {
          const { roots } = await this.withNode(node, (c) => c.merkleRoots({ partitions }));
          result.set(node.id, new Map(partitions.map((p, i) => [p, roots[i]])));
        } catch {
          // Absent: the caller reports the node as not answering.
        }
      }),
    );
    return result;
  }

  /**
   * The partitions whose replicas do not (yet) hold identical data: a replica that did not answer,
   * or roots that differ, with a one-line reason each.
   */
  async divergentPartitions(): Promise<Map<number, string>> {
    const roots = await this.merkleRoots();
    const divergent = new Map<number, string>();
    for (const p of this.partitions) {
      const replicas = this.ring.replicaSet(p);
      const missing = replicas.filter((n) => !roots.has(n.id)).map((n) => n.id);
      if (missing.length > 0) {
        divergent.set(p, `no answer from ${missing.join(', ')}`);
        continue;
      }
      const values = replicas.map((n) => roots.get(n.id)!.get(p)!);
      if (new Set(values).size > 1) {
        divergent.set(p, replicas.map((n, i) => `${n.id}=${values[i].slice(0, 12)}`).join(' '));
      }
    }
    return divergent;
  }

  /** Metrics of every storage node that answers, by node id. */
  async storageMetrics(): Promise<Map<string, MetricSample[]>> {
    const result = new Map<string, MetricSample[]>();
    const inLayout = new Set(this.storageNodes.map((n) => n.id));
    await Promise.all(
      this.processes
        .filter((p) => p.role === 'storage' && inLayout.has(p.id))
        .map(async (p) => {
          try {
            result.set(p.id, await scrapeMetrics(p.metricsUrl));
          } catch {
            // Absent: not running or paused.
          }
        }),
    );
    return result;
  }

  /** A gauge per storage node (summed over its labels); undefined for a node that did not answer. */
  async gaugePerNode(name: string): Promise<Map<string, number | undefined>> {
    const metrics = await this.storageMetrics();
    const result = new Map<string, number | undefined>();
    for (const node of this.storageNodes) {
      const samples = metrics.get(node.id);
      result.set(node.id, samples ? sumMetric(samples, name) : undefined);
    }
    return result;
  }

  /** triad_hints_pending per storage node (summed over targets). */
  hintsPending(): Promise<Map<string, number | undefined>> {
    return this.gaugePerNode('triad_hints_pending');
  }

  /** triad_learner_partitions per storage node: partitions it replicates without a vote (it lost its data). */
  learnerPartitions(): Promise<Map<string, number | undefined>> {
    return this.gaugePerNode('triad_learner_partitions');
  }

  /** triad_gsi_pending_updates per storage node: outbox records its led partitions have yet to deliver. */
  gsiPendingUpdates(): Promise<Map<string, number | undefined>> {
    return this.gaugePerNode('triad_gsi_pending_updates');
  }

  /**
   * A histogram summed over the storage nodes that answer: count, sum, and the smallest bucket
   * bound that holds every observation (Infinity when some fell beyond the last bucket). Histograms
   * restart with their process: lower bounds.
   */
  async storageHistogram(name: string): Promise<{ count: number; sum: number; maxBound: number } | undefined> {
    const metrics = await this.storageMetrics();
    const all = [...metrics.values()].flat();
    if (!hasMetric(all, `${name}_count`)) return undefined;
    const count = sumMetric(all, `${name}_count`);
    const buckets = new Map<number, number>();
    for (const s of all) {
      if (s.name !== `${name}_bucket`) continue;
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + s.value);
    }
    const maxBound = [...buckets].filter(([, n]) => n >= count).reduce((min, [le]) => Math.min(min, le), Infinity);
    return { count, sum: sumMetric(all, `${name}_sum`), maxBound };
  }

  /** A storage-wide counter summed over the nodes that answer (counters restart at 0 with their process). */
  async storageCounter(name: string): Promise<number | undefined> {
    const metrics = await this.storageMetrics();
    let any = false;
    let sum = 0;
    for (const samples of metrics.values()) {
      if (hasMetric(samples, name)) any = true;
      sum += sumMetric(samples, name);
    }
    return any ? sum : undefined;
  }

  /** triad_partitions_led per storage node that answers and exports it. */
  async partitionsLed(): Promise<Map<string, number>> {
    const metrics = await this.storageMetrics();
    const result = new Map<string, number>();
    for (const [id, samples] of metrics) if (hasMetric(samples, 'triad_partitions_led')) result.set(id, sumMetric(samples, 'triad_partitions_led'));
    return result;
  }

  /**
   * A node that leads partitions now, and how many: the one leading the most (of `among`, if
   * given), per triad_partitions_led (ties broken by `pick`). Without that metric (a build before elections,
   * where the router takes the first replica of the ring's order that it sees up), the ring's
   * first running replica of a partition chosen by `pick`.
   */
  async busiestLeader(pick: <T>(items: readonly T[]) => T, among?: readonly string[]): Promise<{ node: string; partitionsLed?: number }> {
    const led = await this.partitionsLed();
    if (among) for (const id of [...led.keys()]) if (!among.includes(id)) led.delete(id);
    if (led.size > 0) {
      const most = Math.max(...led.values());
      return { node: pick([...led].filter(([, n]) => n === most).map(([id]) => id).sort()), partitionsLed: most };
    }
    const replicas = this.ring.replicaSet(pick(this.partitions.slice(0, -1))).filter((n) => !among || among.includes(n.id));
    if (replicas.length === 0) return { node: pick(among!) };
    return { node: (replicas.find((n) => this.cluster.isRunning(n.id)) ?? replicas[0]).id };
  }
}
