/**
 * Which storage node serves a partition as its leader, as the nodes themselves report it through
 * NodeStatus (`partitionsLed`: the partitions a node leads within its lease, caught up, now).
 */
import { StorageNodeClient, type NodeStatusReply } from '@triad/rpc';
import { eventually, type LocalCluster } from '@triad/harness';

/** A NodeStatus call may take this long: a paused or cut-off node must not hold up a poll. */
const STATUS_CALL_DEADLINE_MS = 1_000;

/** NodeStatus of each storage node (of `ids`, default all) that answers; a node that does not is absent. */
export async function nodeStatuses(cluster: LocalCluster, ids?: readonly string[]): Promise<Map<string, NodeStatusReply>> {
  const nodes = cluster.allStorageNodes.filter((n) => !ids || ids.includes(n.id));
  const result = new Map<string, NodeStatusReply>();
  await Promise.all(
    nodes.map(async (node) => {
      if (!cluster.isRunning(node.id)) return;
      // A fresh channel per call: a reused one to a restarted node fails fast through its reconnect backoff.
      const client = new StorageNodeClient(node.address, STATUS_CALL_DEADLINE_MS, cluster.grpcSecurity);
      try {
        result.set(node.id, await client.nodeStatus({}));
      } catch {
        // Absent: paused, cut off, or not listening yet.
      } finally {
        client.close();
      }
    }),
  );
  return result;
}

/** The nodes (of `among`, default all) that report serving `partition` as its leader now. */
export async function servingLeaders(cluster: LocalCluster, partition: number, among?: readonly string[]): Promise<string[]> {
  const statuses = await nodeStatuses(cluster, among);
  return [...statuses].filter(([, s]) => s.partitionsLed.includes(partition)).map(([id]) => id).sort();
}

/** Waits until exactly one node (of `among`) reports serving `partition`, and returns it. */
export async function awaitSoleLeader(
  cluster: LocalCluster,
  partition: number,
  options: { among?: readonly string[]; timeoutMs?: number } = {},
): Promise<string> {
  return eventually(
    `one serving leader of partition ${partition}${options.among ? ` among ${options.among.join(', ')}` : ''}`,
    async () => {
      const leaders = await servingLeaders(cluster, partition, options.among);
      if (leaders.length !== 1) throw new Error(`serving leaders now: [${leaders.join(', ')}]`);
      return leaders[0];
    },
    { timeoutMs: options.timeoutMs ?? 30_000, intervalMs: 100 },
  );
}
