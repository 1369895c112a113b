import { DEFAULT_SWIM_CONFIG, suspicionTimeoutMs } from '../src/swim';
import { randomInt, seededRandom } from './support/prng';
import { addressOf, SimulatedCluster, type ObservedEvent } from './support/simulated-cluster';

/**
 * Deterministic simulation of the SWIM core: 3 to 9 members in one process, simulated clock and
 * network (delay, reordering, loss, partitions), crashes and restarts, all decided by one seed.
 * A failing seed is printed; replay it alone with
 *   SEED=<seed> npx jest packages/membership/test/swim-simulation --selectProjects unit
 */

const SEED_COUNT = Number(process.env.SEED_COUNT ?? 40);
const SEEDS = process.env.SEED ? [Number(process.env.SEED)] : Array.from({ length: SEED_COUNT }, (_, i) => i + 1);

const PERIOD_MS = DEFAULT_SWIM_CONFIG.protocolPeriodMs;
/** All members of a fresh cluster see each other alive within this (joins, then gossip; under loss, join retries). */
const CONVERGE_MS_MAX = 15_000;

/** Runs one scenario for one seed; on failure says which seed and shows the end of the trace. */
function withSeed(seed: number, scenario: (sim: SimulatedCluster, random: () => number) => void, lossRate = 0): SimulatedCluster {
  const sim = new SimulatedCluster({ seed, lossRate });
  try {
    scenario(sim, seededRandom(seed ^ 0x5eed));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `seed ${seed} failed: ${message}\n` +
        `replay: SEED=${seed} npx jest packages/membership/test/swim-simulation --selectProjects unit\n` +
        `trace (last lines):\n${sim.tail()}`,
    );
  }
  return sim;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Starts n members; members 0 and 1 are the seeds (each other's), the rest join through both. */
function startCluster(sim: SimulatedCluster, n: number): number[] {
  const indexes = range(n);
  const seeds = [addressOf(0), addressOf(1)];
  for (const i of indexes) sim.addNode(i, seeds);
  sim.runUntil(() => sim.allSee(indexes, indexes, 'alive'), CONVERGE_MS_MAX);
  return indexes;
}

/**
 * From a crash to "dead everywhere": up to a probe round (n - 1 periods) before a prober reaches
 * it, the suspicion timeout, and a few periods for the verdict to spread.
 */
function deadEverywhereBoundMs(n: number): number {
  return suspicionTimeoutMs(DEFAULT_SWIM_CONFIG, n) + (n + 4) * PERIOD_MS;
}

/** A partition kills up to n - 1 members at once for each member: each needs its own probe in the round. */
function separatedBoundMs(n: number): number {
  return suspicionTimeoutMs(DEFAULT_SWIM_CONFIG, n) + (2 * n + 6) * PERIOD_MS;
}

function eventsAbout(events: ObservedEvent[], memberId: string, sinceMs: number): ObservedEvent[] {
  return events.filter((e) => e.memberId === memberId && e.atMs >= sinceMs);
}

describe('SWIM simulation', () => {
  it.each(SEEDS)('detects a crash, then takes back the restarted member (seed %i)', (seed) => {
    withSeed(seed, (sim, random) => {
      const n = randomInt(random, 3, 9);
      const all = startCluster(sim, n);
      const victim = randomInt(random, 0, n - 1);
      const victimId = `node-${victim}`;
      const others = all.filter((i) => i !== victim);
      const incarnationAtCrash = sim.member(victim).incarnation;

      const crashMs = sim.nowMs;
      sim.crash(victim);
      sim.runUntil(() => others.every((o) => sim.view(o, victimId) === 'dead'), deadEverywhereBoundMs(n));

      // The path to dead went through suspicion: whoever first declared it dead had suspected it
      // for at least the suspicion timeout, and nobody saw it dead before anyone suspected it.
      const after = eventsAbout(sim.events, victimId, crashMs);
      const firstSuspect = after.find((e) => e.to === 'suspect');
      const firstDead = after.find((e) => e.to === 'dead');
      expect(firstSuspect).toBeDefined();
      expect(firstDead!.atMs - firstSuspect!.atMs).toBeGreaterThanOrEqual(sim.member(others[0]).suspicionTimeoutMs());
      // Without loss nobody else was ever suspected.
      expect(sim.events.filter((e) => e.memberId !== victimId && e.to !== 'alive')).toEqual([]);

      // Restart: half the seeds come back at incarnation 0 and must refute their own death by
      // outbidding it; the other half come back with a higher incarnation (persisted).
      const restartIncarnation = random() < 0.5 ? 0 : incarnationAtCrash + 1;
      const seeds = [addressOf(0), addressOf(1)];
      sim.restart(victim, seeds, restartIncarnation);
      sim.runUntil(() => sim.allSee(all, all, 'alive'), 4 * PERIOD_MS + 2 * DEFAULT_SWIM_CONFIG.joinRetryIntervalMs);
      for (const o of others) expect(sim.member(o).member(victimId)!.incarnation).toBeGreaterThan(incarnationAtCrash);
    });
  });

  it.each(SEEDS)('converges again after a partition heals (seed %i)', (seed) => {
    withSeed(seed, (sim, random) => {
      const n = randomInt(random, 3, 9);
      const all = startCluster(sim, n);
      const cut = randomInt(random, 1, n - 1);
      const shuffled = [...all].sort(() => random() - 0.5);
      const sideA = shuffled.slice(0, cut);
      const sideB = shuffled.slice(cut);
      sim.partitionInto([sideA, sideB]);
      // Each side gives the other up (the ring keeps them; membership reports them dead).
      sim.runUntil(
        () => sim.allSee(sideA, sideB, 'dead') && sim.allSee(sideB, sideA, 'dead'),
        separatedBoundMs(n),
      );
      expect(sim.allSee(sideA, sideA, 'alive') && sim.allSee(sideB, sideB, 'alive')).toBe(true);

      sim.heal();
      // Dead members are not probed: the reconnect sync (every reconnectIntervalMs, staggered up
      // to 1.5 times that) finds the other side, and a few suspicion timeouts settle the rest.
      const healBoundMs = 1.5 * DEFAULT_SWIM_CONFIG.reconnectIntervalMs + 3 * suspicionTimeoutMs(DEFAULT_SWIM_CONFIG, n) + 10 * PERIOD_MS;
      sim.runUntil(() => sim.allSee(all, all, 'alive'), healBoundMs);
    });
  });

  it.each(SEEDS)('refutes false suspicions under 10% message loss (seed %i)', (seed) => {
    const sim = withSeed(
      seed,
      (sim, random) => {
        const n = randomInt(random, 3, 9);
        const all = startCluster(sim, n);
        const startMs = sim.nowMs;
        sim.run(60_000);
        const falseDeaths = sim.events.filter((e) => e.atMs >= startMs && e.to === 'dead');
        // Every suspicion was refuted before its timeout: nobody was declared dead.
        expect(falseDeaths).toEqual([]);
        // And the cluster is settled: everyone alive everywhere (at most a refutation in flight).
        sim.runUntil(() => sim.allSee(all, all, 'alive'), suspicionTimeoutMs(DEFAULT_SWIM_CONFIG, n));
      },
      0.1,
    );
    expect(sim.messagesLost).toBeGreaterThan(0);
  });

  it('replays the same run from the same seed', () => {
    const trace = (seed: number) => {
      const sim = new SimulatedCluster({ seed, lossRate: 0.05 });
      const seeds = [addressOf(0), addressOf(1)];
      for (const i of range(5)) sim.addNode(i, seeds);
      sim.run(3_000);
      sim.crash(2);
      sim.run(10_000);
      return sim.events;
    };
    expect(trace(42)).toEqual(trace(42));
    expect(trace(42)).not.toEqual(trace(43));
  });

  it('reports a graceful leave as left, not dead', () => {
    withSeed(7, (sim) => {
      const all = startCluster(sim, 5);
      sim.leave(3);
      const others = all.filter((i) => i !== 3);
      sim.runUntil(() => others.every((o) => sim.view(o, 'node-3') === 'left'), 2 * PERIOD_MS);
      // It stops answering afterwards (the process exits): still left, never dead.
      sim.crash(3);
      sim.run(20_000);
      expect(others.every((o) => sim.view(o, 'node-3') === 'left')).toBe(true);
    });
  });
});
