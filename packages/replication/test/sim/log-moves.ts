/**
 * Replica-set changes in the log simulator, as a storage node's mover would make them: a move of a
 * partition from one node to another is driven, step by step and from whatever the serving
 * leader's configuration says now (so it resumes across crashes, elections and lost proposals),
 * through single-server changes: the incoming node joins as a learner, is promoted once it holds
 * the committed log, then the outgoing voter is removed. Variants: hand leadership away from the
 * outgoing node first or let it remove itself, give a join up while the node is still a learner,
 * and (over many moves) add a node that was removed before, with its old term and vote.
 *
 * Moves never leave fewer than three voters: with two, one lost disk (a learner until promoted)
 * leaves no majority at all — as in any Raft group of two — so a three-node cluster has no move.
 *
 * A node left outside the committed configuration that never learned it (a join given up before
 * its learner entry reached it) is cleaned up by the driver after a while, as the storage node's
 * layout keeper would; those are counted apart from the nodes that forgot on their own `Removed`.
 */
import type { Configuration, NodeId } from '../../src';
import type { LogSimulation } from './log-simulation';
import type { Move } from './log-sim-node';
import type { Prng } from './prng';


/** How often the mover looks at its moves (each look proposes at most one change per partition). */
export const MOVE_STEP_INTERVAL_MS = 120;
/** A node outside its partition's committed configuration for this long, and not joining it, is cleaned up. */
const STRAY_CLEANUP_MS = 4_000;

/** Starts a move of a random partition not already moving, if its leader serves with a settled configuration. */
export function planMove(sim: LogSimulation, rng: Prng): void {
  const idle = [...sim.replicaSets.keys()].filter((p) => !sim.moving.has(p));
  if (idle.length === 0) return;
  const partition = rng.pick(idle);
  const [leader] = sim.servingLeaders(partition);
  if (leader === undefined) return;
  const status = sim.node(leader).engine!.configuration(partition)!;
  if (!status.committed || status.config.learners.length > 0) return;
  const voters = status.config.voters;
  const hosts = sim.replicaSets.get(partition)!;
  const spare = sim.nodes.filter((n) => !hosts.includes(n.id)).map((n) => n.id);
  if (spare.length === 0) return;
  const move: Move = { partition, add: rng.pick(spare), remove: rng.pick([...voters]), abort: rng.chance(0.1), aborted: false, joined: false, startedMs: sim.now };
  sim.moving.set(partition, move);
  sim.stats.movesStarted++;
  sim.log(`move p${partition}: ${move.remove} → ${move.add}${move.abort ? ' (to be given up)' : ''}`);
}

/** One look at every move, and the clean-up of stray replicas. */
export function stepMoves(sim: LogSimulation, rng: Prng, strays: Map<string, number>): void {
  for (const move of [...sim.moving.values()]) stepMove(sim, rng, move);
  cleanUpStrays(sim, strays);
}

function stepMove(sim: LogSimulation, rng: Prng, move: Move): void {
  const p = move.partition;
  const [leader] = sim.servingLeaders(p);
  if (leader === undefined) return;
  const status = sim.node(leader).engine!.configuration(p)!;
  if (!status.committed) return; // one change at a time: the node would refuse anyway
  const { voters, learners } = status.config;
  const member = (id: NodeId) => voters.includes(id) || learners.includes(id);
  const propose = (next: Configuration) => sim.proposeConfiguration(p, next);
  const hosts = sim.replicaSets.get(p)!;

  if (move.aborted) {
    // The removal of the learner may have been truncated (a new leader): propose it again.
    if (!member(move.add)) finish(sim, move, 'join given up');
    else if (learners.includes(move.add)) propose({ voters, learners: learners.filter((id) => id !== move.add) });
    return;
  }
  if (!member(move.add)) {
    // A node removed before must have forgotten the partition before it joins again, empty.
    if (hosts.includes(move.add) && !joining(sim, move)) return;
    sim.join(move.add, p);
    move.joined = true;
    propose({ voters, learners: [...learners, move.add] });
    return;
  }
  if (learners.includes(move.add)) {
    // The learner may have dropped the partition (it applied an earlier removal of itself before
    // the entry that adds it back reached it): it joins again.
    if (!hosts.includes(move.add)) {
      sim.join(move.add, p);
      return;
    }
    if (move.abort && rng.chance(0.3)) {
      if (propose({ voters, learners: learners.filter((id) => id !== move.add) }).ok) move.aborted = true;
      return;
    }
    propose({ voters: [...voters, move.add], learners: learners.filter((id) => id !== move.add) });
    return;
  }
  if (member(move.remove)) {
    if (move.remove === leader && rng.chance(0.5)) sim.transfer(p);
    else propose({ voters: voters.filter((id) => id !== move.remove), learners });
    return;
  }
  sim.placement.set(p, [...voters]);
  sim.adoptPlacement(p);
  finish(sim, move, 'done');
}

function joining(sim: LogSimulation, move: Move): boolean {
  return move.joined && sim.replicaSets.get(move.partition)!.includes(move.add);
}

function finish(sim: LogSimulation, move: Move, why: string): void {
  sim.moving.delete(move.partition);
  if (why === 'done') sim.stats.movesDone++;
  else sim.stats.movesGivenUp++;
  sim.log(`move p${move.partition} ${move.remove} → ${move.add}: ${why} after ${(sim.now - move.startedMs).toFixed(0)} ms`);
}

/**
 * Nodes that replicate a partition without being in its committed configuration, and are not
 * joining it, for STRAY_CLEANUP_MS: the driver drops the partition there. The clock of a stray runs
 * on while the partition has no serving leader or an uncommitted change (nothing is judged then):
 * restarting it at each election or transfer left a stray for ever where leadership moved more
 * often than that (seed 7071); the storage node's layout drops such a node whoever leads.
 */
function cleanUpStrays(sim: LogSimulation, strays: Map<string, number>): void {
  const hosted = new Set<string>();
  for (const [p, hosts] of sim.replicaSets) {
    for (const id of hosts) hosted.add(`${p}/${id}`);
    const [leader] = sim.servingLeaders(p);
    if (leader === undefined) continue;
    const status = sim.node(leader).engine!.configuration(p)!;
    if (!status.committed) continue;
    const move = sim.moving.get(p);
    const members = [...status.config.voters, ...status.config.learners];
    for (const id of [...hosts]) {
      const key = `${p}/${id}`;
      if (members.includes(id) || (move && move.add === id && !move.aborted)) {
        strays.delete(key);
        continue;
      }
      const since = strays.get(key) ?? sim.now;
      strays.set(key, since);
      if (sim.node(id).up && sim.now - since >= STRAY_CLEANUP_MS) sim.forget(id, p, false);
    }
  }
  for (const key of [...strays.keys()]) if (!hosted.has(key)) strays.delete(key);
}
