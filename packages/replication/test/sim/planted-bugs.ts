/**
 * Bugs planted on purpose, to show that the log simulator finds them (a mutation test of the
 * simulator itself). Nothing here is used by a default run. Some are driver bugs (the simulator's
 * driver misbehaves, see log-simulation.ts); the others patch one instance's private methods, so
 * that production code carries no test switches: each patch names the method it replaces and fails
 * loudly if that method is gone.
 */
import { majorityMatch, type LogPosition, type NodeId, type PartitionId, type ReplicaNode } from '../../src';

export const PLANTED_BUGS = [
  /** A follower answers an Append before the entries are durable (its answer rides with the leader's Appends, ahead of the sync). */
  'follower-acks-unsynced',
  /** A leader counts its own copy of an entry towards a majority before its sync completed. */
  'leader-counts-unsynced',
  /** A leader commits an entry of an earlier term once a majority holds it (Raft's figure 8). */
  'commit-earlier-term',
  /** Votes are granted without comparing logs (no election restriction). */
  'vote-without-log-check',
  /** A learner (a node that lost its disk) grants votes. */
  'learner-votes',
  /** Driver: a node whose disk was wiped rejoins at once as a voter (issue 11, failure 5). */
  'wiped-rejoins-as-voter',
  /**
   * Driver: learner status is not kept on disk; a node is a learner only on the start that found
   * its data directory empty, so a second restart before its promotion makes it a voter.
   */
  'learner-forgotten-on-restart',
  /** Driver: messages go out before the Ready's persist records and log writes are durable. */
  'send-before-persist',
] as const;

export type PlantedBug = (typeof PLANTED_BUGS)[number];

/** Bugs the driver plants itself; the others are patched into the node. */
export const DRIVER_BUGS: ReadonlySet<PlantedBug> = new Set<PlantedBug>(['wiped-rejoins-as-voter', 'learner-forgotten-on-restart', 'send-before-persist']);

// The private shapes the patches reach into (TypeScript's `private` is compile-time only).
interface ProgressShape {
  match: number;
  learner: boolean;
}
interface LogShape {
  partition: PartitionId;
  commit: number;
  persisted: number;
  leaderTerm: number | undefined;
  pendingAck: { to: NodeId; term: number; upTo: number } | undefined;
  progress: Map<NodeId, ProgressShape>;
  window: { lastIndex: number; termAt(index: number): number | undefined };
}
interface ElectionShape {
  termOf(partition: PartitionId): number | undefined;
  status(partition: PartitionId): { voters: readonly NodeId[] } | undefined;
  onVoteRequest(from: NodeId, message: { partition: PartitionId }): void;
  logPosition: (partition: PartitionId) => LogPosition;
  partitions: Map<PartitionId, { voting: boolean }>;
}
interface ReplicaShape {
  selfId: NodeId;
  election: ElectionShape;
  messages: unknown[];
  appends: unknown[];
  flushAck(log: LogShape): void;
  maybeCommit(log: LogShape): void;
  respond(to: NodeId, partition: PartitionId, success: boolean, match: number): void;
  emitCommits(log: LogShape): void;
  sendAppend(log: LogShape, to: NodeId, progress: ProgressShape, force: boolean): void;
}

function existing<T extends object>(target: T, method: string): void {
  if (typeof (target as Record<string, unknown>)[method] !== 'function') throw new Error(`planted bug: ${method} no longer exists; update planted-bugs.ts`);
}

/** A copy of `ReplicaNode.maybeCommit` with the two checks a bug may drop. */
function patchedCommit(node: ReplicaShape, options: { selfUnsynced: boolean; anyTerm: boolean }): (log: LogShape) => void {
  return (log) => {
    const voters = node.election.status(log.partition)!.voters;
    const candidate = majorityMatch(voters, (id) => {
      if (id === node.selfId) return options.selfUnsynced ? log.window.lastIndex : log.persisted;
      const progress = log.progress.get(id);
      return !progress || progress.learner ? 0 : progress.match;
    });
    if (candidate <= log.commit) return;
    if (!options.anyTerm && log.window.termAt(candidate) !== log.leaderTerm) return;
    log.commit = candidate;
    node.emitCommits(log);
    for (const [id, progress] of log.progress) node.sendAppend(log, id, progress, false);
  };
}

/** Patches the bugs that live in the node (not the driver) into one instance. */
export function plantBugs<P>(replica: ReplicaNode<P>, bugs: ReadonlySet<PlantedBug>): void {
  const node = replica as unknown as ReplicaShape;
  const election = node.election;
  if (bugs.has('follower-acks-unsynced')) {
    existing(node, 'flushAck');
    existing(node, 'respond');
    node.flushAck = (log) => {
      const ack = log.pendingAck;
      if (!ack) return;
      log.pendingAck = undefined;
      if (election.termOf(log.partition) !== ack.term) return;
      const before = node.messages.length;
      node.respond(ack.to, log.partition, true, ack.upTo);
      node.appends.push(...node.messages.splice(before)); // sent at once, ahead of the sync
    };
  }
  if (bugs.has('leader-counts-unsynced') || bugs.has('commit-earlier-term')) {
    existing(node, 'maybeCommit');
    existing(node, 'emitCommits');
    existing(node, 'sendAppend');
    node.maybeCommit = patchedCommit(node, { selfUnsynced: bugs.has('leader-counts-unsynced'), anyTerm: bugs.has('commit-earlier-term') });
  }
  if (bugs.has('vote-without-log-check') || bugs.has('learner-votes')) {
    existing(election, 'onVoteRequest');
    if (typeof election.logPosition !== 'function' || !(election.partitions instanceof Map)) throw new Error('planted bug: ElectionNode internals changed');
    const original = election.onVoteRequest;
    election.onVoteRequest = function (this: ElectionShape, from, message) {
      const savedPosition = this.logPosition;
      const ps = this.partitions.get(message.partition);
      const savedVoting = ps?.voting;
      if (bugs.has('vote-without-log-check')) this.logPosition = () => ({ term: 0, index: 0 });
      if (bugs.has('learner-votes') && ps) ps.voting = true;
      try {
        original.call(this, from, message);
      } finally {
        this.logPosition = savedPosition;
        if (ps && savedVoting !== undefined) ps.voting = savedVoting;
      }
    };
  }
}
