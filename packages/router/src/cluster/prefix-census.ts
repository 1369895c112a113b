import type { PrefixStat, PrefixStatsReply } from '@triad/rpc';

/**
 * Rounds of asking: each round sends every partition not yet counted to a replica not yet asked
 * for it, so three replicas need at most three; two more cover a replica set that changed between
 * rounds (a join or decommission).
 */
export const CENSUS_ROUNDS_MAX = 5;

export interface CensusResult {
  /** One per prefix, in the order asked, summed over every partition counted. */
  stats: PrefixStat[];
  /** Partitions no replica counted (all down, or none held it): the figures leave them out. */
  partitionsMissed: number[];
}

export interface CensusComponents {
  /** The nodes that may count a partition, best first (its leader, whose copy is the freshest). */
  candidatesOf(partition: number): readonly string[];
  /** Asks one node to count these partitions; rejects when the node could not answer. */
  ask(nodeId: string, partitions: number[]): Promise<PrefixStatsReply>;
  /** Told of each node that failed to answer (the census goes on with other replicas). */
  onFailure?(nodeId: string, error: unknown): void;
}

/**
 * Counts every prefix over the given partitions with each partition counted exactly once: a
 * partition goes to one node at a time, and its figures are taken only from a node that says it
 * counted it. A node that fails or does not hold a partition leaves it to the partition's next
 * replica in the following round. Nodes are asked in parallel, one request each per round.
 */
export async function countPrefixesOnce(partitions: readonly number[], prefixCount: number, c: CensusComponents): Promise<CensusResult> {
  const stats: PrefixStat[] = Array.from({ length: prefixCount }, () => ({ items: 0, sizeBytes: 0 }));
  const asked = new Map<number, Set<string>>(partitions.map((p) => [p, new Set<string>()]));
  let remaining = [...new Set(partitions)];
  const missed: number[] = [];
  for (let round = 0; round < CENSUS_ROUNDS_MAX && remaining.length > 0; round++) {
    const byNode = new Map<string, number[]>();
    for (const partition of remaining) {
      const node = c.candidatesOf(partition).find((id) => !asked.get(partition)!.has(id));
      if (node === undefined) {
        missed.push(partition);
        continue;
      }
      asked.get(partition)!.add(node);
      byNode.set(node, [...(byNode.get(node) ?? []), partition]);
    }
    const next: number[] = [];
    await Promise.all(
      [...byNode].map(async ([node, sent]) => {
        let reply: PrefixStatsReply;
        try {
          reply = await c.ask(node, sent);
        } catch (error) {
          c.onFailure?.(node, error);
          next.push(...sent);
          return;
        }
        if (reply.stats.length !== prefixCount) throw new Error(`assertion: ${node} answered ${reply.stats.length} prefixes of ${prefixCount}`);
        reply.stats.forEach((s, i) => {
          stats[i].items += Number(s.items);
          stats[i].sizeBytes += Number(s.sizeBytes);
        });
        const notHeld = new Set(reply.partitionsNotHeld);
        next.push(...sent.filter((p) => notHeld.has(p)));
      }),
    );
    remaining = next;
  }
  return { stats, partitionsMissed: [...missed, ...remaining].sort((a, b) => a - b) };
}
