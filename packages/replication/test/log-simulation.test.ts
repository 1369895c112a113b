/**
 * The randomized deterministic simulation of the replicated log (see sim/log-workload.ts): 300
 * seeds by default, each 3–6 nodes and 2–6 partitions under crashes, quick reboots, disk wipes,
 * partitions (also one-way), loss, duplication, reordering, very late messages, fsync stalls, clock
 * drift, transfers, drains and false membership hints, with clients writing and reading; then
 * healed and required to recover and converge.
 *
 *   SEED=123 npx jest packages/replication/test/log-simulation     replays one seed (prints its trace on failure)
 *   SEEDS=2000 npx jest packages/replication/test/log-simulation   runs seeds 1..2000
 *   npx tsx packages/replication/test/sim/run-log-seeds.ts --count 100000   many seeds, on every core
 */
import { stepMoves } from './sim/log-moves';
import { LogSimulation } from './sim/log-simulation';
import { runLogSeed, type LogSeedResult } from './sim/log-workload';
import { Prng } from './sim/prng';
import { PLANTED_BUGS, type PlantedBug } from './sim/planted-bugs';

const seeds =
  process.env.SEED !== undefined
    ? [Number(process.env.SEED)]
    : Array.from({ length: Number(process.env.SEEDS ?? 300) }, (_, i) => i + 1);

/** Stop after this many failing seeds: their traces are long and the first one is usually enough. */
const FAILURES_REPORTED_MAX = 3;

describe('log simulation', () => {
  it(`keeps every invariant and converges after faults, over ${seeds.length} seed(s)`, () => {
    const results: LogSeedResult[] = [];
    const failures: string[] = [];
    for (const seed of seeds) {
      try {
        // Every tenth seed also round-trips each message through JSON and the decoders.
        results.push(runLogSeed(seed, { wireCheck: seed % 10 === 0 }));
      } catch (error) {
        failures.push((error as Error).stack ?? (error as Error).message);
        if (failures.length >= FAILURES_REPORTED_MAX) break;
      }
    }
    if (failures.length > 0) throw new Error(`${failures.length} failing seed(s):\n\n${failures.join('\n\n')}`);
    const sum = (key: keyof LogSeedResult) => results.reduce((total, r) => total + r[key], 0);
    const max = (key: keyof LogSeedResult) => Math.max(...results.map((r) => r[key]));
    // The faults must actually happen, or the run proves little (one seed replayed alone may have
    // no wipe: seed 7071 has none).
    if (seeds.length >= 20) expect(sum('wipes')).toBeGreaterThan(0);
    expect(sum('acknowledged')).toBeGreaterThan(0);
    if (seeds.length >= 100) {
      expect(sum('snapshots')).toBeGreaterThan(0);
      expect(sum('truncations')).toBeGreaterThan(0);
      expect(sum('promotions')).toBeGreaterThan(0);
      expect(sum('failed')).toBeGreaterThan(0);
      // Replica-set changes: moves finish, and removed replicas learn it from their logs.
      expect(sum('movesDone')).toBeGreaterThan(0);
      expect(sum('removals')).toBeGreaterThan(0);
    }
    if (process.env.SEED !== undefined || process.env.SIM_SUMMARY) {
      console.log(
        `${results.length} seeds, ${(sum('simulatedMs') / 1000).toFixed(0)} s simulated: ${sum('steps')} steps, ${sum('elections')} elections, ` +
          `${sum('transfers')} transfers, ${sum('crashes')} crashes, ${sum('wipes')} wipes, ${sum('snapshots')} snapshots, ` +
          `${sum('truncations')} truncations, ${sum('promotions')} promotions, ${sum('configChanges')} configuration changes, ` +
          `moves ${sum('movesStarted')} started, ${sum('movesDone')} done, ${sum('movesGivenUp')} given up, ${sum('removals')} removals learned from the log, ${sum('cleanups')} strays cleaned up; writes: ${sum('proposed')} proposed, ` +
          `${sum('acknowledged')} acknowledged, ${sum('failed')} failed, ${sum('unknown')} unknown; ${sum('reads')} strong reads; ` +
          `served at most ${max('servedAfterMs').toFixed(0)} ms after healing, converged at most ${max('convergedAfterMs').toFixed(0)} ms after that`,
      );
    }
  }, 300_000);

  // Seeds that failed once, each for a reason the simulator's own runs may no longer reach: they
  // must replay clean whatever SEED or SEEDS say.
  //  - 7071: a join given up while its node was down was never cleaned up (the stray's clock restarted
  //    at every transfer, and a joined node's balancing ranked voters unlike the others', so
  //    leadership moved every 3 s). Since leaders stopped sending to removed nodes the seed runs
  //    otherwise and no longer reaches that; the scenario below and membership.test.ts keep it;
  //  - 11027: a node that moved into a partition and then lost its disk restarted knowing no member
  //    of it (no leader's heartbeat taken, nobody reminded), in a partition idle after healing;
  //  - 18731: the same for a node of the initial placement whose partition's leader had moved in
  //    (it restarted from the initial placement, which does not name that leader);
  //  - 33062: a learner held the only copy of a deposed leader's no-op (that leader, the one voter
  //    with it, lost its disk); the voter with the learner's uncommitted promotion needed its vote
  //    and the other voter was behind: no one could win until learners could campaign;
  //  - 735, 2339, 3371, 4096, 4383, 4891, 7082, 8602 (liveness) and 3110, 3310, 6480 (the wire
  //    check refused the snapshot): a learner that joined led before it knew the configuration as of its applied
  //    position, and its snapshots carried the unknown (empty) one: the voters that installed it
  //    took it for their removal and dropped the partition, which was left without a majority.
  //    One line each:
  //    735: p2's joined learner n3 emptied voter n1, then led for ever, n2 the only voter left to commit;
  //    2339: p0's joined learner n2 emptied voters n0 and n3: n4 and n2 pre-campaigned for ever;
  //    3110: p0's joined learner n4, elected, streamed a snapshot with no voters (refused on the wire);
  //    3310: the same for p0's joined learner n1;
  //    3371: p1's joined learner n2 emptied voters n1 and n3 (elected twice, terms 5 and 6);
  //    4096: p1's joined learner n2 emptied voters n3 and n4;
  //    4383: p5's and p1's joined learner n3 emptied n0 (p5), and n0 and n2 (p1);
  //    4891: p0's joined learner n3 emptied voters n2 and n0;
  //    6480: p1's joined learner n3, elected, streamed a snapshot with no voters (refused on the wire);
  //    7082: p4's joined learner n1 emptied voter n2;
  //    8602: p0's joined learner n1 emptied voters n0 and n2;
  //  - 14171: a node lost its disk while a move of its partition ran, and restarted from the replica
  //    set the layout recorded then, which did not name the leader that had moved in; the simulator
  //    never gave it the move's layout once done (a storage node adopts it), so it ignored that
  //    leader's heartbeats for ever in an idle partition (the scenario below keeps it);
  //  - 55361: a wiped learner being moved in answered the Append that committed its promotion
  //    entry as a learner (it applies after answering), and that answer was lost: the idle leader
  //    counted it a learner for ever and refused the move's promotion (`learner-behind`); a leader
  //    now asks a caught-up learner again until it answers as a voter (replica-node.test.ts).
  it.each([7071, 11027, 18731, 33062, 735, 2339, 3110, 3310, 3371, 4096, 4383, 4891, 6480, 7082, 8602, 14171, 55361])('replays seed %i clean', (seed) => {
    expect(runLogSeed(seed, { wireCheck: seed % 10 === 0 }).movesDone).toBeGreaterThan(0);
  });

  it('cleans up a join given up while its node was down, though leadership moves more often than the clean-up waits (seed 7071)', () => {
    const sim = new LogSimulation({ seed: 5, nodeCount: 4, partitionCount: 1 });
    sim.runUntilCondition(() => sim.allServed(), 5_000, 'the partition served');
    const spare = sim.nodes.find((n) => !sim.replicaSets.get(0)!.includes(n.id))!.id;
    const voters = () => sim.node(sim.servingLeaders(0)[0]).engine!.configuration(0)!.config.voters;
    // The node joins while down, is added as a learner, and the join is given up.
    sim.crash(spare);
    sim.join(spare, 0);
    expect(sim.proposeConfiguration(0, { voters: voters(), learners: [spare] })).toMatchObject({ ok: true });
    sim.runFor(300);
    expect(sim.proposeConfiguration(0, { voters: voters(), learners: [] })).toMatchObject({ ok: true });
    sim.runFor(300);
    sim.restart(spare);
    // The driver looks every 20 ms; leadership moves every 1.5 s, each time with a moment unserved.
    const strays = new Map<string, number>();
    const rng = new Prng(1);
    for (let ms = 0; ms < 12_000 && sim.replicaSets.get(0)!.includes(spare); ms += 20) {
      if (ms % 1_500 === 0) sim.transfer(0);
      stepMoves(sim, rng, strays);
      sim.runFor(20);
    }
    expect(sim.stats.transfers).toBeGreaterThanOrEqual(3);
    expect(sim.replicaSets.get(0)).not.toContain(spare);
    expect(sim.stats.cleanups).toBe(1);
  });

  it('brings a node that lost its disk during a move under the leader that moved in, once the move is done (seed 14171)', () => {
    const sim = new LogSimulation({ seed: 5, nodeCount: 4, partitionCount: 1 });
    sim.runUntilCondition(() => sim.allServed(), 5_000, 'the partition served');
    const hosts = [...sim.replicaSets.get(0)!];
    const spare = sim.nodes.find((n) => !hosts.includes(n.id))!.id;
    // The preferred replica leaves; the next one in the layout's order loses its disk.
    const [removed, wiped] = hosts;
    const step = (next: { voters: string[]; learners: string[] }) => {
      sim.runUntilCondition(() => sim.proposeConfiguration(0, next).ok, sim.now + 5_000, `${JSON.stringify(next)} proposed`, 100);
      sim.runUntilCondition(() => sim.node(sim.servingLeaders(0)[0]).engine!.configuration(0)!.committed, sim.now + 5_000, 'the change committed', 10);
    };
    // The move's steps: `spare` joins and is promoted, takes the lead, and `removed` leaves.
    sim.moving.set(0, { partition: 0, add: spare, remove: removed, abort: false, aborted: false, joined: true, startedMs: sim.now });
    sim.join(spare, 0);
    step({ voters: hosts, learners: [spare] });
    step({ voters: [...hosts, spare], learners: [] });
    sim.runUntilCondition(() => sim.transfer(0, spare), sim.now + 5_000, 'a transfer to the node that moved in', 100);
    sim.runUntilCondition(() => sim.servingLeaders(0)[0] === spare, sim.now + 5_000, 'the node that moved in serving', 10);
    step({ voters: [...hosts, spare].filter((id) => id !== removed), learners: [] });
    sim.runUntilCondition(() => !sim.replicaSets.get(0)!.includes(removed), sim.now + 5_000, 'the removed node gone', 10);
    // Before the layout records the move, `wiped` loses its disk: it restarts from the replica set
    // the layout records now, which does not name the leader (it ignores its heartbeats and reminds
    // only the old voters), and the leader, believing it up to date, sends an idle partition nothing.
    // It would be the leader's choice for balancing, but a learner takes no transfer: nothing moves.
    sim.wipe(wiped);
    sim.restart(wiped);
    sim.runFor(2_000);
    expect(sim.node(wiped).engine!.isVoter(0)).toBe(false);
    expect(sim.servingLeaders(0)).toEqual([spare]);
    // The move is done: the layout records it, and the running nodes adopt it.
    stepMoves(sim, new Prng(1), new Map());
    expect(sim.moving.has(0)).toBe(false);
    sim.runUntilCondition(() => sim.allConverged(), sim.now + 10_000, 'every replica a voter with the same applied state');
  });

  it('is deterministic: a seed replays exactly', () => {
    expect(runLogSeed(42)).toEqual(runLogSeed(42));
  });
});

/**
 * Seeds searched for each planted bug. Over seeds 1..200 the rarest one here is found in about one
 * seed in ten (see the README); a simulator change that makes one of them slip through is a loss
 * of power to look into, not a seed to bump.
 */
const PLANTED_SEEDS_MAX = 60;
/** A leader committing an earlier term's entry by count is masked by the no-op every new leader appends first (README). */
const NOT_REACHED: ReadonlySet<PlantedBug> = new Set<PlantedBug>(['commit-earlier-term']);

describe('log simulation with a planted bug', () => {
  it.each(PLANTED_BUGS.filter((bug) => !NOT_REACHED.has(bug)))('finds %s', (bug) => {
    let found: string | undefined;
    for (let seed = 1; seed <= PLANTED_SEEDS_MAX && found === undefined; seed++) {
      try {
        runLogSeed(seed, { bugs: [bug] });
      } catch (error) {
        found = (error as Error).message.split('\n')[0];
      }
    }
    expect(found).toBeDefined();
    expect(found).not.toMatch(/liveness/); // a safety invariant or an assertion caught it
  }, 120_000);
});
