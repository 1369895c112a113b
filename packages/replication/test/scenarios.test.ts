/**
 * Cluster scenarios on the simulator with a calm network (1–5 ms, no loss) and scripted faults.
 * The simulator's invariants (one leader per term, never two serving leaders, votes on disk, no
 * acknowledged write lost) run throughout every scenario.
 */
import { DEFAULT_ELECTION_CONFIG as C, ElectionNode, type ElectionEvent } from '../src';
import { Simulation } from './sim/simulation';

const LEASE_WAIT_MS = C.leaseDurationMs + C.clockDriftMarginMs;

function cluster(nodeCount: number, partitionCount: number, seed = 7): Simulation {
  const sim = new Simulation({ seed, nodeCount, partitionCount, writeChancePerTick: 0.05 });
  sim.recordEvents = true;
  return sim;
}

/** Runs until every partition is served by its preferred replica. */
function settle(sim: Simulation, withinMs = 15_000): void {
  sim.runUntilCondition(() => sim.allServedByPreferred(), sim.now + withinMs, 'settled on preferred leaders');
}

function eventsSince(sim: Simulation, sinceMs: number, type: ElectionEvent['type']) {
  return sim.events.filter((e) => e.atMs >= sinceMs && e.event.type === type);
}

/**
 * The case leader stickiness cannot cover. The leader is cut off from one follower (the
 * candidate), which will campaign once its election timeout passes. The other follower (the voter)
 * acked the leader a moment ago and then reboots: it forgot that, and votes. The old leader is then
 * cut off entirely, so nothing tells it of the new term: it keeps serving until its lease ends.
 */
function rebootedVoter(
  sim: Simulation,
  afterElection?: (ids: { leader: string; candidate: string; voter: string }) => void,
): { oldLeaderServingAtElection: boolean } {
  settle(sim);
  const [leader, candidate, voter] = sim.replicaSets.get(0)!;
  sim.blockLink(leader, candidate);
  sim.blockLink(candidate, leader);
  sim.runFor(C.electionTimeoutMinMs - 100);
  sim.crash(voter);
  sim.runFor(10);
  sim.restart(voter);
  sim.partitionNetwork([[candidate, voter], [leader]]);
  const old = sim.node(leader);
  const deadline = sim.now + 5_000;
  while (sim.node(candidate).engine!.roleOf(0) !== 'leader') {
    if (sim.now > deadline) throw new Error('the candidate never won');
    sim.runFor(1);
  }
  const oldLeaderServingAtElection = old.engine!.isServingLeader(0, sim.localNow(old));
  afterElection?.({ leader, candidate, voter });
  sim.runUntilCondition(() => sim.servingLeaders(0).length === 1 && sim.servingLeaders(0)[0] !== leader, sim.now + 3_000, 'new leader serving', 5);
  return { oldLeaderServingAtElection };
}

describe('scenarios', () => {
  it('elects one leader, which serves only after the lease wait, then settles on the preferred replica', () => {
    const sim = cluster(3, 1);
    sim.runUntilCondition(() => sim.allServed(), 5_000, 'served');
    const [leader] = sim.servingLeaders(0);
    for (const id of sim.replicaSets.get(0)!) expect(sim.node(id).engine!.leaderOf(0)).toBe(leader);

    const elected = sim.events.find((e) => e.event.type === 'RoleChanged' && e.event.to === 'leader')!;
    const serving = sim.events.find((e) => e.event.type === 'ServingChanged' && e.event.serving)!;
    expect(serving.node).toBe(elected.node);
    expect(serving.atMs - elected.atMs).toBeGreaterThanOrEqual(LEASE_WAIT_MS);

    settle(sim);
    sim.finish();
  });

  it('replaces a crashed leader within an election timeout plus the lease wait', () => {
    const sim = cluster(3, 1);
    settle(sim);
    const crashedAt = sim.now;
    sim.crash(sim.replicaSets.get(0)![0]);
    const servedAt = sim.runUntilCondition(() => sim.allServed(), crashedAt + 5_000, 'served after failover', 5);
    expect(servedAt - crashedAt).toBeGreaterThan(C.electionTimeoutMinMs + LEASE_WAIT_MS - 50);
    expect(servedAt - crashedAt).toBeLessThan(C.electionTimeoutMaxMs + LEASE_WAIT_MS + 200);
    sim.finish();
  });

  it('a replica cut off for long does not depose the leader when it returns (pre-vote and stickiness)', () => {
    const sim = cluster(3, 1);
    settle(sim);
    const [leader, follower, other] = sim.replicaSets.get(0)!;
    const term = sim.node(leader).engine!.termOf(0);
    const electionsBefore = sim.stats.elections;

    sim.partitionNetwork([[leader, other], [follower]]);
    sim.runFor(10_000);
    // Its election timer fired (it keeps asking for pre-votes), but they failed: its term did not move.
    expect(sim.node(follower).engine!.roleOf(0)).toBe('pre-candidate');
    expect(sim.node(follower).engine!.termOf(0)).toBe(term);
    expect(sim.node(follower).disk.get(0)?.term).toBe(term);

    sim.healNetwork();
    for (let i = 0; i < 60; i++) {
      sim.runFor(50);
      expect(sim.servingLeaders(0)).toEqual([leader]);
    }
    expect(sim.stats.elections).toBe(electionsBefore);
    expect(sim.node(follower).engine!.leaderOf(0)).toBe(leader);
    sim.finish();
  });

  it('keeps one serving leader when a voter reboots and forgets whom it acked (the lease wait)', () => {
    const sim = cluster(3, 1);
    const { oldLeaderServingAtElection } = rebootedVoter(sim);
    // The new leader won while the old one still held its lease: only the wait kept them apart.
    expect(oldLeaderServingAtElection).toBe(true);
    sim.finish(); // and the checker found no instant with two serving leaders
  });

  it('a transfer made during the lease wait does not let its target skip the wait', () => {
    const sim = cluster(3, 1);
    let transferredWhileOldLeaderServed = false;
    rebootedVoter(sim, ({ leader, voter }) => {
      // As soon as the voter is a fit target (it acked a round of the new term, and the stale
      // "down" hint about its reboot is overruled by an ack), while the old leader still serves.
      const old = sim.node(leader);
      for (let i = 0; i < 100; i++) {
        sim.runFor(5);
        if (sim.transfer(0, voter)) {
          transferredWhileOldLeaderServed = old.engine!.isServingLeader(0, sim.localNow(old));
          return;
        }
      }
      throw new Error('never transferred');
    });
    expect(transferredWhileOldLeaderServed).toBe(true);
    sim.finish(); // the voter waited out the old lease: no instant with two serving leaders
  });

  it('self-test: the checker catches a leader that skips the lease wait', () => {
    // Fault injection into a private method, for this test only: serve as soon as elected.
    const proto = ElectionNode.prototype as unknown as { becomeLeader(ps: { servingNotBeforeMs: number }): void };
    const original = proto.becomeLeader;
    proto.becomeLeader = function (this: { nowMs: number }, ps) {
      original.call(this, ps);
      ps.servingNotBeforeMs = this.nowMs;
    };
    try {
      expect(() => {
        const sim = cluster(3, 1);
        rebootedVoter(sim);
        sim.finish();
      }).toThrow(/two serving leaders at once/);
    } finally {
      proto.becomeLeader = original;
    }
  });

  it('an admin transfer moves leadership at once, without a lease wait; balancing later returns it', () => {
    const sim = cluster(3, 1);
    settle(sim);
    const [preferred, target] = sim.replicaSets.get(0)!;
    const at = sim.now;
    expect(sim.transfer(0, target)).toBe(true);
    expect(sim.servingLeaders(0)).toEqual([]);
    const servedAt = sim.runUntilCondition(() => sim.servingLeaders(0).join() === target, at + 1_000, 'target serving', 5);
    expect(servedAt - at).toBeLessThan(200);

    settle(sim, C.balanceHoldMs + 1_000);
    expect(sim.servingLeaders(0)).toEqual([preferred]);
    const transfers = eventsSince(sim, at, 'TransferStarted').map((e) => e.event);
    expect(transfers).toEqual([
      expect.objectContaining({ to: target, reason: 'admin' }),
      expect.objectContaining({ to: preferred, reason: 'balance' }),
    ]);
    sim.finish();
  });

  it('leadership returns to a preferred replica that comes back, once per partition, and stays', () => {
    const sim = cluster(4, 8);
    settle(sim);
    sim.crash('n0');
    sim.runFor(4_000);
    const restartedAt = sim.now;
    sim.restart('n0');
    settle(sim, C.electionTimeoutMaxMs + C.balanceHoldMs + 3_000);
    const ownPartitions = [...sim.replicaSets].filter(([, r]) => r[0] === 'n0').length;
    expect(eventsSince(sim, restartedAt, 'TransferStarted')).toHaveLength(ownPartitions);

    const settledAt = sim.now;
    for (let i = 0; i < 100; i++) {
      sim.runFor(100);
      expect(sim.allServedByPreferred()).toBe(true);
    }
    expect(eventsSince(sim, settledAt, 'RoleChanged')).toEqual([]);
    sim.finish();
  });

  it('a flapping preferred replica does not pull leadership back and forth', () => {
    const sim = cluster(4, 8);
    settle(sim);
    const flapFrom = sim.now;
    for (let i = 0; i < 8; i++) {
      sim.crash('n0');
      sim.runFor(200);
      sim.restart('n0');
      sim.runFor(C.balanceHoldMs - 1_500);
    }
    const toN0 = eventsSince(sim, flapFrom, 'TransferStarted').filter((e) => e.event.type === 'TransferStarted' && e.event.to === 'n0');
    expect(toN0).toEqual([]);
    settle(sim, C.electionTimeoutMaxMs + C.balanceHoldMs + 3_000);
    sim.finish();
  });

  it('a draining node sheds all leadership, keeps none while draining, and gets it back after', () => {
    const sim = cluster(4, 8);
    settle(sim);
    sim.setDraining('n0', true);
    sim.runUntilCondition(
      () => sim.allServed() && [...sim.replicaSets.keys()].every((p) => sim.node('n0').engine!.roleOf(p) !== 'leader'),
      sim.now + 2_000,
      'drained',
    );
    for (let i = 0; i < 50; i++) {
      sim.runFor(100);
      expect([...sim.replicaSets.keys()].some((p) => sim.servingLeaders(p).includes('n0'))).toBe(false);
    }
    sim.setDraining('n0', false);
    settle(sim, C.balanceHoldMs + 2_000);
    sim.finish();
  });

  it('a leader cut off from both followers stops serving when its lease ends, and a new one takes over', () => {
    const sim = cluster(3, 1);
    settle(sim);
    const [leader, a, b] = sim.replicaSets.get(0)!;
    sim.partitionNetwork([[leader], [a, b]]);
    const cutAt = sim.now;
    sim.runUntilCondition(() => sim.servingLeaders(0).length === 0, cutAt + C.leaseDurationMs + 200, 'old lease over', 5);
    sim.runUntilCondition(() => sim.allServed(), cutAt + C.electionTimeoutMaxMs + LEASE_WAIT_MS + 500, 'new leader serving', 5);
    expect(sim.servingLeaders(0)).not.toContain(leader);
    sim.runFor(C.electionTimeoutMinMs);
    expect(sim.node(leader).engine!.roleOf(0)).not.toBe('leader'); // check-quorum
    sim.healNetwork();
    settle(sim, C.balanceHoldMs + 3_000);
    sim.finish();
  });
});
