/**
 * `reconfigure`: a join or decommission step changes a partition's replica set. Partition 0 moves
 * from {n0, n1, n2} to {n0, n1, n3} (n2 leaves, n3 joins) unless a test says otherwise.
 */
import { DEFAULT_ELECTION_CONFIG as C } from '../src';
import { P0, elect, heartbeatAndAck, makeNode, sent } from './helpers';

const NEW_SET = new Map([[0, ['n0', 'n1', 'n3']]]);
const LEASE_WAIT_MS = C.leaseDurationMs + C.clockDriftMarginMs;

/** n0 leading partition 0 and serving, with n1 and n2 acking its heartbeats until `nowMs`. */
function servingLeader() {
  const node = makeNode('n0');
  const term = elect(node, 0, 1000, 'n1');
  node.catchUpComplete(0, term, 1000);
  const t = 1000 + LEASE_WAIT_MS;
  heartbeatAndAck(node, 'n1', t);
  heartbeatAndAck(node, 'n2', t + 100);
  node.ready();
  expect(node.isServingLeader(0, t + 100)).toBe(true);
  return { node, term, t: t + 100 };
}

describe('ElectionNode.reconfigure', () => {
  it('keeps a leader that switched the partition itself, with a lease from the new set only', () => {
    const { node, term, t } = servingLeader();
    node.reconfigure(NEW_SET, t + 10, { keepLeadership: new Set([0]) });
    expect(node.roleOf(0)).toBe('leader');
    expect(node.termOf(0)).toBe(term);
    // n1 acked at t - 100 (its round was sent then): the lease runs from that ack, not n2's.
    expect(node.isServingLeader(0, t - 100 + C.leaseDurationMs - 1)).toBe(true);
    expect(node.isServingLeader(0, t - 100 + C.leaseDurationMs)).toBe(false);
    // The next round goes to the new member (and not to the one that left).
    node.tick(t + 20);
    const heartbeats = sent(node.ready(), 'Heartbeat');
    expect(heartbeats.map((h) => h.to).sort()).toEqual(['n1', 'n3']);
    // The new member's ack renews the lease.
    heartbeatAndAck(node, 'n3', t + 300);
    expect(node.isServingLeader(0, t + 300 + C.leaseDurationMs - 1)).toBe(true);
    expect(node.status(0)!.replicas).toEqual(['n0', 'n1', 'n3']);
  });

  it('makes a leader step down when its set changed without it switching the partition', () => {
    const { node, term, t } = servingLeader();
    node.reconfigure(NEW_SET, t + 10);
    expect(node.roleOf(0)).toBe('follower');
    expect(node.termOf(0)).toBe(term);
    expect(node.isServingLeader(0, t + 10)).toBe(false);
    expect(node.ready().events).toContainEqual({ type: 'RoleChanged', partition: 0, term, from: 'leader', to: 'follower', reason: 'reconfigured' });
  });

  it('keeps leadership when only the preference order changes', () => {
    const { node, t } = servingLeader();
    node.reconfigure(new Map([[0, ['n1', 'n0', 'n2']]]), t + 10);
    expect(node.isServingLeader(0, t + 10)).toBe(true);
  });

  it('ignores the node that left, and hears the one that joined', () => {
    const node = makeNode('n1');
    node.receive('n0', { type: 'Heartbeat', round: 1, boot: 1, draining: false, entries: [{ partition: 0, term: 3 }] }, 10);
    expect(node.leaderOf(0)).toBe('n0');
    node.reconfigure(NEW_SET, 20);
    node.ready();
    // n2 is no replica any more: it cannot force its way past stickiness (it is refused).
    node.receive('n2', { type: 'VoteRequest', partition: 0, term: 9, preVote: false, force: true, lastLogTerm: 0, lastLogIndex: 0 }, 30);
    expect(node.ready().messages).toEqual([{ to: 'n2', message: { type: 'VoteResponse', partition: 0, term: 3, preVote: false, granted: false } }]);
    expect(node.termOf(0)).toBe(3);
    // n3 is: a heartbeat of a newer term from it makes it the leader.
    node.receive('n3', { type: 'Heartbeat', round: 1, boot: 2, draining: false, entries: [{ partition: 0, term: 4 }] }, 40);
    expect(node.leaderOf(0)).toBe('n3');
  });

  it('forgets a partition it no longer replicates, and starts one it gained at its persisted term', () => {
    const { node, t } = servingLeader();
    node.reconfigure(new Map([[5, ['n0', 'n7', 'n8']]]), t + 10, { persisted: new Map([[5, { term: 4, votedFor: 'n9' }]]) });
    expect(node.partitionIds()).toEqual([5]);
    expect(node.roleOf(0)).toBeUndefined();
    expect(node.ready().events).toContainEqual({ type: 'ServingChanged', partition: 0, term: 1, serving: false });
    expect(node.termOf(5)).toBe(4);
    // The vote for a former replica still counts: no second vote in term 4.
    node.receive('n7', { type: 'VoteRequest', partition: 5, term: 4, preVote: false, force: false, lastLogTerm: 0, lastLogIndex: 0 }, t + 20);
    expect(sent(node.ready(), 'VoteResponse')[0].message.granted).toBe(false);
    // Heartbeats from a node that shares nothing any more are dropped, not answered.
    node.receive('n1', { type: 'Heartbeat', round: 9, boot: 1, draining: false, entries: [{ partition: 0, term: 1 }] }, t + 30);
    expect(node.ready().messages).toEqual([]);
  });

  it('a joining replica with no partitions at start gets one and follows its leader', () => {
    const node = makeNode('n3', { partitions: new Map() });
    expect(node.partitionIds()).toEqual([]);
    node.reconfigure(NEW_SET, 100);
    node.receive('n0', { type: 'Heartbeat', round: 4, boot: 1, draining: false, entries: [{ partition: 0, term: 2 }] }, 110);
    const ready = node.ready();
    expect(ready.persist).toEqual([{ partition: 0, term: 2, votedFor: null }]);
    expect(sent(ready, 'HeartbeatAck')).toEqual([
      { to: 'n0', message: { type: 'HeartbeatAck', round: 4, boot: node.bootId, draining: false, entries: [{ partition: 0, term: 2, ok: true }] } },
    ]);
  });

  it('sends a candidate back to follower', () => {
    const node = makeNode('n0', { partitions: P0 });
    node.tick(C.electionTimeoutMinMs);
    expect(node.roleOf(0)).toBe('pre-candidate');
    node.reconfigure(NEW_SET, C.electionTimeoutMinMs + 1);
    expect(node.roleOf(0)).toBe('follower');
  });
});
