/**
 * One seeded run of the log simulator, shaped like a FoundationDB workload: setup (3–6 nodes, 2–6
 * partitions of three replicas, clients writing and reading throughout), start (warm-up, then a
 * burst of random faults: crashes, quick reboots, disk wipes, lease attacks, two-way and one-way
 * partitions, loss, duplication, very late messages, fsync stalls, transfers, drains, false
 * membership hints), check (heal everything, then demand liveness: every partition served, every
 * replica a voter with the same applied state, and a last write per partition acknowledged).
 * Safety invariants run throughout (log-invariants.ts).
 */
import { InvariantViolation } from './invariants';
import { MOVE_STEP_INTERVAL_MS, planMove, stepMoves } from './log-moves';
import type { Proposal } from './log-sim-node';
import { CALM_DISK, LogSimulation, type LogSimStats, type NetworkConditions } from './log-simulation';
import type { PlantedBug } from './planted-bugs';
import { Prng } from './prng';

/** How long faults are injected after warm-up. */
export const LOG_CHAOS_MS = 8_000;
/**
 * After healing, every partition must have a serving leader within this: a returning node's first
 * election timeout (up to 2 s), a split vote or stale-term round (2 s more), the lease wait (1 s)
 * and the no-op's round trip. With a learner among the three only two replicas vote, and if one
 * of them is behind only the other can win, however ranked its timeouts: seed 60479 needed four
 * rounds (a pre-vote refused on its term, a lost vote request) and served 8.6 s after healing.
 */
export const LOG_SERVED_WITHIN_MS = 12_000;
/**
 * ...then every replica must be a voter holding the leader's whole log, applied, within this: a
 * lost Append is resent after 500 ms, a learner needs its catch-up (or snapshot) and its promotion
 * entry, and an early serving leader may still lose its lease once to a returning node.
 */
export const LOG_CONVERGED_WITHIN_MS = 10_000;
/** ...and a last write per partition must be acknowledged, and applied everywhere, within this. */
export const LOG_FINAL_WRITE_WITHIN_MS = 5_000;
/** Clients issue one operation per partition about this often... */
const CLIENT_INTERVAL_MS = 40;
/**
 * ...or, in one seed of twenty, this often: a few thousand entries per partition, so that logs grow
 * past LOG_COMPACTION_SLACK_ENTRIES and windows are compacted (a later leader's window then starts
 * after entries a lagging follower lacks: snapshots).
 */
const BUSY_CLIENT_INTERVAL_MS = 4;
const BUSY_SEED_SHARE = 0.05;
/** Chance, at each fault of the chaos phase, that a move of a partition starts too. */
const MOVE_PLAN_SHARE = 0.15;

const HEALED_NETWORK: NetworkConditions = { lossRate: 0.01, duplicateRate: 0.01, delayMinMs: 1, delayMaxMs: 10, slowRate: 0, slowDelayMaxMs: 0 };

export interface LogSeedOptions {
  wireCheck?: boolean;
  bugs?: readonly PlantedBug[];
  persistChecks?: boolean;
}

export interface LogSeedResult extends LogSimStats {
  seed: number;
  nodes: number;
  partitions: number;
  simulatedMs: number;
  servedAfterMs: number;
  convergedAfterMs: number;
}

export function runLogSeed(seed: number, options: LogSeedOptions = {}): LogSeedResult {
  const rng = new Prng(seed ^ 0x10c5eed);
  const sim = new LogSimulation({
    seed,
    nodeCount: rng.int(3, 6),
    partitionCount: rng.int(2, 6),
    clockRateDriftMax: 0.01,
    wireCheck: options.wireCheck,
    bugs: options.bugs,
    persistChecks: options.persistChecks,
  });
  try {
    sim.setNetwork({ ...HEALED_NETWORK });
    sim.startClients(rng.chance(BUSY_SEED_SHARE) ? BUSY_CLIENT_INTERVAL_MS : CLIENT_INTERVAL_MS);
    // The mover runs to the end, so that moves started during the faults finish after them.
    const moveRng = rng.fork();
    const strays = new Map<string, number>();
    const moverLoop = () => {
      stepMoves(sim, moveRng, strays);
      sim.at(sim.now + moveRng.real(0.5, 1.5) * MOVE_STEP_INTERVAL_MS, moverLoop);
    };
    sim.at(sim.now + MOVE_STEP_INTERVAL_MS, moverLoop);
    sim.runFor(rng.real(1_500, 3_500));
    const faults = { active: true };
    chaos(sim, rng, LOG_CHAOS_MS, faults);

    const healedAt = sim.now;
    faults.active = false; // faults scheduled during chaos do not fire any more
    heal(sim, rng);
    const servedAt = sim.runUntilCondition(() => sim.allServed(), healedAt + LOG_SERVED_WITHIN_MS, 'every partition served');
    sim.stopClients();
    const convergedAt = sim.runUntilCondition(() => sim.allConverged(), servedAt + LOG_CONVERGED_WITHIN_MS, 'every replica a voter with the same applied state');
    sim.checker.checkConverged();

    // Writes still work, and reach everyone.
    const finals: Proposal[] = [];
    for (const p of sim.replicaSets.keys()) {
      const leader = sim.node(sim.servingLeaders(p)[0]);
      const proposal = sim.write(leader, p, 'final');
      if (!proposal) throw new InvariantViolation(`liveness: the serving leader ${leader.id} of p${p} refused a write`);
      finals.push(proposal);
    }
    sim.runUntilCondition(
      () => finals.every((f) => sim.node(f.node).disk.state(f.partition).index >= f.index) && sim.allConverged(),
      sim.now + LOG_FINAL_WRITE_WITHIN_MS,
      'the final writes acknowledged and applied everywhere',
    );
    sim.checker.checkConverged();
    sim.finish();
    if (sim.stats.acknowledged === 0) throw new InvariantViolation('workload: no write was acknowledged');
    return {
      seed,
      nodes: sim.nodes.length,
      partitions: sim.replicaSets.size,
      simulatedMs: sim.now,
      servedAfterMs: servedAt - healedAt,
      convergedAfterMs: convergedAt - servedAt,
      ...sim.stats,
    };
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const failure = new Error(
      `seed ${seed} failed (replay with SEED=${seed}): ${message}\n--- partitions at ${sim.now.toFixed(1)} ms ---\n${sim.describe()}\n--- last trace lines ---\n${sim.traceTail()}`,
    );
    if (error instanceof Error && !(error instanceof InvariantViolation)) failure.stack = `${failure.message}\n--- stack ---\n${error.stack}`;
    throw failure;
  }
}

/** Schedules random faults over `durationMs` and runs through them. */
function chaos(sim: LogSimulation, rng: Prng, durationMs: number, faults: { active: boolean }): void {
  const later = (delayMs: number, fault: () => void) => sim.at(sim.now + delayMs, () => faults.active && fault());
  const end = sim.now + durationMs;
  const ids = sim.nodes.map((n) => n.id);
  while (sim.now < end) {
    sim.runFor(rng.real(100, 700));
    // Replica-set changes, beside (not instead of) the faults below.
    if (rng.chance(MOVE_PLAN_SHARE)) planMove(sim, rng);
    const up = sim.nodes.filter((n) => n.up);
    const down = sim.nodes.filter((n) => !n.up);
    const roll = rng.next();
    if (up.length === 0) continue;
    if (roll < 0.07) {
      if (up.length > 1) sim.crash(rng.pick(up).id);
    } else if (roll < 0.12) {
      // A quick reboot: the node keeps its disk but loses what was not yet written.
      const node = rng.pick(up);
      sim.crash(node.id);
      later(rng.real(10, 400), () => sim.restart(node.id));
    } else if (roll < 0.17) {
      // The same, in the middle of a write (its batch lost, what it sent before gone out), or of
      // the next write of a vote.
      sim.crashDuringWrite(rng.pick(up).id, rng.real(10, 400), { votes: rng.chance(0.5) });
    } else if (roll < 0.22) {
      // A lost disk: only while no other replica of its partitions is still a learner (a majority
      // of wiped replicas loses data by definition).
      const node = rng.pick(sim.nodes);
      if (sim.canWipe(node.id)) {
        sim.wipe(node.id);
        later(rng.real(10, 1_500), () => sim.restart(node.id));
      }
    } else if (roll < 0.26) {
      leaseAttack(sim, rng, later);
    } else if (roll < 0.31) {
      durabilityAttack(sim, rng, faults);
    } else if (roll < 0.37) {
      if (down.length > 0) sim.restart(rng.pick(down).id);
    } else if (roll < 0.44) {
      const shuffled = rng.shuffle([...ids]);
      const cut = rng.int(1, shuffled.length - 1);
      sim.partitionNetwork([shuffled.slice(0, cut), shuffled.slice(cut)]);
    } else if (roll < 0.5) {
      const isolated = rng.pick(ids);
      sim.partitionNetwork([ids.filter((id) => id !== isolated)]);
    } else if (roll < 0.57) {
      const from = rng.pick(ids);
      sim.blockLink(from, rng.pick(ids.filter((id) => id !== from)));
    } else if (roll < 0.67) {
      sim.healNetwork();
    } else if (roll < 0.75) {
      sim.setNetwork({
        lossRate: rng.real(0, 0.25),
        duplicateRate: rng.real(0, 0.05),
        delayMinMs: rng.real(0.5, 5),
        delayMaxMs: rng.real(5, 60),
        slowRate: rng.real(0, 0.03),
        slowDelayMaxMs: rng.real(100, 2_500),
      });
    } else if (roll < 0.79) {
      sim.setDisk({ latencyMinMs: rng.real(0.1, 2), latencyMaxMs: rng.real(2, 15), slowRate: rng.real(0, 0.1), slowLatencyMaxMs: rng.real(20, 300) });
    } else if (roll < 0.88) {
      sim.transfer(rng.int(0, sim.replicaSets.size - 1));
    } else if (roll < 0.93) {
      const node = rng.pick(sim.nodes);
      sim.setDraining(node.id, !node.draining);
    } else {
      // A false suspicion from membership, withdrawn later.
      const node = rng.pick(up);
      const about = rng.pick(ids.filter((id) => id !== node.id));
      sim.hint(node, about, false, 0);
      sim.hint(node, about, true, rng.real(500, 3_000));
    }
  }
}

/**
 * Cut a serving leader off from one follower, which will campaign after its election timeout, and
 * reboot the other follower (which acked the leader and would refuse to vote) around that moment,
 * so that it forgets its stickiness: only the new leader's lease wait keeps the two apart.
 */
function leaseAttack(sim: LogSimulation, rng: Prng, later: (delayMs: number, fault: () => void) => void): void {
  const partition = rng.int(0, sim.replicaSets.size - 1);
  const [leader] = sim.servingLeaders(partition);
  if (leader === undefined) return;
  const [voter, rebooted] = rng.shuffle(sim.replicaSets.get(partition)!.filter((id) => id !== leader));
  sim.blockLink(leader, voter);
  sim.blockLink(voter, leader);
  const node = sim.node(rebooted);
  const isolateLeader = rng.chance(0.5);
  later(rng.real(900, 2_100), () => {
    if (!node.up) return;
    sim.crash(rebooted);
    later(rng.real(5, 60), () => {
      sim.restart(rebooted);
      if (isolateLeader) {
        sim.blockLink(leader, rebooted);
        sim.blockLink(rebooted, leader);
      }
    });
  });
}

/**
 * What a durable majority must survive: one follower lags (cut from the leader), then either the
 * leader or the other follower crashes in the middle of a write and reboots, and the network then
 * leaves the rebooted node with the lagging one, away from the replica that kept the newest
 * entries. Whatever was committed must be on one of those two, durably; an entry counted on an
 * unsynced copy is lost here.
 */
function durabilityAttack(sim: LogSimulation, rng: Prng, faults: { active: boolean }): void {
  const partition = rng.int(0, sim.replicaSets.size - 1);
  const [leader] = sim.servingLeaders(partition);
  if (leader === undefined) return;
  const [follower, lagging] = rng.shuffle(sim.replicaSets.get(partition)!.filter((id) => id !== leader));
  const [victim, keeper] = rng.chance(0.5) ? [leader, follower] : [follower, leader];
  sim.blockLink(leader, lagging);
  sim.blockLink(lagging, leader);
  sim.crashDuringWrite(victim, rng.real(20, 300), {
    onCrash: () => {
      if (faults.active) sim.partitionNetwork([sim.nodes.map((n) => n.id).filter((id) => id !== keeper)]);
    },
  });
}

/** Ends every fault: network healed and calm-ish, disks calm, all nodes up, nothing draining, membership converged. */
function heal(sim: LogSimulation, rng: Prng): void {
  sim.healNetwork();
  sim.setNetwork({ ...HEALED_NETWORK });
  sim.setDisk({ ...CALM_DISK });
  for (const node of sim.nodes) node.crashOnWrite = undefined;
  for (const node of sim.nodes) if (node.draining) sim.setDraining(node.id, false);
  for (const node of sim.nodes) if (!node.up) sim.restart(node.id);
  for (const node of sim.nodes) {
    for (const other of sim.nodes) if (other !== node) sim.hint(node, other.id, true, rng.real(50, 500));
  }
}
