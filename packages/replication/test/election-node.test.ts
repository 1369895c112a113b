/**
 * One ElectionNode driven by hand: exact messages, persist records and timings. The cluster-level
 * scenarios are in scenarios.test.ts, the randomized simulation in simulation.test.ts.
 */
import { AssertionError, DEFAULT_ELECTION_CONFIG as C, ElectionNode } from '../src';
import { P0, elect, heartbeatAndAck, makeNode, sent } from './helpers';

const LEASE_WAIT_MS = C.leaseDurationMs + C.clockDriftMarginMs;

describe('ElectionNode: elections', () => {
  it('campaigns after its election timeout, first with a pre-vote that changes nothing', () => {
    const node = makeNode('n0');
    node.tick(C.electionTimeoutMinMs - 1);
    expect(node.ready().messages).toEqual([]);

    node.tick(C.electionTimeoutMinMs);
    const ready = node.ready();
    expect(node.roleOf(0)).toBe('pre-candidate');
    expect(node.termOf(0)).toBe(0);
    expect(ready.persist).toEqual([]);
    expect(sent(ready, 'VoteRequest')).toEqual([
      { to: 'n1', message: { type: 'VoteRequest', partition: 0, term: 1, preVote: true, force: false, lastLogTerm: 0, lastLogIndex: 0 } },
      { to: 'n2', message: { type: 'VoteRequest', partition: 0, term: 1, preVote: true, force: false, lastLogTerm: 0, lastLogIndex: 0 } },
    ]);
  });

  it('campaigns for real once a majority would vote, persisting its own vote first', () => {
    const node = makeNode('n0');
    node.tick(1000);
    node.ready();
    node.receive('n2', { type: 'VoteResponse', partition: 0, term: 1, preVote: true, granted: true }, 1001);
    const ready = node.ready();
    expect(node.roleOf(0)).toBe('candidate');
    expect(ready.persist).toEqual([{ partition: 0, term: 1, votedFor: 'n0' }]);
    expect(sent(ready, 'VoteRequest').map((m) => m.message)).toEqual([
      { type: 'VoteRequest', partition: 0, term: 1, preVote: false, force: false, lastLogTerm: 0, lastLogIndex: 0 },
      { type: 'VoteRequest', partition: 0, term: 1, preVote: false, force: false, lastLogTerm: 0, lastLogIndex: 0 },
    ]);

    node.receive('n1', { type: 'VoteResponse', partition: 0, term: 1, preVote: false, granted: true }, 1002);
    expect(node.roleOf(0)).toBe('leader');
    expect(node.leaderOf(0)).toBe('n0');
    expect(node.ready().events).toContainEqual({ type: 'RoleChanged', partition: 0, term: 1, from: 'candidate', to: 'leader', reason: 'vote-won' });
  });

  it('gives up a pre-vote rejected by both peers, and adopts a higher term it hears of', () => {
    const node = makeNode('n0');
    node.tick(1000);
    node.receive('n1', { type: 'VoteResponse', partition: 0, term: 0, preVote: true, granted: false }, 1001);
    node.receive('n2', { type: 'VoteResponse', partition: 0, term: 0, preVote: true, granted: false }, 1001);
    expect(node.roleOf(0)).toBe('follower');
    expect(node.termOf(0)).toBe(0);

    node.tick(3000);
    node.ready();
    node.receive('n1', { type: 'VoteResponse', partition: 0, term: 7, preVote: true, granted: false }, 3001);
    expect(node.roleOf(0)).toBe('follower');
    expect(node.ready().persist).toEqual([{ partition: 0, term: 7, votedFor: null }]);
  });

  it('votes at most once per term, and remembers the vote across a restart', () => {
    const persisted = new Map([[0, { term: 3, votedFor: 'n0' }]]);
    const node = makeNode('n2', { persisted });
    node.receive('n1', { type: 'VoteRequest', partition: 0, term: 3, preVote: false, force: false, lastLogTerm: 0, lastLogIndex: 0 }, 10);
    node.receive('n0', { type: 'VoteRequest', partition: 0, term: 3, preVote: false, force: false, lastLogTerm: 0, lastLogIndex: 0 }, 10);
    const ready = node.ready();
    expect(sent(ready, 'VoteResponse')).toEqual([
      { to: 'n1', message: { type: 'VoteResponse', partition: 0, term: 3, preVote: false, granted: false } },
      { to: 'n0', message: { type: 'VoteResponse', partition: 0, term: 3, preVote: false, granted: true } },
    ]);
    expect(ready.persist).toEqual([]);

    node.receive('n1', { type: 'VoteRequest', partition: 0, term: 4, preVote: false, force: false, lastLogTerm: 0, lastLogIndex: 0 }, 20);
    const next = node.ready();
    expect(next.persist).toEqual([{ partition: 0, term: 4, votedFor: 'n1' }]);
    expect(sent(next, 'VoteResponse')[0].message.granted).toBe(true);
  });

  it('ignores partitions it does not replicate, and heartbeats of senders that are not replicas', () => {
    const node = makeNode('n0', { partitions: new Map([[0, ['n0', 'n1', 'n2']], [1, ['n0', 'n3', 'n4']]]) });
    node.receive('n9', { type: 'Heartbeat', round: 1, boot: 1, draining: false, entries: [{ partition: 0, term: 5 }] }, 1);
    node.receive('n3', { type: 'Heartbeat', round: 1, boot: 1, draining: false, entries: [{ partition: 0, term: 5 }] }, 1);
    node.receive('n1', { type: 'VoteRequest', partition: 42, term: 5, preVote: false, force: false, lastLogTerm: 0, lastLogIndex: 0 }, 1);
    expect(node.hasReady()).toBe(false);
    expect(node.termOf(0)).toBe(0);
    expect(node.termOf(42)).toBeUndefined();
  });

  it('answers a vote request from a node outside its configuration (a voter of one its log does not hold yet)', () => {
    const node = makeNode('n0', { partitions: new Map([[0, ['n0', 'n1', 'n2']]]) });
    node.receive('n9', { type: 'VoteRequest', partition: 0, term: 5, preVote: false, force: false, lastLogTerm: 0, lastLogIndex: 0 }, 1);
    const ready = node.ready();
    expect(ready.persist).toEqual([{ partition: 0, term: 5, votedFor: 'n9' }]);
    expect(sent(ready, 'VoteResponse')).toEqual([{ to: 'n9', message: { type: 'VoteResponse', partition: 0, term: 5, preVote: false, granted: true } }]);
  });
});

describe('ElectionNode: leader stickiness and pre-vote', () => {
  it('refuses votes while it hears from a live leader, without adopting the term', () => {
    const node = makeNode('n1');
    node.receive('n0', { type: 'Heartbeat', round: 1, boot: 0, draining: false, entries: [{ partition: 0, term: 2 }] }, 100);
    expect(sent(node.ready(), 'HeartbeatAck')[0].message.entries).toEqual([{ partition: 0, term: 2, ok: true }]);

    const stickyUntil = 100 + C.electionTimeoutMinMs;
    node.receive('n2', { type: 'VoteRequest', partition: 0, term: 3, preVote: true, force: false, lastLogTerm: 0, lastLogIndex: 0 }, stickyUntil - 1);
    node.receive('n2', { type: 'VoteRequest', partition: 0, term: 3, preVote: false, force: false, lastLogTerm: 0, lastLogIndex: 0 }, stickyUntil - 1);
    const refused = node.ready();
    expect(sent(refused, 'VoteResponse').map((m) => [m.message.granted, m.message.term])).toEqual([[false, 2], [false, 2]]);
    expect(refused.persist).toEqual([]);
    expect(node.termOf(0)).toBe(2);

    node.receive('n2', { type: 'VoteRequest', partition: 0, term: 3, preVote: true, force: false, lastLogTerm: 0, lastLogIndex: 0 }, stickyUntil);
    expect(sent(node.ready(), 'VoteResponse')[0].message).toEqual({ type: 'VoteResponse', partition: 0, term: 3, preVote: true, granted: true });
  });

  it('grants a forced vote (a transfer asked for by the leader) despite stickiness', () => {
    const node = makeNode('n1');
    node.receive('n0', { type: 'Heartbeat', round: 1, boot: 0, draining: false, entries: [{ partition: 0, term: 2 }] }, 100);
    node.ready();
    node.receive('n2', { type: 'VoteRequest', partition: 0, term: 3, preVote: false, force: true, lastLogTerm: 0, lastLogIndex: 0 }, 150);
    const ready = node.ready();
    expect(sent(ready, 'VoteResponse')[0].message.granted).toBe(true);
    expect(ready.persist).toEqual([{ partition: 0, term: 3, votedFor: 'n2' }]);
  });

  it('as leader, refuses pre-votes and votes from a replica that lost contact', () => {
    const leader = makeNode('n0');
    const term = elect(leader, 0, 1000, 'n1');
    leader.receive('n2', { type: 'VoteRequest', partition: 0, term: term + 1, preVote: true, force: false, lastLogTerm: 0, lastLogIndex: 0 }, 1100);
    leader.receive('n2', { type: 'VoteRequest', partition: 0, term: term + 5, preVote: false, force: false, lastLogTerm: 0, lastLogIndex: 0 }, 1100);
    const ready = leader.ready();
    expect(sent(ready, 'VoteResponse').every((m) => !m.message.granted)).toBe(true);
    expect(leader.roleOf(0)).toBe('leader');
    expect(leader.termOf(0)).toBe(term);
  });
});

describe('ElectionNode: leases', () => {
  it('serves only when caught up, after the lease wait of its election, inside a lease', () => {
    const leader = makeNode('n0');
    const term = elect(leader, 0, 1000, 'n1');
    expect(leader.isServingLeader(0, 1000)).toBe(false);

    for (let t = 1001; t <= 2501; t += C.heartbeatIntervalMs) {
      heartbeatAndAck(leader, 'n1', t, t + 2);
      if (t === 1001) leader.catchUpComplete(0, term, t + 5);
    }
    expect(leader.isServingLeader(0, 1000 + LEASE_WAIT_MS - 1)).toBe(false);
    expect(leader.isServingLeader(0, 1000 + LEASE_WAIT_MS)).toBe(true);
    // The last acked round was sent at 2501: the lease runs to 2501 + lease, whatever happens next.
    leader.tick(2600);
    expect(leader.isServingLeader(0, 2501 + C.leaseDurationMs - 1)).toBe(true);
    expect(leader.isServingLeader(0, 2501 + C.leaseDurationMs)).toBe(false);
    expect(leader.servingWindow(0)).toEqual({ term, fromMs: 1000 + LEASE_WAIT_MS, untilMs: 2501 + C.leaseDurationMs });
  });

  it('does not serve before catch-up, and ignores a catch-up report for another term', () => {
    const leader = makeNode('n0');
    const term = elect(leader, 0, 1000, 'n1');
    leader.catchUpComplete(0, term + 1, 1001);
    for (let t = 1001; t <= 2201; t += 100) heartbeatAndAck(leader, 'n1', t);
    expect(leader.isServingLeader(0, 2201)).toBe(false);
    leader.catchUpComplete(0, term, 2201);
    expect(leader.isServingLeader(0, 2201)).toBe(true);
  });

  it('starts the lease at the send time of the acked round, not at the ack', () => {
    const leader = makeNode('n0');
    const term = elect(leader, 0, 1000, 'n1');
    leader.catchUpComplete(0, term, 1000);
    heartbeatAndAck(leader, 'n1', 1001, 1800); // a slow ack
    expect(leader.status(0)?.leaseUntilMs).toBe(1001 + C.leaseDurationMs);
  });

  it('gets no lease from an ack of another term', () => {
    const leader = makeNode('n0');
    elect(leader, 0, 1000, 'n1');
    leader.tick(1001);
    const [{ message }] = sent(leader.ready(), 'Heartbeat');
    leader.receive('n1', { type: 'HeartbeatAck', round: message.round, boot: 0, draining: false, entries: [{ partition: 0, term: 0, ok: true }] }, 1002);
    expect(leader.status(0)?.leaseUntilMs).toBeNull();
  });

  it('steps down when no follower acked for a minimum election timeout', () => {
    const leader = makeNode('n0');
    elect(leader, 0, 1000, 'n1');
    heartbeatAndAck(leader, 'n1', 1001);
    leader.tick(1001 + C.electionTimeoutMinMs);
    expect(leader.roleOf(0)).toBe('leader');
    leader.tick(1002 + C.electionTimeoutMinMs);
    expect(leader.roleOf(0)).toBe('follower');
    expect(leader.ready().events).toContainEqual(expect.objectContaining({ type: 'RoleChanged', to: 'follower', reason: 'quorum-lost' }));
  });
});

describe('ElectionNode: terms fence stale leaders', () => {
  it('rejects a stale heartbeat, and the stale leader steps down on the answer', () => {
    const follower = makeNode('n1', { persisted: new Map([[0, { term: 5 }]]) });
    follower.receive('n0', { type: 'Heartbeat', round: 9, boot: 0, draining: false, entries: [{ partition: 0, term: 4 }] }, 10);
    const [ack] = sent(follower.ready(), 'HeartbeatAck');
    expect(ack.message.entries).toEqual([{ partition: 0, term: 5, ok: false }]);

    const stale = makeNode('n0', { persisted: new Map([[0, { term: 3 }]]) });
    elect(stale, 0, 1000, 'n2');
    stale.tick(1001);
    const [{ message: hb }] = sent(stale.ready(), 'Heartbeat');
    stale.receive('n1', { type: 'HeartbeatAck', round: hb.round, boot: 0, draining: false, entries: [{ partition: 0, term: 5, ok: false }] }, 1002);
    expect(stale.roleOf(0)).toBe('follower');
    expect(stale.isServingLeader(0, 1002)).toBe(false);
    expect(stale.ready().persist).toEqual([{ partition: 0, term: 5, votedFor: null }]);
  });

  it('acceptsReplication refuses an older term and adopts a newer one (to be persisted before the ack)', () => {
    const follower = makeNode('n1', { persisted: new Map([[0, { term: 5, votedFor: 'n2' }]]) });
    expect(follower.acceptsReplication(0, 4, 'n0', 1)).toBe(false);
    expect(follower.hasReady()).toBe(false);
    expect(follower.acceptsReplication(0, 5, 'n2', 1)).toBe(true);
    expect(follower.leaderOf(0)).toBe('n2');
    expect(follower.acceptsReplication(0, 6, 'n0', 2)).toBe(true);
    expect(follower.ready().persist).toEqual([{ partition: 0, term: 6, votedFor: null }]);
    expect(follower.leaderOf(0)).toBe('n0');
    expect(follower.acceptsReplication(0, 5, 'n2', 3)).toBe(false);
    expect(follower.acceptsReplication(7, 9, 'n0', 3)).toBe(false); // not a partition of ours
  });

  it('a leader deposed by a newer term stops serving at once', () => {
    const leader = makeNode('n0');
    const term = elect(leader, 0, 1000, 'n1');
    leader.catchUpComplete(0, term, 1000);
    for (let t = 1001; t <= 2101; t += 100) heartbeatAndAck(leader, 'n1', t);
    expect(leader.isServingLeader(0, 2101)).toBe(true);
    expect(leader.acceptsReplication(0, term + 1, 'n2', 2102)).toBe(true);
    expect(leader.isServingLeader(0, 2102)).toBe(false);
    expect(leader.ready().events).toContainEqual({ type: 'ServingChanged', partition: 0, term, serving: false });
  });
});

describe('ElectionNode: coalesced heartbeats', () => {
  it('sends one heartbeat per peer per round, with an entry per partition it leads that the peer replicates', () => {
    const partitions = new Map([
      [0, ['n0', 'n1', 'n2']],
      [1, ['n0', 'n1', 'n3']],
      [2, ['n3', 'n0', 'n2']],
      [3, ['n1', 'n2', 'n0']],
    ]);
    const node = makeNode('n0', { partitions });
    node.tick(1000);
    node.ready();
    for (const p of [0, 1, 2]) {
      const peer = partitions.get(p)!.find((id) => id !== 'n0')!;
      node.receive(peer, { type: 'VoteResponse', partition: p, term: 1, preVote: true, granted: true }, 1000);
      node.receive(peer, { type: 'VoteResponse', partition: p, term: 1, preVote: false, granted: true }, 1000);
    }
    node.ready();
    node.tick(1001);
    const heartbeats = sent(node.ready(), 'Heartbeat');
    expect(heartbeats.map((h) => [h.to, h.message.entries.map((e) => e.partition)])).toEqual([
      ['n1', [0, 1]],
      ['n2', [0, 2]],
      ['n3', [1, 2]],
    ]);
    expect(new Set(heartbeats.map((h) => h.message.round)).size).toBe(1);
    node.tick(1050); // not a round yet
    expect(sent(node.ready(), 'Heartbeat')).toEqual([]);
    node.tick(1001 + C.heartbeatIntervalMs);
    expect(sent(node.ready(), 'Heartbeat')).toHaveLength(3);
  });

  it('answers a coalesced heartbeat with one coalesced ack', () => {
    const partitions = new Map([
      [0, ['n0', 'n1', 'n2']],
      [1, ['n0', 'n1', 'n3']],
    ]);
    const node = makeNode('n1', { partitions, persisted: new Map([[1, { term: 4 }]]) });
    node.receive('n0', { type: 'Heartbeat', round: 3, boot: 0, draining: false, entries: [{ partition: 0, term: 2 }, { partition: 1, term: 3 }] }, 5);
    const ready = node.ready();
    expect(sent(ready, 'HeartbeatAck')).toEqual([
      {
        to: 'n0',
        message: { type: 'HeartbeatAck', round: 3, boot: 0, draining: false, entries: [{ partition: 0, term: 2, ok: true }, { partition: 1, term: 4, ok: false }] },
      },
    ]);
    expect(ready.persist).toEqual([{ partition: 0, term: 2, votedFor: null }]);
    expect(node.leaderOf(0)).toBe('n0');
  });
});

describe('ElectionNode: transfer', () => {
  function servingLeader() {
    const leader = makeNode('n1');
    const term = elect(leader, 0, 1000, 'n0');
    leader.catchUpComplete(0, term, 1000);
    for (let t = 1001; t <= 2101; t += 100) heartbeatAndAck(leader, 'n0', t);
    expect(leader.isServingLeader(0, 2101)).toBe(true);
    return { leader, term };
  }

  it('stops serving at once and tells the target to campaign, with leases clear', () => {
    const { leader, term } = servingLeader();
    expect(leader.transferLeadership(0, 2110, 'n2')).toEqual({ ok: false, reason: 'no-eligible-target' }); // n2 never acked
    expect(leader.transferLeadership(0, 2110)).toEqual({ ok: true, target: 'n0' });
    expect(leader.isServingLeader(0, 2110)).toBe(false);
    expect(leader.roleOf(0)).toBe('follower');
    const ready = leader.ready();
    expect(sent(ready, 'TimeoutNow')).toEqual([{ to: 'n0', message: { type: 'TimeoutNow', partition: 0, term, leasesClear: true } }]);
    expect(ready.events).toContainEqual({ type: 'TransferStarted', partition: 0, term, to: 'n0', reason: 'admin' });
    expect(leader.transferLeadership(0, 2111)).toEqual({ ok: false, reason: 'not-leader' });
  });

  it('the target campaigns at once with a forced vote, and skips the lease wait when leases are clear', () => {
    const target = makeNode('n0');
    target.receive('n1', { type: 'Heartbeat', round: 1, boot: 0, draining: false, entries: [{ partition: 0, term: 2 }] }, 100);
    target.ready();
    target.receive('n1', { type: 'TimeoutNow', partition: 0, term: 2, leasesClear: true }, 150);
    const ready = target.ready();
    expect(ready.persist).toEqual([{ partition: 0, term: 3, votedFor: 'n0' }]);
    expect(sent(ready, 'VoteRequest').map((m) => m.message)).toEqual([
      { type: 'VoteRequest', partition: 0, term: 3, preVote: false, force: true, lastLogTerm: 0, lastLogIndex: 0 },
      { type: 'VoteRequest', partition: 0, term: 3, preVote: false, force: true, lastLogTerm: 0, lastLogIndex: 0 },
    ]);
    target.receive('n2', { type: 'VoteResponse', partition: 0, term: 3, preVote: false, granted: true }, 152);
    target.catchUpComplete(0, 3, 160);
    heartbeatAndAck(target, 'n2', 161);
    expect(target.isServingLeader(0, 162)).toBe(true);
  });

  it('a target told that leases are not clear waits them out', () => {
    const target = makeNode('n0');
    target.receive('n1', { type: 'TimeoutNow', partition: 0, term: 0, leasesClear: false }, 150);
    target.receive('n2', { type: 'VoteResponse', partition: 0, term: 1, preVote: false, granted: true }, 152);
    target.catchUpComplete(0, 1, 160);
    heartbeatAndAck(target, 'n2', 161);
    expect(target.isServingLeader(0, 162)).toBe(false);
    expect(target.status(0)?.servingFromMs).toBe(152 + LEASE_WAIT_MS);
  });

  it('ignores a TimeoutNow of a term that is not its own', () => {
    const node = makeNode('n0', { persisted: new Map([[0, { term: 4 }]]) });
    node.receive('n1', { type: 'TimeoutNow', partition: 0, term: 3, leasesClear: true }, 1);
    expect(node.hasReady()).toBe(false);
  });

  it('a draining leader hands its partitions to a fit replica', () => {
    const { leader, term } = servingLeader();
    leader.setDraining(true, 2150);
    leader.tick(2201); // next round: heartbeat, then balancing
    const ready = leader.ready();
    expect(sent(ready, 'TimeoutNow')).toEqual([{ to: 'n0', message: { type: 'TimeoutNow', partition: 0, term, leasesClear: true } }]);
    expect(ready.events).toContainEqual({ type: 'TransferStarted', partition: 0, term, to: 'n0', reason: 'drain' });
  });

  it('returns leadership to the preferred replica only after the balance hold', () => {
    const { leader } = servingLeader(); // n1 leads, n0 (preferred) has acked since 1001
    let transferredAt: number | undefined;
    for (let t = 2201; t < 1001 + C.balanceHoldMs + 300 && transferredAt === undefined; t += 100) {
      heartbeatAndAck(leader, 'n0', t);
      if (leader.roleOf(0) !== 'leader') transferredAt = t;
    }
    expect(transferredAt).toBeGreaterThanOrEqual(1001 + C.balanceHoldMs);
  });

  it('does not hand leadership to a replica membership says is down', () => {
    const { leader } = servingLeader();
    leader.nodeDown('n0', 2150);
    expect(leader.transferLeadership(0, 2150, 'n0')).toEqual({ ok: false, reason: 'no-eligible-target' });
    expect(leader.transferLeadership(0, 2150, 'n1')).toEqual({ ok: false, reason: 'invalid-target' });
  });
});

describe('ElectionNode: misuse is a programmer error', () => {
  it('asserts on time going back, on bad replica sets and on a broken random()', () => {
    const node = makeNode('n0', { nowMs: 100 });
    expect(() => node.tick(99)).toThrow(AssertionError);
    expect(() => makeNode('n0', { partitions: new Map([[0, ['n0', 'n1']]]) })).toThrow(/replicas/);
    expect(() => makeNode('n9')).toThrow(/not replicated by n9/);
    expect(() => makeNode('n0', { partitions: new Map([[0, ['n0', 'n1', 'n1']]]) })).toThrow(/repeats/);
    expect(() => new ElectionNode({ selfId: 'n0', partitions: P0, random: () => 1, nowMs: 0 })).toThrow(/random/);
  });
});
