import { ElectionNode, type ElectionConfig, type Message, type NodeId, type PersistedElectionState, type Ready } from '../src';

/** Partition 0 replicated on n0, n1, n2 (n0 preferred). */
export const P0 = new Map([[0, ['n0', 'n1', 'n2']]]);

/** A node whose election timeouts are all exactly the minimum (random() always 0). */
export function makeNode(
  selfId: NodeId,
  options: {
    partitions?: ReadonlyMap<number, readonly NodeId[]>;
    persisted?: ReadonlyMap<number, PersistedElectionState>;
    nowMs?: number;
    config?: Partial<ElectionConfig>;
  } = {},
): ElectionNode {
  return new ElectionNode({
    selfId,
    partitions: options.partitions ?? P0,
    persisted: options.persisted,
    // Scenario tests place elections by hand; a rank-dependent timeout would move them.
    config: { rankedElectionTimeouts: false, ...options.config },
    random: () => 0,
    nowMs: options.nowMs ?? 0,
  });
}

export function sent<T extends Message['type']>(ready: Ready, type: T): { to: NodeId; message: Extract<Message, { type: T }> }[] {
  return ready.messages.filter((m) => m.message.type === type) as { to: NodeId; message: Extract<Message, { type: T }> }[];
}

/**
 * Makes `node` leader of `partition` at `nowMs` (its election deadline must have passed): pre-vote
 * and vote granted by `voter`. Returns the new term; drains the Ready.
 */
export function elect(node: ElectionNode, partition: number, nowMs: number, voter: NodeId): number {
  node.tick(nowMs);
  const term = node.termOf(partition)! + 1;
  node.receive(voter, { type: 'VoteResponse', partition, term, preVote: true, granted: true }, nowMs);
  node.receive(voter, { type: 'VoteResponse', partition, term, preVote: false, granted: true }, nowMs);
  if (node.roleOf(partition) !== 'leader') throw new Error(`not elected: ${node.roleOf(partition)}`);
  node.ready();
  return term;
}

/** Ticks the leader at `nowMs` and has `follower` ack whatever heartbeat it sent to it. */
export function heartbeatAndAck(leader: ElectionNode, follower: NodeId, nowMs: number, ackAtMs = nowMs): void {
  leader.tick(nowMs);
  for (const { to, message } of sent(leader.ready(), 'Heartbeat')) {
    if (to !== follower) continue;
    const entries = message.entries.map((e) => ({ ...e, ok: true }));
    leader.receive(follower, { type: 'HeartbeatAck', round: message.round, boot: 0, draining: false, entries }, ackAtMs);
  }
}
