/**
 * Replica-set changes through the log (Raft's single-server changes): the pure rules of
 * configuration.ts, and `ReplicaNode` driven by hand through a move — a learner joins, is
 * promoted, a voter is removed and learns it — behind a synchronous driver. The randomized
 * counterpart, with crashes and partitions during moves, is the log simulator (sim/log-moves.ts).
 */
import {
  ConfigHistory,
  ReplicaNode,
  describeChange,
  majoritiesCanBeDisjoint,
  quorumOf,
  type Configuration,
  type NodeId,
  type ReplicaEvent,
  type ReplicaMessage,
  type ReplicaReady,
} from '../src';

const P = 0;
const LAYOUT = ['n0', 'n1', 'n2'];

/**
 * Takes every Ready the node hands out, as a driver whose disk is instant would: its log writes are
 * synced and its commits applied at once. `each` sees every Ready too.
 */
function settle(node: ReplicaNode<string>, nowMs: number, each: (ready: ReplicaReady<string>) => void): void {
  while (node.hasReady()) {
    const ready = node.ready();
    for (const write of ready.logWrites) {
      const last = write.entries[write.entries.length - 1];
      if (last) node.logPersisted(P, last.index, last.term, nowMs);
    }
    for (const commit of ready.commits) node.applied(P, commit.index, nowMs);
    each(ready);
  }
}

describe('configuration rules', () => {
  const base: Configuration = { voters: ['a', 'b', 'c'], learners: [] };

  it('accepts exactly one step at a time, a new voter only from the learners', () => {
    expect(describeChange(base, { voters: ['a', 'b', 'c'], learners: ['d'] })).toEqual({ type: 'add-learner', node: 'd' });
    expect(describeChange({ voters: ['a', 'b', 'c'], learners: ['d'] }, { voters: ['a', 'b', 'c', 'd'], learners: [] })).toEqual({ type: 'promote', node: 'd' });
    expect(describeChange({ voters: ['a', 'b', 'c', 'd'], learners: [] }, { voters: ['b', 'c', 'd'], learners: [] })).toEqual({ type: 'remove-voter', node: 'a' });
    expect(describeChange({ voters: ['a', 'b', 'c'], learners: ['d'] }, base)).toEqual({ type: 'remove-learner', node: 'd' });
    expect(describeChange(base, { voters: ['b', 'a', 'c'], learners: [] })).toEqual({ type: 'reorder' });
    expect(describeChange(base, { voters: ['a', 'b', 'c', 'd'], learners: [] })).toMatch(/learner first/);
    expect(describeChange(base, { voters: ['a', 'b', 'd'], learners: [] })).toMatch(/more than one/);
    expect(describeChange(base, { voters: ['a', 'b'], learners: ['c'] })).toMatch(/cannot become a learner/);
    expect(describeChange(base, { voters: ['a'], learners: [] })).toMatch(/fewer than/);
    expect(describeChange(base, base)).toMatch(/nothing changes/);
  });

  it('one step keeps every pair of majorities intersecting; two steps do not', () => {
    expect(quorumOf(3)).toBe(2);
    expect(quorumOf(4)).toBe(3);
    expect(majoritiesCanBeDisjoint(['a', 'b', 'c'], ['a', 'b', 'c', 'd'])).toBe(false);
    expect(majoritiesCanBeDisjoint(['a', 'b', 'c', 'd'], ['b', 'c', 'd'])).toBe(false);
    // A move in one step (replace a by d) lets {a, b} and {c, d} commit apart.
    expect(majoritiesCanBeDisjoint(['a', 'b', 'c'], ['b', 'c', 'd'])).toBe(true);
    expect(majoritiesCanBeDisjoint(['a', 'b', 'c'], ['a', 'd', 'e'])).toBe(true);
  });

  it('keeps the configuration of each position, and undoes a truncated one', () => {
    const history = new ConfigHistory(0, base);
    const next = { voters: ['a', 'b', 'c'], learners: ['d'] };
    history.append(5, next);
    expect(history.current).toBe(next);
    expect(history.at(4)).toBe(base);
    expect(history.at(5)).toBe(next);
    expect(history.previous).toEqual({ config: base, replacedAt: 5 });
    expect(history.truncateFrom(6)).toBe(false);
    expect(history.truncateFrom(5)).toBe(true);
    expect(history.current).toBe(base);
  });
});

interface Envelope {
  from: NodeId;
  to: NodeId;
  message: ReplicaMessage<string>;
}

/** Nodes n0..n4, the partition on n0..n2 at first; n0 times out first (ranked timeouts), so it leads. */
class Harness {
  nowMs = 0;
  readonly nodes = new Map<NodeId, ReplicaNode<string>>();
  readonly applied = new Map<NodeId, number>();
  readonly events = new Map<NodeId, ReplicaEvent[]>();
  private inFlight: Envelope[] = [];
  drop: (envelope: Envelope) => boolean = () => false;

  constructor() {
    for (const id of LAYOUT) this.start(id);
  }

  start(id: NodeId): void {
    const node = new ReplicaNode<string>({
      selfId: id,
      partitions: new Map([[P, LAYOUT]]),
      persisted: new Map(),
      logs: new Map(),
      generation: 0,
      payloadBytes: (payload) => payload.length,
      random: () => 0.5,
      nowMs: this.nowMs,
    });
    this.nodes.set(id, node);
    this.applied.set(id, 0);
    this.events.set(id, []);
    this.flush(id);
  }

  /**
   * The node's process restarts with what its disk kept: its term and vote, and its log only up to
   * `keptUpTo` (a crash took the unsynced rest).
   */
  restart(id: NodeId, keptUpTo: number): void {
    const before = this.node(id);
    const status = before.logStatus(P)!;
    const entries = [];
    for (let index = status.first; index <= keptUpTo; index++) entries.push(before.entryAt(P, index)!);
    const vote = before.persistentState(P)!;
    this.inFlight = this.inFlight.filter((e) => e.to !== id && e.from !== id);
    const node = new ReplicaNode<string>({
      selfId: id,
      partitions: new Map([[P, LAYOUT]]),
      persisted: new Map([[P, { term: vote.term, votedFor: vote.votedFor }]]),
      logs: new Map([[P, { applied: { index: status.first - 1, term: status.first > 1 ? before.entryAt(P, status.first - 1)?.term ?? 0 : 0 }, entries }]]),
      generation: 0,
      payloadBytes: (payload) => payload.length,
      random: () => 0.5,
      nowMs: this.nowMs,
    });
    this.nodes.set(id, node);
    this.applied.set(id, status.first - 1);
    this.flush(id);
  }

  /** A node that replicates nothing yet, then joins the partition (as the mover makes it do). */
  join(id: NodeId): void {
    const node = new ReplicaNode<string>({
      selfId: id,
      partitions: new Map(),
      logs: new Map(),
      generation: 0,
      payloadBytes: (payload) => payload.length,
      random: () => 0.5,
      nowMs: this.nowMs,
    });
    this.nodes.set(id, node);
    this.applied.set(id, 0);
    this.events.set(id, []);
    node.joinPartition(P, this.nowMs);
    this.flush(id);
  }

  node(id: NodeId): ReplicaNode<string> {
    return this.nodes.get(id)!;
  }

  flush(id: NodeId): void {
    const node = this.nodes.get(id);
    while (node?.hasReady()) this.handle(id, node, node.ready());
  }

  private handle(id: NodeId, node: ReplicaNode<string>, ready: ReplicaReady<string>): void {
    this.events.get(id)!.push(...ready.events);
    for (const write of ready.logWrites) {
      if (write.reset) {
        this.applied.set(id, write.reset.index);
        node.logPersisted(write.partition, write.reset.index, write.reset.term, this.nowMs);
      }
      const last = write.entries[write.entries.length - 1];
      if (last) node.logPersisted(write.partition, last.index, last.term, this.nowMs);
    }
    for (const { to, message } of [...ready.appends, ...ready.messages]) this.inFlight.push({ from: id, to, message });
    for (const commit of ready.commits) {
      if (commit.index <= this.applied.get(id)!) continue;
      this.applied.set(id, commit.index);
      node.applied(commit.partition, commit.index, this.nowMs);
    }
    for (const request of ready.snapshots) {
      const at = this.applied.get(id)!;
      this.applied.set(request.to, at);
      node.snapshotSent(request.partition, request.to, request.term, at, this.node(id).entryAt(P, at)?.term ?? node.logStatus(P)!.lastTerm, this.nowMs);
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

  leader(): NodeId {
    const serving = [...this.nodes].filter(([, node]) => node.isServingLeader(P, this.nowMs)).map(([id]) => id);
    expect(serving).toHaveLength(1);
    return serving[0];
  }

  write(payload: string): { term: number; index: number } {
    const leader = this.leader();
    const result = this.node(leader).propose(P, () => payload, this.nowMs);
    if (!result.ok) throw new Error(`write refused: ${result.reason}`);
    this.flush(leader);
    return result;
  }

  propose(next: Configuration) {
    const leader = this.leader();
    const result = this.node(leader).proposeConfiguration(P, next, this.nowMs);
    this.flush(leader);
    return result;
  }
}

describe('ReplicaNode: a move through single-server changes', () => {
  function served(): Harness {
    const h = new Harness();
    h.run(3_000);
    expect(h.leader()).toBe('n0');
    return h;
  }

  it('adds a learner that counts for nothing, promotes it once caught up, removes a voter that then learns it', () => {
    const h = served();
    h.write('a');
    h.run(100);
    h.join('n3');
    expect(h.node('n3').configuration(P)!.config).toEqual({ voters: [], learners: [] });
    // n3 joins as a learner.
    const learner = { voters: LAYOUT, learners: ['n3'] };
    expect(h.propose(learner)).toMatchObject({ ok: true });
    // One change at a time: the next waits for this one to commit.
    expect(h.propose({ voters: [...LAYOUT, 'n3'], learners: [] })).toMatchObject({ ok: false, reason: 'change-pending' });
    h.run(200);
    expect(h.node('n3').configuration(P)).toEqual({ config: learner, index: expect.any(Number), committed: true });
    expect(h.node('n3').isVoter(P)).toBe(true); // no lost disk: it votes once it is a voter
    // A learner counts for nothing: with n1 and n2 cut off, nothing commits on n0 + n3.
    h.drop = (e) => ['n1', 'n2'].includes(e.to) || ['n1', 'n2'].includes(e.from);
    const cut = h.write('b');
    h.run(200);
    expect(h.node('n0').logStatus(P)!.commit).toBeLessThan(cut.index);
    h.drop = () => false;
    h.run(600);
    expect(h.node('n0').logStatus(P)!.commit).toBeGreaterThanOrEqual(cut.index);

    // Promoted: four voters, three make a majority.
    const four = { voters: [...LAYOUT, 'n3'], learners: [] };
    expect(h.propose(four)).toMatchObject({ ok: true });
    h.run(200);
    h.drop = (e) => ['n1', 'n2'].includes(e.to) || ['n1', 'n2'].includes(e.from);
    const two = h.write('c');
    h.run(300);
    expect(h.node('n0').logStatus(P)!.commit).toBeLessThan(two.index); // n0 + n3 are two of four
    h.drop = (e) => e.to === 'n2' || e.from === 'n2';
    h.run(600);
    expect(h.node('n0').logStatus(P)!.commit).toBeGreaterThanOrEqual(two.index); // n0 + n1 + n3
    h.drop = () => false;
    h.run(600);

    // n2 removed: it applies the entry, and says so.
    const three = { voters: ['n0', 'n1', 'n3'], learners: [] };
    expect(h.propose(three)).toMatchObject({ ok: true });
    h.run(600);
    expect(h.events.get('n2')).toContainEqual({ type: 'Removed', partition: P, index: expect.any(Number) });
    expect(h.events.get('n1')!.some((e) => e.type === 'Removed')).toBe(false);
    h.node('n2').forgetPartition(P, h.nowMs);
    h.nodes.delete('n2');
    // The new set alone commits and serves.
    const after = h.write('d');
    h.run(300);
    for (const id of ['n0', 'n1', 'n3']) expect(h.applied.get(id)).toBeGreaterThanOrEqual(after.index);
  });

  /** n3 joins and is promoted, then n2 is removed (cut off meanwhile if `cutOff`); n0 leads throughout. */
  function moveN2ToN3(h: Harness, cutOff: boolean): void {
    h.join('n3');
    h.propose({ voters: LAYOUT, learners: ['n3'] });
    h.run(300);
    h.propose({ voters: [...LAYOUT, 'n3'], learners: [] });
    h.run(300);
    if (cutOff) h.drop = (e) => e.to === 'n2' || e.from === 'n2';
    expect(h.propose({ voters: ['n0', 'n1', 'n3'], learners: [] })).toMatchObject({ ok: true });
    h.run(600);
  }

  it('a later leader sends nothing to a removed node (it dropped the partition), whose removal it knows committed (log sim seed 7071)', () => {
    const h = served();
    moveN2ToN3(h, false);
    expect(h.events.get('n2')).toContainEqual({ type: 'Removed', partition: P, index: expect.any(Number) });
    h.node('n2').forgetPartition(P, h.nowMs);
    h.nodes.delete('n2');
    h.node('n0').transferLeadership(P, h.nowMs, 'n1');
    h.flush('n0');
    h.run(1_500);
    expect(h.leader()).toBe('n1');
    // No Appends, and no snapshot streamed every retry interval, to a node that would never answer.
    expect([...h.node('n1').followerMatches(P).keys()].sort()).toEqual(['n0', 'n3']);
  });

  it('a removed node that did not learn it speaks up to a later leader, which then sends it its removal', () => {
    const h = served();
    moveN2ToN3(h, true);
    expect(h.events.get('n2')!.some((e) => e.type === 'Removed')).toBe(false);
    h.node('n0').transferLeadership(P, h.nowMs, 'n1');
    h.flush('n0');
    h.run(1_000);
    expect(h.leader()).toBe('n1');
    expect(h.node('n1').followerMatches(P).has('n2')).toBe(false);
    // n2 still believes itself a voter: without heartbeats it asks for votes, and n1 notices it.
    h.drop = () => false;
    h.run(2_500);
    expect(h.events.get('n2')).toContainEqual({ type: 'Removed', partition: P, index: expect.any(Number) });
  });

  it('a learner whose log is newer than every voter\'s may campaign, and hands the lead to a voter (log sim seed 33062)', () => {
    const h = served();
    h.join('n3');
    h.propose({ voters: LAYOUT, learners: ['n3'] });
    h.run(300);
    // n1 falls behind; n0 proposes n3's promotion, which reaches n2 only, and crashes before its own
    // copy is on disk.
    h.drop = (e) => e.to === 'n1' || e.from === 'n1';
    h.write('behind');
    h.run(200);
    const kept = h.node('n0').logStatus(P)!.last;
    h.drop = (e) => e.to === 'n1' || e.to === 'n3';
    expect(h.propose({ voters: [...LAYOUT, 'n3'], learners: [] })).toMatchObject({ ok: true });
    h.run(50);
    expect(h.node('n2').configuration(P)).toMatchObject({ config: { voters: [...LAYOUT, 'n3'] }, committed: false });
    h.restart('n0', kept);
    // n0 wins term 2 with n1's vote (n2 is cut off, n1 behind), and its no-op reaches the learner n3
    // alone; then n0's disk is lost for good.
    h.drop = (e) => e.to === 'n2' || e.from === 'n2' || (e.from === 'n0' && e.to === 'n1' && e.message.type === 'Append');
    h.run(4_000);
    expect(h.node('n0').roleOf(P)).toBe('leader');
    const noop = h.node('n0').logStatus(P)!;
    expect(h.node('n3').logStatus(P)!.lastTerm).toBe(noop.lastTerm);
    expect(h.node('n2').logStatus(P)!.lastTerm).toBeLessThan(noop.lastTerm);
    expect(h.node('n1').logStatus(P)!.lastTerm).toBeLessThan(noop.lastTerm);
    h.nodes.delete('n0');
    h.drop = (e) => e.to === 'n0';
    // n2 needs n1 and n3 (four voters by its log) but n3's log is newer; n1 needs n2 (three voters)
    // but is behind it. Only n3 can win, with n1's and n2's votes: it does, then hands over.
    h.run(10_000);
    const leader = h.leader();
    expect(['n1', 'n2']).toContain(leader);
    expect(h.events.get('n3')!.some((e) => e.type === 'RoleChanged' && e.to === 'leader')).toBe(true);
    const after = h.write('after');
    h.run(500);
    for (const id of ['n1', 'n2', 'n3']) expect(h.applied.get(id)).toBeGreaterThanOrEqual(after.index);
  });

  it('refuses a change that is not one step, and a promotion of a learner that lacks the committed log', () => {
    const h = served();
    expect(h.propose({ voters: ['n0', 'n1', 'n3'], learners: [] })).toMatchObject({ ok: false, reason: 'invalid' });
    h.join('n3');
    h.drop = (e) => e.to === 'n3';
    expect(h.propose({ voters: LAYOUT, learners: ['n3'] })).toMatchObject({ ok: true });
    h.run(200);
    expect(h.propose({ voters: [...LAYOUT, 'n3'], learners: [] })).toMatchObject({ ok: false, reason: 'learner-behind' });
    h.drop = () => false;
    h.run(700);
    expect(h.propose({ voters: [...LAYOUT, 'n3'], learners: [] })).toMatchObject({ ok: true });
  });

  it('a leader that removes itself commits without counting itself, then hands over', () => {
    const h = served();
    h.join('n3');
    h.propose({ voters: LAYOUT, learners: ['n3'] });
    h.run(300);
    h.propose({ voters: [...LAYOUT, 'n3'], learners: [] });
    h.run(300);
    expect(h.propose({ voters: ['n1', 'n2', 'n3'], learners: [] })).toMatchObject({ ok: true });
    h.run(2_000);
    expect(h.events.get('n0')).toContainEqual({ type: 'Removed', partition: P, index: expect.any(Number) });
    expect(h.node('n0').roleOf(P)).toBe('follower');
    h.node('n0').forgetPartition(P, h.nowMs);
    h.nodes.delete('n0');
    h.run(2_000);
    expect(['n1', 'n2', 'n3']).toContain(h.leader());
  });

  it('a configuration takes effect when appended and is undone when truncated', () => {
    // n1 alone, fed by hand: n0 (term 1) sends a no-op and a learner entry; n2 (term 2) replaces them.
    const node = new ReplicaNode<string>({
      selfId: 'n1',
      partitions: new Map([[P, LAYOUT]]),
      logs: new Map(),
      generation: 0,
      payloadBytes: (p) => p.length,
      random: () => 0.5,
      nowMs: 0,
    });
    const learner = { voters: LAYOUT, learners: ['n3'] };
    node.receive(
      'n0',
      {
        type: 'Append',
        partition: P,
        term: 1,
        prevIndex: 0,
        prevTerm: 0,
        entries: [
          { term: 1, index: 1, payload: undefined },
          { term: 1, index: 2, payload: undefined, config: learner },
        ],
        commit: 1,
      },
      10,
    );
    expect(node.configuration(P)).toEqual({ config: learner, index: 2, committed: false });
    expect(node.status(P)!.replicas).toEqual([...LAYOUT, 'n3']);
    node.receive('n2', { type: 'Append', partition: P, term: 2, prevIndex: 1, prevTerm: 1, entries: [{ term: 2, index: 2, payload: undefined }], commit: 1 }, 20);
    expect(node.configuration(P)).toEqual({ config: { voters: LAYOUT, learners: [] }, index: 0, committed: true });
    expect(node.status(P)!.replicas).toEqual(LAYOUT);
    expect(node.ready().events.filter((e) => e.type === 'ConfigurationChanged')).toHaveLength(2);
  });

  it('a snapshot brings its configuration, which the driver keeps with the reset', () => {
    const node = new ReplicaNode<string>({
      selfId: 'n3',
      partitions: new Map(),
      logs: new Map(),
      generation: 0,
      payloadBytes: (p) => p.length,
      random: () => 0.5,
      nowMs: 0,
    });
    node.joinPartition(P, 0);
    const config = { voters: LAYOUT, learners: ['n3'] };
    node.receive('n0', { type: 'InstallSnapshot', partition: P, term: 2, index: 40, snapshotTerm: 2, commit: 40, generation: 0, config }, 10);
    const ready = node.ready();
    expect(ready.logWrites).toEqual([{ partition: P, reset: { index: 40, term: 2, config }, entries: [] }]);
    expect(node.configuration(P)).toEqual({ config, index: 40, committed: true });
  });

  it('a learner that joined campaigns only once it knows the configuration as of its applied position (log sim seed 735)', () => {
    // A node that joined starts from an unknown configuration; the log it gets from index 1 on never
    // states the initial one. Elected before it applied a configuration entry, it streamed
    // snapshots carrying the unknown (empty) configuration, which voters took for their removal.
    const node = new ReplicaNode<string>({ selfId: 'n3', partitions: new Map(), logs: new Map(), generation: 0, payloadBytes: (p) => p.length, random: () => 0.5, nowMs: 0 });
    node.joinPartition(P, 0);
    const addition = { voters: LAYOUT, learners: ['n3'] };
    const entries = [
      { term: 1, index: 1, payload: undefined },
      { term: 1, index: 2, payload: 'a' },
      { term: 1, index: 3, payload: undefined, config: addition },
    ];
    node.receive('n0', { type: 'Append', partition: P, term: 1, prevIndex: 0, prevTerm: 0, entries, commit: 2 }, 10);
    let nowMs = 10;
    /** Syncs and applies what the node hands out; returns the vote requests it sent. */
    const drive = () => {
      const requests: NodeId[] = [];
      settle(node, nowMs, (ready) => {
        for (const { to, message } of ready.messages) if (message.type === 'VoteRequest') requests.push(to);
      });
      return requests;
    };
    const runFor = (ms: number) => {
      const requests: NodeId[] = [];
      for (const end = nowMs + ms; nowMs < end; ) {
        nowMs += 10;
        node.tick(nowMs);
        requests.push(...drive());
      }
      return requests;
    };
    drive();
    expect(node.configuration(P)).toEqual({ config: addition, index: 3, committed: false });
    expect(node.logStatus(P)!.applied).toBe(2);
    // The leader falls silent: its addition is in force, but not applied here, so it waits.
    expect(runFor(10_000)).toEqual([]);
    // The next Append says the addition is committed: applied, it knows, and asks for votes.
    node.receive('n0', { type: 'Append', partition: P, term: 1, prevIndex: 3, prevTerm: 1, entries: [], commit: 3 }, nowMs);
    drive();
    expect(node.logStatus(P)!.applied).toBe(3);
    expect(new Set(runFor(10_000))).toEqual(new Set(LAYOUT));
  });

  it('a leader streams no snapshot before it knows the configuration as of its applied position', () => {
    // A node that joined restarts with its log after its applied position (40), its base unknown,
    // and its promotion (uncommitted) in it: a voter, it wins, but what it applied is older than
    // any configuration it knows. A follower that lacks entries before its log must wait.
    const added = { voters: LAYOUT, learners: ['n3'] };
    const promoted = { voters: [...LAYOUT, 'n3'], learners: [] };
    const log = {
      applied: { index: 40, term: 1 },
      entries: [
        { term: 1, index: 41, payload: 'a' },
        { term: 1, index: 42, payload: undefined, config: added },
        { term: 1, index: 43, payload: undefined, config: promoted },
      ],
    };
    const node = new ReplicaNode<string>({ selfId: 'n3', partitions: new Map(), logs: new Map(), generation: 0, payloadBytes: (p) => p.length, random: () => 0.5, nowMs: 0 });
    node.joinPartition(P, 0, { log });
    let nowMs = 0;
    const snapshots: NodeId[] = [];
    const drive = () =>
      settle(node, nowMs, (ready) => {
        snapshots.push(...ready.snapshots.map((r) => r.to));
        for (const { to, message } of ready.messages) {
          if (message.type === 'VoteRequest') node.receive(to, { type: 'VoteResponse', partition: P, term: message.term, preVote: message.preVote, granted: true }, nowMs);
        }
      });
    for (let i = 0; i < 1_000 && node.roleOf(P) !== 'leader'; i++) {
      nowMs += 10;
      node.tick(nowMs);
      drive();
    }
    expect(node.roleOf(P)).toBe('leader');
    const term = node.termOf(P)!;
    // n1 holds nothing after 10: it needs a snapshot.
    node.receive('n1', { type: 'AppendResponse', partition: P, term, success: false, match: 10, learner: false, generation: 0 }, nowMs);
    for (let i = 0; i < 100; i++) {
      nowMs += 10;
      node.tick(nowMs);
      drive();
    }
    expect(snapshots).toEqual([]);
    // n0 and n2 hold the whole log: the no-op commits, the configurations are applied, and n1 gets its snapshot.
    for (const id of ['n0', 'n2']) node.receive(id, { type: 'AppendResponse', partition: P, term, success: true, match: 44, learner: false, generation: 0 }, nowMs);
    drive();
    expect(node.logStatus(P)!.applied).toBe(44);
    for (let i = 0; i < 100 && snapshots.length === 0; i++) {
      nowMs += 10;
      node.tick(nowMs);
      drive();
    }
    expect(snapshots).toEqual(['n1']);
  });

  it('a joining node ranks voters in the layout order it is given, as the other replicas do (log sim seed 7071)', () => {
    // The log names the voters in another order than the layout ranks them. Balancing hands
    // leadership to the first fit voter in that rank: a joined node that ranked them by the log's
    // order and a replica that ranks them by the layout handed the partition to each other for ever.
    const layoutOrder = ['n2', 'n0', 'n1'];
    const config = { voters: LAYOUT, learners: ['n3'] };
    const joined = (replicas?: readonly NodeId[]) => {
      const node = new ReplicaNode<string>({ selfId: 'n3', partitions: new Map(), logs: new Map(), generation: 0, payloadBytes: (p) => p.length, random: () => 0.5, nowMs: 0 });
      node.joinPartition(P, 0, { replicas });
      node.receive('n0', { type: 'InstallSnapshot', partition: P, term: 2, index: 40, snapshotTerm: 2, commit: 40, generation: 0, config }, 10);
      return node.status(P)!;
    };
    expect(joined(layoutOrder).voters).toEqual(layoutOrder);
    expect(joined(layoutOrder).replicas).toEqual([...layoutOrder, 'n3']);
    // Without a layout order, the log's own.
    expect(joined().voters).toEqual(LAYOUT);
  });
});
