/**
 * Safety properties of the replicated log, checked after every simulated step. Each failure throws
 * `InvariantViolation` with what broke; the test adds the seed and the tail of the trace.
 *
 *  - election safety: at most one leader per partition per term, over the whole run;
 *  - no vote given twice in a term by a node that kept its disk (across crashes; a wipe erases
 *    votes by definition, and only one leader per term is owed then: a wiped node votes only once
 *    promoted in a term every other replica accepted, see ReplicaNode);
 *  - persist before send: a vote, a campaign, a heartbeat ack or an Append answer leaves only once
 *    the disk holds what it promises (terms and votes never go back on disk either);
 *  - learners neither lead nor campaign;
 *  - log matching: two logs holding an entry with the same index and term hold the same prefix;
 *  - committed entries never lost or reordered: whatever is applied at index i, anywhere, is the
 *    same entry (hence the same prefix) everywhere it is ever applied, and a snapshot only installs
 *    such a prefix;
 *  - an acknowledged write is in every later leader's log once that leader serves; a write
 *    reported failed is never applied anywhere;
 *  - lease safety: at most one node serves a partition at any real instant (serving-intervals.ts);
 *  - strong reads at the serving leader see every write acknowledged before they started;
 *  - replica-set changes: every committed configuration is one step from the one before it; a
 *    leader's log holds at most one uncommitted change; and no two disjoint majorities can commit
 *    — at no step do two leaders each have a majority of their own configuration's voters in their
 *    term (a node has one current term, so those majorities would be disjoint).
 */
import { describeChange, quorumOf, type Configuration, type ElectionConfig, type LogEntry, type NodeId, type PartitionId, type PersistRecord, type ReplicaMessage } from '../../src';
import { InvariantViolation } from './invariants';
import type { AppliedState, LogSimNode, Proposal, StoredValue, WritePayload } from './log-sim-node';
import { ServingIntervals } from './serving-intervals';
import { contentOf } from './shadow-log';

/**
 * What the invariants read of the simulation that drives them (log-simulation.ts implements it). An
 * interface of their own, so that the checks and the simulation do not import each other.
 */
export interface ObservedLogSimulation {
  readonly now: number;
  /** Per partition, the nodes that replicate it now (they change with moves). */
  readonly replicaSets: ReadonlyMap<PartitionId, readonly NodeId[]>;
  /** The initial placement: every partition's configuration before any configuration entry. */
  readonly layout: ReadonlyMap<PartitionId, readonly NodeId[]>;
  readonly electionConfig: Readonly<ElectionConfig>;
  /** Check persist-before-send on every message. */
  readonly persistChecks: boolean;
  localNow(node: LogSimNode): number;
  realOf(node: LogSimNode, localMs: number): number;
  node(id: NodeId): LogSimNode;
  /** A small number per node, for the content codes of entries (shadow-log.ts). */
  nodeCode(id: NodeId): number;
  servingLeaders(partition: PartitionId): NodeId[];
}

/** An entry as first applied somewhere: every later application at its index must agree. */
interface AppliedEntry {
  term: number;
  code: number;
  hash: number;
  node: NodeId;
}

export class LogInvariants {
  /** partition/term → the node that became leader in it. */
  private readonly leaders = new Map<string, NodeId>();
  /** node/generation/partition/term → the candidate it voted for (itself when campaigning). */
  private readonly votes = new Map<string, NodeId>();
  /** Per partition, `index/term` → the prefix hash of any log holding that entry. */
  private readonly prefixes = new Map<PartitionId, Map<string, number>>();
  /** Per partition, by index: the committed log as applied anywhere (dense from index 1). */
  private readonly applied = new Map<PartitionId, AppliedEntry[]>();
  private readonly acknowledged = new Map<PartitionId, Proposal[]>();
  private readonly acknowledgedMax = new Map<PartitionId, number>();
  /** `partition/key` → the highest index of an acknowledged write to that key. */
  private readonly acknowledgedKey = new Map<string, number>();
  private readonly failed = new Map<number, Proposal>();
  /** Per node, the partitions it served as of its last check. */
  private readonly serving = new Map<NodeId, Set<PartitionId>>();
  /** Per partition, the configuration as of the last entry applied anywhere. */
  private readonly appliedConfig = new Map<PartitionId, Configuration>();
  commitMajorityChecks = 0;
  readonly intervals: ServingIntervals;
  majorityChecks = 0;
  readsChecked = 0;

  constructor(private readonly sim: ObservedLogSimulation) {
    this.intervals = new ServingIntervals({
      nowMs: () => sim.now,
      realOf: (node, localMs) => sim.realOf(sim.node(node), localMs),
      fail: (message) => this.fail(message),
    });
  }

  fail(message: string): never {
    throw new InvariantViolation(message);
  }

  // -----------------------------------------------------------------------------------------------
  // Elections and votes

  onLeaderElected(node: LogSimNode, partition: PartitionId, term: number): void {
    const key = `${partition}/${term}`;
    const previous = this.leaders.get(key);
    if (previous !== undefined && previous !== node.id) this.fail(`p${partition} term ${term}: two leaders, ${previous} and ${node.id}`);
    this.leaders.set(key, node.id);
  }

  private onVote(node: LogSimNode, partition: PartitionId, term: number, candidate: NodeId): void {
    const key = `${node.id}/${node.disk.generation}/${partition}/${term}`;
    const previous = this.votes.get(key);
    if (previous !== undefined && previous !== candidate) {
      this.fail(`${node.id} p${partition}: voted twice in term ${term}, for ${previous} and for ${candidate} (on the same disk, generation ${node.disk.generation})`);
    }
    this.votes.set(key, candidate);
  }

  /** Terms on disk never go back; a vote on disk never changes within its term. */
  onPersist(node: LogSimNode, record: PersistRecord): void {
    const old = node.disk.elections.get(record.partition);
    if (!old) return;
    if (record.term < old.term) this.fail(`${node.id} p${record.partition}: persisted term went back ${old.term} → ${record.term}`);
    if (record.term === old.term && old.votedFor != null && record.votedFor !== old.votedFor) {
      this.fail(`${node.id} p${record.partition}: changed its vote in term ${old.term} from ${old.votedFor} to ${record.votedFor}`);
    }
  }

  /**
   * A message leaves a node (after its batch, as the driver's contract says). Votes are recorded
   * whatever the options; the disk checks run with `persistChecks`.
   */
  onSend(node: LogSimNode, to: NodeId, message: ReplicaMessage<WritePayload>): void {
    const check = this.sim.persistChecks;
    const disk = node.disk;
    switch (message.type) {
      case 'VoteResponse': {
        if (!message.granted || message.preVote) return;
        this.onVote(node, message.partition, message.term, to);
        const d = disk.elections.get(message.partition);
        if (check && !(d && (d.term > message.term || (d.term === message.term && d.votedFor === to)))) {
          this.fail(`${node.id} p${message.partition}: granted its vote in term ${message.term} to ${to}, but its disk has ${d?.term}/${d?.votedFor}`);
        }
        return;
      }
      case 'VoteRequest': {
        if (message.preVote) return;
        this.onVote(node, message.partition, message.term, node.id);
        if (node.engine && !node.engine.isVoter(message.partition)) this.fail(`${node.id} p${message.partition}: a learner campaigns in term ${message.term}`);
        const d = disk.elections.get(message.partition);
        if (check && !(d && (d.term > message.term || (d.term === message.term && d.votedFor === node.id)))) {
          this.fail(`${node.id} p${message.partition}: campaigns in term ${message.term}, but its disk has ${d?.term}/${d?.votedFor}`);
        }
        return;
      }
      case 'HeartbeatAck': {
        if (!check) return;
        for (const entry of message.entries) {
          const d = disk.elections.get(entry.partition);
          if (entry.ok && (d?.term ?? 0) < entry.term) this.fail(`${node.id} p${entry.partition}: acks term ${entry.term} with term ${d?.term ?? 0} on disk`);
        }
        return;
      }
      case 'AppendResponse': {
        if (!check || !message.success) return;
        const p = message.partition;
        if (!node.partitions.includes(p)) return; // answered before the node forgot the partition
        const d = disk.elections.get(p);
        if ((d?.term ?? 0) < message.term) this.fail(`${node.id} p${p}: answers in term ${message.term} with term ${d?.term ?? 0} on disk`);
        const state = disk.state(p);
        if (message.match <= state.index) return;
        const onDisk = disk.logs.get(p)?.get(message.match);
        const inMemory = node.shadow(p).termAt(message.match);
        if (!onDisk || onDisk.term !== inMemory) {
          this.fail(`${node.id} p${p}: acks its log up to ${message.match} (term ${inMemory}) to ${to}, but its disk has ${onDisk ? `term ${onDisk.term}` : 'nothing'} there`);
        }
        return;
      }
      default:
        return;
    }
  }

  // -----------------------------------------------------------------------------------------------
  // Logs and applied state

  /** An entry entered a node's log (in memory) with the given prefix hash: Raft's log matching. */
  onLogEntry(node: LogSimNode, partition: PartitionId, entry: { index: number; term: number }, hash: number): void {
    if (entry.index === 0) return;
    let map = this.prefixes.get(partition);
    if (!map) this.prefixes.set(partition, (map = new Map()));
    const key = `${entry.index}/${entry.term}`;
    const known = map.get(key);
    if (known === undefined) map.set(key, hash);
    else if (known !== hash) this.fail(`p${partition}: log matching broken: ${node.id} holds entry ${entry.index} of term ${entry.term} after a different prefix than another log`);
  }

  private appliedList(partition: PartitionId): AppliedEntry[] {
    let list = this.applied.get(partition);
    if (!list) this.applied.set(partition, (list = [{ term: 0, code: 0, hash: 0, node: '-' }]));
    return list;
  }

  /** A node applied `entry`, making its applied prefix hash `hash`. */
  onApply(node: LogSimNode, partition: PartitionId, entry: LogEntry<WritePayload>, hash: number): void {
    const list = this.appliedList(partition);
    const code = contentOf(entry, (id) => this.sim.nodeCode(id)).code;
    const known = list[entry.index];
    if (known) {
      if (known.hash !== hash) {
        this.fail(
          `p${partition}: committed entries differ at ${entry.index}: ${node.id} applied term ${entry.term} (${describeCode(code)}) ` +
            `where ${known.node} applied term ${known.term} (${describeCode(known.code)})${known.term === entry.term && known.code === code ? ', after a different prefix' : ''}`,
        );
      }
      return;
    }
    if (entry.index !== list.length) this.fail(`p${partition}: ${node.id} applied ${entry.index} before anyone applied ${list.length}`);
    list.push({ term: entry.term, code, hash, node: node.id });
    if (entry.config) {
      const before = this.appliedConfig.get(partition) ?? { voters: this.sim.layout.get(partition)!, learners: [] };
      const change = describeChange(before, entry.config);
      if (typeof change === 'string') this.fail(`p${partition}: the configuration committed at ${entry.index} (${JSON.stringify(entry.config)}) is not one step from ${JSON.stringify(before)}: ${change}`);
      this.appliedConfig.set(partition, entry.config);
    }
    if (code > 0 && this.failed.has(code)) this.fail(`p${partition}: write ${code} was reported failed, yet ${node.id} applied it at ${entry.index}`);
  }

  /** The prefix hash of the committed entry (index, term); fails if nothing like it was applied. */
  appliedHash(partition: PartitionId, index: number, term: number): number {
    const known = this.appliedList(partition)[index];
    if (!known || known.term !== term) this.fail(`p${partition}: a snapshot at ${index}/t${term} that nobody applied (${known ? `term ${known.term} was` : 'nothing was'})`);
    return known.hash;
  }

  /** A snapshot replaced a node's applied state: it must be a committed prefix. */
  onStateInstalled(node: LogSimNode, partition: PartitionId, copy: AppliedState): void {
    const known = this.appliedList(partition)[copy.index];
    if (!known || known.hash !== copy.hash) this.fail(`p${partition}: ${node.id} installed a snapshot at ${copy.index} that is not the committed prefix`);
  }

  // -----------------------------------------------------------------------------------------------
  // Clients

  onAcknowledged(proposal: Proposal): void {
    const p = proposal.partition;
    const known = this.appliedList(p)[proposal.index];
    if (!known || known.term !== proposal.term || known.code !== proposal.id) this.fail(`p${p}: write ${proposal.id} acknowledged at ${proposal.index}, where another entry is committed`);
    let list = this.acknowledged.get(p);
    if (!list) this.acknowledged.set(p, (list = []));
    list.push(proposal);
    this.acknowledgedMax.set(p, Math.max(this.acknowledgedMax.get(p) ?? 0, proposal.index));
    const key = `${p}/${proposal.key}`;
    this.acknowledgedKey.set(key, Math.max(this.acknowledgedKey.get(key) ?? 0, proposal.index));
    // A late acknowledgement (a deposed leader applying late) must already be in every newer leader.
    for (const id of this.sim.replicaSets.get(p)!) {
      const node = this.sim.node(id);
      const engine = node.engine;
      if (!engine || !engine.isServingLeader(p, this.sim.localNow(node)) || engine.termOf(p)! <= proposal.term) continue;
      if (!this.holds(node, proposal)) this.fail(`p${p}: write ${proposal.id} acknowledged at ${proposal.index}/t${proposal.term}, but serving leader ${id} (term ${engine.termOf(p)}) lacks it`);
    }
  }

  onFailed(proposal: Proposal, why: string): void {
    const known = this.appliedList(proposal.partition)[proposal.index];
    if (known && known.code === proposal.id) this.fail(`p${proposal.partition}: write ${proposal.id} reported failed (${why}), yet it is committed at ${proposal.index}`);
    this.failed.set(proposal.id, proposal);
  }

  /** Whether the node's applied state or log holds the acknowledged write. */
  private holds(node: LogSimNode, proposal: Proposal): boolean {
    const p = proposal.partition;
    if (node.disk.state(p).index >= proposal.index) return true; // the per-index check makes it the same entry
    const shadow = node.shadow(p);
    return shadow.termAt(proposal.index) === proposal.term && shadow.hashAt(proposal.index) === this.appliedList(p)[proposal.index].hash;
  }

  /** A strong read at the serving leader: it sees every write acknowledged before it started. */
  onRead(node: LogSimNode, partition: PartitionId, key: string, value: StoredValue | undefined, appliedIndex: number): void {
    this.readsChecked++;
    const max = this.acknowledgedMax.get(partition) ?? 0;
    if (appliedIndex < max) this.fail(`p${partition}: stale read at ${node.id}: applied up to ${appliedIndex}, but a write was acknowledged at ${max}`);
    const keyMax = this.acknowledgedKey.get(`${partition}/${key}`) ?? 0;
    if ((value?.index ?? 0) < keyMax) this.fail(`p${partition}: read of ${key} at ${node.id} returned the write at ${value?.index ?? 0}, older than one acknowledged at ${keyMax}`);
  }

  // -----------------------------------------------------------------------------------------------
  // Per node, after every input

  afterDrive(node: LogSimNode): void {
    const engine = node.engine;
    if (!engine) return;
    const local = this.sim.localNow(node);
    let served = this.serving.get(node.id);
    if (!served) this.serving.set(node.id, (served = new Set()));
    for (const p of node.partitions) {
      const role = engine.roleOf(p);
      if (role !== 'leader') {
        // Not leading: no serving window (the interval tracker closes one that was open).
        served.delete(p);
        this.intervals.update(node.id, p, undefined);
        if (role !== 'follower' && !engine.isVoter(p)) this.fail(`${node.id} p${p}: a learner is ${role}`);
        continue;
      }
      const window = engine.servingWindow(p);
      const serving = engine.isServingLeader(p, local);
      if (serving !== (window !== undefined && window.fromMs <= local && local < window.untilMs)) this.fail(`${node.id} p${p}: isServingLeader disagrees with servingWindow`);
      this.intervals.update(node.id, p, window);
      if (serving && !served.has(p)) {
        served.add(p);
        for (const proposal of this.acknowledged.get(p) ?? []) {
          if (!this.holds(node, proposal)) this.fail(`p${p}: ${node.id} serves term ${engine.termOf(p)} without acknowledged write ${proposal.id} (${proposal.index}/t${proposal.term})`);
        }
      } else if (!serving) {
        served.delete(p);
      }
      if (!engine.isVoter(p)) this.fail(`${node.id} p${p}: a learner is ${role}`);
      this.checkOnePendingChange(node, p);
      this.checkCommitMajorities(p);
    }
  }

  /** A leader's log holds at most one configuration entry after its commit index. */
  private checkOnePendingChange(node: LogSimNode, partition: PartitionId): void {
    const engine = node.engine!;
    if (engine.configuration(partition)!.committed) return;
    const status = engine.logStatus(partition)!;
    let pending = 0;
    for (let index = Math.max(status.commit + 1, status.first); index <= status.last; index++) if (engine.entryAt(partition, index)?.config) pending++;
    if (pending > 1) this.fail(`${node.id} p${partition}: ${pending} uncommitted configuration changes in the leader's log`);
  }

  /**
   * No two disjoint majorities can commit: at most one leader of the partition has a majority of
   * its own configuration's voters (that vote: no lost disk) in its term right now.
   */
  checkCommitMajorities(partition: PartitionId): void {
    const able: string[] = [];
    for (const id of this.sim.replicaSets.get(partition)!) {
      const engine = this.sim.node(id).engine;
      if (!engine || engine.roleOf(partition) !== 'leader') continue;
      const term = engine.termOf(partition)!;
      const voters = engine.configuration(partition)!.config.voters;
      let inTerm = 0;
      for (const voter of voters) {
        const other = this.sim.node(voter);
        if (other.engine && other.partitions.includes(partition) && other.engine.isVoter(partition) && other.engine.termOf(partition) === term) inTerm++;
      }
      if (inTerm >= quorumOf(voters.length)) able.push(`${id} (term ${term}, voters ${voters.join(',')})`);
    }
    this.commitMajorityChecks++;
    if (able.length > 1) this.fail(`p${partition}: two leaders could commit with disjoint majorities: ${able.join(' and ')}`);
  }

  /** The node dropped the partition (its log removed it, or a join was given up). */
  onForget(node: LogSimNode, partition: PartitionId): void {
    this.intervals.update(node.id, partition, undefined);
    this.serving.get(node.id)?.delete(partition);
  }

  /** The node's log, as its log writes describe it, ends where the node says its log ends. */
  checkMirror(node: LogSimNode, partition: PartitionId): void {
    const status = node.engine!.logStatus(partition)!;
    const shadow = node.shadow(partition);
    if (status.last !== shadow.lastIndex || status.lastTerm !== shadow.lastTerm) {
      this.fail(`${node.id} p${partition}: its log ends at ${status.last}/t${status.lastTerm}, but its log writes say ${shadow.lastIndex}/t${shadow.lastTerm}`);
    }
  }

  onCrash(node: LogSimNode): void {
    for (const p of node.partitions) this.intervals.update(node.id, p, undefined);
    this.serving.delete(node.id);
  }

  /**
   * A serving leader's term is the highest term a majority of the replicas has on disk (except
   * within a lease after a replica restarted, the case only the lease wait covers).
   */
  checkMajorityTerm(partition: PartitionId): void {
    const sim = this.sim;
    const graceMs = sim.electionConfig.leaseDurationMs + sim.electionConfig.clockDriftMarginMs;
    for (const id of sim.replicaSets.get(partition)!) {
      const node = sim.node(id);
      if (!node.engine || !node.engine.isServingLeader(partition, sim.localNow(node))) continue;
      // Over the voters of the configuration the leader serves under (its lease counts those).
      const voters = node.engine.configuration(partition)!.config.voters;
      const terms: number[] = [];
      for (const voter of voters) {
        const other = sim.node(voter);
        if (sim.now - other.restartedAtMs < graceMs) return;
        terms.push(other.disk.elections.get(partition)?.term ?? 0);
      }
      terms.sort((a, b) => b - a);
      this.majorityChecks++;
      const majorityTerm = terms[quorumOf(voters.length) - 1];
      const term = node.engine.termOf(partition)!;
      if (term < majorityTerm) this.fail(`p${partition}: ${id} serves in term ${term} while a majority of ${voters.join(',')} has persisted term ${majorityTerm}`);
    }
  }

  /** At this instant at most one node serves each partition (a cross-check of the interval check). */
  checkInstant(): void {
    for (const partition of this.sim.replicaSets.keys()) {
      const serving = this.sim.servingLeaders(partition);
      if (serving.length > 1) this.fail(`p${partition}: two serving leaders at once: ${serving.join(', ')} at ${this.sim.now.toFixed(1)}`);
      this.checkMajorityTerm(partition);
    }
  }

  /** After convergence: every replica's state holds every acknowledged write. */
  checkConverged(): void {
    for (const [p, replicas] of this.sim.replicaSets) {
      const max = this.acknowledgedMax.get(p) ?? 0;
      for (const id of replicas) {
        const state = this.sim.node(id).disk.state(p);
        if (state.index < max) this.fail(`p${p}: ${id} converged at ${state.index}, before the acknowledged write at ${max}`);
        if (this.appliedList(p)[state.index]?.hash !== state.hash) this.fail(`p${p}: ${id}'s final state is not the committed prefix`);
      }
    }
  }

  finish(): void {
    this.intervals.finish();
  }
}

function describeCode(code: number): string {
  return code > 0 ? `write ${code}` : code === 0 ? 'no-op' : `promotion of n${-1 - code}`;
}
