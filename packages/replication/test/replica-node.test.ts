/**
 * `ReplicaNode` driven by hand: three replicas of one partition behind a synchronous driver (every
 * write durable at once, messages delivered in rounds, some dropped on purpose). Each case is a
 * failure the log simulator (sim/log-simulation.ts) found; the seed that found it is named.
 */
import { ReplicaNode, type LogEntry, type NodeId, type PersistedLog, type ReplicaMessage, type ReplicaReady } from '../src';

const P = 0;
const REPLICAS = ['n0', 'n1', 'n2'];
const PARTITIONS = new Map([[P, REPLICAS]]);
const CONFIG = { voters: REPLICAS, learners: [] };

interface Envelope {
  from: NodeId;
  to: NodeId;
  message: ReplicaMessage<string>;
}

/** Three replicas of partition 0; n0 times out first (ranked timeouts), so it leads. */
class Harness {
  nowMs = 0;
  readonly nodes = new Map<NodeId, ReplicaNode<string>>();
  /** What each node's state reflects. */
  readonly applied = new Map<NodeId, { index: number; term: number }>();
  private inFlight: Envelope[] = [];
  /** Messages for which this returns true are lost. */
  drop: (envelope: Envelope) => boolean = () => false;

  constructor(learners: readonly NodeId[] = []) {
    for (const id of REPLICAS) this.start(id, { learner: learners.includes(id) });
  }

  start(id: NodeId, options: { learner?: boolean; generation?: number; logs?: PersistedLog<string> } = {}): void {
    this.nodes.set(
      id,
      new ReplicaNode<string>({
        selfId: id,
        partitions: PARTITIONS,
        persisted: new Map(),
        logs: new Map(options.logs ? [[P, options.logs]] : []),
        learners: options.learner ? new Set([P]) : undefined,
        generation: options.generation ?? 0,
        payloadBytes: (payload) => payload.length,
        random: () => 0.5,
        nowMs: this.nowMs,
      }),
    );
    this.applied.set(id, options.logs?.applied ?? { index: 0, term: 0 });
    this.flush(id);
  }

  /** The node's process is gone (its messages with it). */
  stop(id: NodeId): void {
    this.nodes.delete(id);
    this.inFlight = this.inFlight.filter((e) => e.to !== id && e.from !== id);
  }

  node(id: NodeId): ReplicaNode<string> {
    return this.nodes.get(id)!;
  }

  /** A driver whose every write is durable at once. */
  flush(id: NodeId): void {
    const node = this.nodes.get(id);
    while (node?.hasReady()) this.handle(id, node, node.ready());
  }

  private handle(id: NodeId, node: ReplicaNode<string>, ready: ReplicaReady<string>): void {
    for (const write of ready.logWrites) {
      if (write.reset) {
        this.applied.set(id, write.reset);
        node.logPersisted(write.partition, write.reset.index, write.reset.term, this.nowMs);
      }
      const last = write.entries[write.entries.length - 1];
      if (last) node.logPersisted(write.partition, last.index, last.term, this.nowMs);
    }
    for (const { to, message } of [...ready.appends, ...ready.messages]) this.inFlight.push({ from: id, to, message });
    for (const commit of ready.commits) {
      const at = this.applied.get(id)!;
      if (commit.index <= at.index) continue;
      this.applied.set(id, { index: commit.index, term: node.entryAt(commit.partition, commit.index)!.term });
      node.applied(commit.partition, commit.index, this.nowMs);
    }
    for (const request of ready.snapshots) {
      const at = this.applied.get(id)!;
      this.applied.set(request.to, at); // the follower's state is a copy of ours
      node.snapshotSent(request.partition, request.to, request.term, at.index, at.term, this.nowMs);
    }
  }

  deliver(): void {
    for (let round = 0; round < 100 && this.inFlight.length > 0; round++) {
      const batch = this.inFlight;
      this.inFlight = [];
      for (const envelope of batch) {
        const to = this.nodes.get(envelope.to);
        if (!to || this.drop(envelope)) continue;
        to.receive(envelope.from, envelope.message, this.nowMs);
        this.flush(envelope.to);
      }
    }
  }

  run(ms: number): void {
    const end = this.nowMs + ms;
    while (this.nowMs < end) {
      this.nowMs += 10;
      for (const [id, node] of this.nodes) {
        node.tick(this.nowMs);
        this.flush(id);
      }
      this.deliver();
    }
  }

  write(payload: string): void {
    const result = this.node('n0').propose(P, () => payload, this.nowMs);
    expect(result.ok).toBe(true);
    this.flush('n0');
  }
}

/** A node that lost its disk (generation `generation`), a learner of P with nothing yet. */
function wipedLearner(selfId: string, generation: number): ReplicaNode<string> {
  return new ReplicaNode<string>({
    selfId,
    partitions: PARTITIONS,
    persisted: new Map(),
    logs: new Map(),
    learners: new Set([P]),
    generation,
    payloadBytes: (payload) => payload.length,
    random: () => 0.5,
    nowMs: 0,
  });
}

describe('ReplicaNode', () => {
  it('promotes a learner that caught up before its leader served, with no write to follow (sim seed 2)', () => {
    // n2's copy of the new leader's no-op arrives during the leader's lease wait, when it may not
    // promote; nothing else is written, so no later answer would give it another chance.
    const h = new Harness(['n2']);
    h.run(5_000);
    expect(h.node('n0').isServingLeader(P, h.nowMs)).toBe(true);
    expect(h.node('n2').isVoter(P)).toBe(true);
  });

  it('learns that a learner applied its promotion, with nothing more to write (log sim seed 55361)', () => {
    // n2 lost its disk. Its answer to the Append that brought it the promotion's commit said
    // "learner" (it applies the entry after answering), and is lost. Once a voter, with the whole log
    // committed, n2 has nothing to remind the leader of, and an idle leader nothing to send: a leader
    // that still counts n2 a learner hands it no leadership, and refuses a move's promotion of it for
    // ever (the seed: a wiped node being moved in, its promotion refused as `learner-behind`).
    const h = new Harness(['n2']);
    // The leader's no-op is at 1, n2's promotion entry at 2. Lost: n1's first answer holding 2 (so
    // the promotion commits only after n2 acked it, and no second promotion entry follows), n2's
    // reminders once the promotion is appended, and every answer n2 sent as a learner that arrives
    // once it is a voter.
    let n1Lost = false;
    h.drop = (e) => {
      if (e.message.type !== 'AppendResponse') return false;
      if (e.from === 'n1' && !n1Lost && e.message.match >= 2) return (n1Lost = true);
      if (e.from !== 'n2') return false;
      return (!e.message.success && h.node('n0').logStatus(P)!.last >= 2) || (e.message.learner && h.node('n2').isVoter(P));
    };
    h.run(5_000);
    expect(h.node('n2').isVoter(P)).toBe(true);
    expect(h.node('n0').transferLeadership(P, h.nowMs, 'n2')).toMatchObject({ ok: true, target: 'n2' });
  });

  it('forgets what it had persisted of a log a snapshot replaced (sim seed 13)', () => {
    // n1 has entries 1..10 of term 1 on disk; the leader of term 3 installs a snapshot at 5
    // (term 2), then sends entries 6 and 7: they are durable only once the driver says so.
    const entries: LogEntry<string>[] = Array.from({ length: 10 }, (_, i) => ({ term: 1, index: i + 1, payload: `old${i + 1}` }));
    const node = new ReplicaNode<string>({
      selfId: 'n1',
      partitions: PARTITIONS,
      persisted: new Map([[P, { term: 1, votedFor: null }]]),
      logs: new Map([[P, { applied: { index: 0, term: 0 }, entries }]]),
      generation: 0,
      payloadBytes: (payload) => payload.length,
      random: () => 0.5,
      nowMs: 0,
    });
    node.receive('n0', { type: 'InstallSnapshot', partition: P, term: 3, index: 5, snapshotTerm: 2, commit: 5, generation: 0, config: CONFIG }, 10);
    expect(node.ready().logWrites).toEqual([{ partition: P, reset: { index: 5, term: 2, config: CONFIG }, entries: [] }]);
    expect(node.logStatus(P)).toMatchObject({ last: 5, persisted: 4, applied: 5 });
    node.logPersisted(P, 5, 2, 11); // the driver reports the reset's position durable
    expect(node.logStatus(P)!.persisted).toBe(5);
    node.ready();

    node.receive('n0', { type: 'Append', partition: P, term: 3, prevIndex: 5, prevTerm: 2, entries: [{ term: 3, index: 6, payload: 'a' }, { term: 3, index: 7, payload: 'b' }], commit: 5 }, 12);
    const before = node.ready();
    expect([...before.messages, ...before.appends].filter((out) => out.message.type === 'AppendResponse')).toEqual([]);
    expect(node.logStatus(P)!.persisted).toBe(5);

    node.logPersisted(P, 7, 3, 13);
    const after = node.ready();
    expect(after.messages).toEqual([{ to: 'n0', message: { type: 'AppendResponse', partition: P, term: 3, success: true, match: 7, learner: false, generation: 0 } }]);
  });

  it("is not promoted by a promotion entry of its own earlier generation (sim seeds 12008, 13633)", () => {
    // n1 lost its disk twice. A stale leader (term 1, cut off from a third replica that moved on)
    // still holds the promotion entry it committed for n1's first new generation: applying it must
    // not make generation 2 a voter, as nothing was committed in a term the others accepted.
    const node = wipedLearner('n1', 2);
    const drive = (entries: LogEntry<string>[], prevIndex: number, prevTerm: number, nowMs: number) => {
      node.receive('n2', { type: 'Append', partition: P, term: 1, prevIndex, prevTerm, entries, commit: prevIndex + entries.length }, nowMs);
      node.ready();
      const last = entries[entries.length - 1];
      node.logPersisted(P, last.index, last.term, nowMs);
      for (const commit of node.ready().commits) node.applied(commit.partition, commit.index, nowMs);
    };
    drive(
      [
        { term: 1, index: 1, payload: undefined },
        { term: 1, index: 2, payload: undefined, promote: { node: 'n1', generation: 1 } },
        { term: 1, index: 3, payload: 'a' },
      ],
      0,
      0,
      10,
    );
    expect(node.logStatus(P)!.applied).toBe(3);
    expect(node.isVoter(P)).toBe(false);
    // Its answers tell the leader which generation to promote.
    node.receive('n2', { type: 'Append', partition: P, term: 1, prevIndex: 3, prevTerm: 1, entries: [], commit: 3 }, 20);
    expect(node.ready().messages.map((out) => out.message)).toContainEqual(expect.objectContaining({ type: 'AppendResponse', learner: true, generation: 2 }));
    drive([{ term: 1, index: 4, payload: undefined, promote: { node: 'n1', generation: 2 } }], 3, 1, 30);
    expect(node.isVoter(P)).toBe(true);
  });

  it('is promoted by the first promotion entry it applies, though later ones arrived meanwhile (whole-cluster sim seed 20095)', () => {
    // n1 lost its disk. Its apply of the promotion entry at 2 is slow, and it keeps answering as a
    // learner, so the leader appends another promotion entry (3) once the first committed — one per
    // round trip while the apply lags. Applying 2 must promote it: were only the newest promotion
    // entry to count, it would chase entries the leader appends as fast as it applies them.
    const node = wipedLearner('n1', 2);
    const receive = (entries: LogEntry<string>[], prevIndex: number, prevTerm: number, commit: number, nowMs: number): number => {
      node.receive('n0', { type: 'Append', partition: P, term: 1, prevIndex, prevTerm, entries, commit }, nowMs);
      node.ready();
      const last = entries[entries.length - 1];
      node.logPersisted(P, last.index, last.term, nowMs);
      return Math.max(0, ...node.ready().commits.map((c) => c.index)); // handed out to apply, held back here
    };
    const promote = { node: 'n1', generation: 2 };
    receive([{ term: 1, index: 1, payload: undefined }, { term: 1, index: 2, payload: undefined, promote }], 0, 0, 1, 10);
    expect(receive([{ term: 1, index: 3, payload: undefined, promote }], 2, 1, 3, 20)).toBe(3);
    node.applied(P, 2, 30); // the slow apply reaches the first promotion entry
    expect(node.isVoter(P)).toBe(true);
  });

  it('refuses a snapshot streamed to the data it had before it lost its disk (sim seed 1077)', () => {
    // The leader streamed to n1's generation 1, which was wiped before the InstallSnapshot came:
    // generation 2 holds none of it, and must not restart its log after entries it never applied.
    const node = wipedLearner('n1', 2);
    node.receive('n0', { type: 'InstallSnapshot', partition: P, term: 3, index: 97, snapshotTerm: 2, commit: 97, generation: 1, config: CONFIG }, 10);
    const ready = node.ready();
    expect(ready.logWrites).toEqual([]);
    expect(node.logStatus(P)).toMatchObject({ last: 0, commit: 0, applied: 0 });
    expect(ready.messages).toEqual([{ to: 'n0', message: { type: 'AppendResponse', partition: P, term: 3, success: false, match: 0, learner: true, generation: 2 } }]);
  });

  it('streams a snapshot to a wiped follower and tells it which generation the stream went to', () => {
    // n0 restarted with its state at 5 (its window starts there), so a follower lacking entries 1..5
    // needs a snapshot; n2 lost its disk (generation 7).
    const h = new Harness();
    h.stop('n0');
    h.stop('n2');
    h.start('n0', { logs: { applied: { index: 5, term: 1 }, entries: [] } });
    h.start('n2', { learner: true, generation: 7 });
    const installs: number[] = [];
    h.drop = (e) => {
      if (e.message.type === 'InstallSnapshot' && e.to === 'n2') installs.push(e.message.generation);
      return false;
    };
    h.run(5_000);
    expect(installs.length).toBeGreaterThan(0);
    expect(installs.every((generation) => generation === 7)).toBe(true);
    expect(h.node('n2').isVoter(P)).toBe(true);
    expect(h.node('n2').logStatus(P)!.applied).toBe(h.node('n0').logStatus(P)!.commit);
  });

  it('brings a follower the commit index when the Append that carried it was lost (sim seeds 3, 13, 18)', () => {
    const h = new Harness();
    h.run(3_000);
    expect(h.node('n0').isServingLeader(P, h.nowMs)).toBe(true);
    // The entry reaches both followers, but n1 never hears that it committed.
    h.drop = (e) => e.to === 'n1' && e.message.type === 'Append' && e.message.entries.length === 0;
    h.write('a');
    h.deliver();
    const leader = h.node('n0').logStatus(P)!;
    expect(h.node('n1').logStatus(P)!.commit).toBeLessThan(leader.commit);
    h.drop = () => false;
    h.run(2_000);
    expect(h.node('n1').logStatus(P)).toMatchObject({ commit: leader.commit, applied: leader.commit });
  });

  it('catches up a follower that lost its disk, whatever it had acknowledged before (sim seed 8)', () => {
    const h = new Harness();
    h.run(3_000);
    for (const payload of ['a', 'b', 'c']) h.write(payload);
    h.run(500);
    expect(h.node('n2').logStatus(P)!.applied).toBe(4);
    // n2 restarts with an empty data directory: a learner under a new generation.
    h.stop('n2');
    h.run(100);
    h.start('n2', { learner: true, generation: 1 });
    h.run(3_000);
    const leader = h.node('n0').logStatus(P)!;
    expect(h.node('n2').logStatus(P)).toMatchObject({ last: leader.last, applied: leader.commit });
    expect(h.node('n2').isVoter(P)).toBe(true);
  });
});
