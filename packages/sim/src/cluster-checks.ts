import { sleep, type SimulatedEnvironment, type TimerHandle } from '@triad/runtime';
import { Ring } from '@triad/ring';
import type { SimCluster } from './sim-cluster';
import { newestLayout } from './placement-checks';
import { LEADER_SAMPLE_INTERVAL_MS, VIOLATIONS_KEPT_MAX } from './limits';

/**
 * Watches every running node's serving leaderships (in its own process, no message) every
 * LEADER_SAMPLE_INTERVAL_MS of simulated time: at most one node serves a partition at any instant
 * (leases), and a term of a partition has at most one leader over the whole run (elections).
 * Samples, not every event: a violation shorter than the interval may go unseen.
 */
export class LeadershipMonitor {
  readonly violations: string[] = [];
  samples = 0;
  private readonly leaderOfTerm = new Map<string, string>();
  private timer?: TimerHandle;

  constructor(
    private readonly cluster: SimCluster,
    private readonly env: SimulatedEnvironment,
  ) {}

  start(): void {
    this.timer = this.env.setInterval(() => this.sample(), LEADER_SAMPLE_INTERVAL_MS);
  }

  stop(): void {
    this.env.clearInterval(this.timer);
  }

  private violation(text: string): void {
    if (this.violations.length < VIOLATIONS_KEPT_MAX) this.violations.push(`${this.cluster.simulator.nowMs.toFixed(3)} ${text}`);
  }

  sample(): void {
    this.samples++;
    const servingNow = new Map<number, string[]>();
    for (const [id, n] of this.cluster.nodes) {
      const node = n.process?.node;
      if (!node) continue;
      for (const [partition, term] of node.inspection.servingLeaderships()) {
        const at = `${partition}:${term}`;
        const known = this.leaderOfTerm.get(at);
        if (known === undefined) this.leaderOfTerm.set(at, id);
        else if (known !== id) this.violation(`partition ${partition} term ${term} has two leaders: ${known} and ${id}`);
        const serving = servingNow.get(partition) ?? [];
        serving.push(`${id} (term ${term})`);
        servingNow.set(partition, serving);
      }
    }
    for (const [partition, serving] of servingNow) {
      if (serving.length > 1) this.violation(`partition ${partition} served by ${serving.length} leaders at once: ${serving.join(', ')}`);
    }
  }
}

/** Every partition (data and system) has a node serving it as leader. */
export function everyPartitionLed(cluster: SimCluster): boolean {
  const led = new Set<number>();
  for (const n of cluster.nodes.values()) for (const p of n.process?.node?.inspection.servingLeaderships().keys() ?? []) led.add(p);
  return led.size === cluster.layout.partitionCount + 1;
}

/** Partitions replicated as learners, over every running node. */
export async function learnerPartitions(cluster: SimCluster): Promise<number> {
  let total = 0;
  for (const n of cluster.nodes.values()) if (n.process?.node) total += await n.process.node.inspection.learnerPartitions();
  return total;
}

/** Hints not yet handed off, over every running node. */
export function hintsPending(cluster: SimCluster): number {
  let total = 0;
  for (const n of cluster.nodes.values()) total += n.process?.node?.inspection.hintsPending() ?? 0;
  return total;
}

/**
 * Partitions whose replicas' Merkle roots differ, as each node's MerkleRoots service answers; the
 * replicas are those of the newest layout the nodes hold (after joins and decommissions; in a
 * cluster of three every node holds every partition). A replica that does not answer counts as
 * differing.
 */
export async function divergentPartitions(cluster: SimCluster): Promise<string[]> {
  const ring = new Ring(await newestLayout(cluster));
  const partitions = Array.from({ length: cluster.layout.partitionCount + 1 }, (_, p) => p);
  const roots = new Map<string, string[] | undefined>();
  for (const n of ring.nodes) {
    try {
      roots.set(n.id, (await cluster.probe(n.id).merkleRoots({ partitions })).roots);
    } catch {
      roots.set(n.id, undefined);
    }
  }
  const differing: string[] = [];
  for (const p of partitions) {
    const replicas = ring.replicaSet(p).map((n) => [n.id, roots.get(n.id)] as const);
    const seen = new Set(replicas.map(([, r]) => r?.[p] ?? 'no answer'));
    if (seen.size > 1) differing.push(`partition ${p}: ${replicas.map(([id, r]) => `${id} ${r?.[p]?.slice(0, 12) ?? 'no answer'}`).join(', ')}`);
  }
  return differing;
}

/** Waits (in simulated time, polling) until `done` holds; false if it did not within `limitMs`. */
export async function eventually(cluster: SimCluster, env: SimulatedEnvironment, limitMs: number, done: () => Promise<boolean> | boolean, pollMs = 500): Promise<boolean> {
  const deadline = cluster.simulator.nowMs + limitMs;
  for (;;) {
    if (await done()) return true;
    if (cluster.simulator.nowMs >= deadline) return false;
    await sleep(env, pollMs);
  }
}
