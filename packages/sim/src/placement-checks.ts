import { Ring, layoutEpoch, parseClusterLayout, type ClusterLayout } from '@triad/ring';
import type { SimCluster } from './sim-cluster';

/** The newest layout any running storage node holds (the seed layout if none answers newer). */
export async function newestLayout(cluster: SimCluster): Promise<ClusterLayout> {
  let newest = cluster.layout;
  for (const [id, node] of cluster.nodes) {
    if (!node.process?.node) continue;
    try {
      const reply = await cluster.probe(id).getLayout({ knownEpoch: layoutEpoch(newest) });
      if (reply.layout.length > 0 && Number(reply.epoch) > layoutEpoch(newest)) newest = parseClusterLayout(JSON.parse(reply.layout.toString('utf8')));
    } catch {
      // A node that does not answer has nothing to add.
    }
  }
  return newest;
}

/**
 * Every record on exactly its replicas, per the final layout (issue 12): no change left in
 * progress, every node the layout names running, and no running node that is not a replica of a
 * partition (a node that left it, a decommissioned node) holding any record of it. That the
 * replicas hold the same records is `divergentPartitions`' check. One line per misplacement.
 */
export async function misplacedRecords(cluster: SimCluster): Promise<string[]> {
  const layout = await newestLayout(cluster);
  const problems: string[] = [];
  if (layout.change) problems.push(`a ${layout.change.kind} of ${layout.change.node.id} is still in progress (epoch ${layoutEpoch(layout)})`);
  const ring = new Ring(layout);
  for (const n of ring.nodes) if (!cluster.nodes.get(n.id)?.process?.node) problems.push(`${n.id} is in the layout but not running`);
  for (const [id, node] of cluster.nodes) {
    const running = node.process?.node;
    if (!running) continue;
    for (let p = 0; p <= ring.partitionCount; p++) {
      if (ring.receives(id, p)) continue;
      if (await running.inspection.holdsAny(p)) problems.push(`${id} holds records of partition ${p}, whose replicas are ${ring.replicaSet(p).map((r) => r.id).join(', ')} (epoch ${layoutEpoch(layout)})`);
    }
  }
  return problems;
}
