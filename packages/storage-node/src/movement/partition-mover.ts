import { diffTreesAsync } from '@triad/merkle';
import { completeMove, decideMove, type ClusterView, type PartitionMove, type StorageNodeInfo } from '@triad/ring';
import type { GetLayoutRequest, LayoutReply, MoveProgress, MovePartitionReply, MovePartitionRequest, ReplicatedRecord, SetLayoutRequest } from '@triad/rpc';
import type { Logger } from '@triad/observability';
import { sleep, type Environment } from '@triad/runtime';
import type { AntiEntropy } from '../repair/anti-entropy';
import { ConfigChangeRefused, type ReplicaDriver } from '../replica/replica-driver';
import { nextConfigurationStep } from './configuration-steps';
import type { LayoutKeeper } from './layout-keeper';
import type { Movement } from './movement';
import type { PeerClients } from '../replica/peer-clients';
import type { ReplicaState } from '../replica/replica-state';
import type { StorageEngine, RangeOptions } from '../storage/storage-engine';
import { itemKeyOf, partitionPrefix, prefixEnd } from '../storage/storage-keys';
import type { MovementMetrics } from '../storage-metrics';
import type { PlantedBugs } from '../planted-bugs';

/** Records read from RocksDB per step of the stream, and sent in one Replicate message at most. */
const STREAM_BATCH_RECORDS_MAX = 512;
/** Bytes of records in one Replicate message of the stream, at most (items go up to 400 KB). */
const STREAM_BATCH_BYTES_MAX = 4 * 1024 * 1024;
/** Replicate messages of one stream outstanding at once: keeps the incoming node's group commit fed. */
const STREAM_IN_FLIGHT_MAX = 2;
/** A progress log line per partition at most this often. */
const PROGRESS_LOG_INTERVAL_MS = 2_000;
/** How often the switch looks again while a learner catches up or a configuration entry commits. */
const SWITCH_STEP_POLL_MS = 50;
/**
 * How long one switch may take over its configuration steps before it answers RETRY (the CLI calls
 * again, and the move resumes from the log): a learner's catch-up by snapshot of a large partition
 * is the long part.
 */
const SWITCH_STEPS_MS_MAX = 120_000;
/** The planted bug `moveSwitchWithoutLog` only: how long its switch pushes the layout before adopting it whatever the answers. */
const SWITCH_PUSH_WAIT_MS = 2_000;

export interface PartitionMoverComponents {
  nodeId: string;
  view: ClusterView;
  keeper: LayoutKeeper;
  store: StorageEngine;
  replicas: ReplicaState;
  peers: PeerClients;
  election: ReplicaDriver;
  antiEntropy: AntiEntropy;
  /** Whether gossip may still reach the node (not dead, not left). */
  isUp: (node: StorageNodeInfo) => boolean;
  metrics: MovementMetrics;
  log: Logger;
  env: Environment;
  /** Only the simulator sets it (planted-bugs.ts). */
  plantedBugs?: PlantedBugs;
}

/**
 * Moves partitions to their new replicas during a join or decommission, at the partition's leader:
 *  1. streaming: the records (tombstones included) of the buckets in which the incoming node's
 *     Merkle tree differs from the leader's are sent to it, in key order; meanwhile the leader
 *     sends it every new write too (`forwardToIncoming`). Records carry versions and the incoming
 *     node keeps the newer, so a repeated or resumed stream only completes what is missing;
 *  2. switching, through the partition's log (see `switchOver`): the incoming node becomes a
 *     learner, then a voter once it holds the committed log, then the leaving node is removed — one
 *     single-server configuration entry at a time, each committed before the next — and the layout
 *     that records the move is appended last. The log's configuration is what elections, commits
 *     and leases count; the layout follows it (for routers and placement), never the reverse.
 */
export class PartitionMover implements Movement {
  /** Moves running here, by partition: a repeated request waits for the one running. */
  private readonly running = new Map<number, Promise<MovePartitionReply>>();
  private readonly progress = new Map<number, MoveProgress>();

  constructor(private readonly c: PartitionMoverComponents) {}

  getLayout(request: GetLayoutRequest): LayoutReply {
    return this.c.keeper.getLayout(request);
  }

  setLayout(request: SetLayoutRequest): Promise<LayoutReply> {
    return this.c.keeper.setLayout(request);
  }

  movePartition(request: MovePartitionRequest): Promise<MovePartitionReply> {
    return this.move(request);
  }

  holds(partition: number): boolean {
    return this.c.view.replicaSet(partition).some((n) => n.id === this.c.nodeId);
  }

  receives(partition: number): boolean {
    return this.c.view.receives(this.c.nodeId, partition);
  }

  /** What `triad status` shows of the moves this node runs. */
  moves(): MoveProgress[] {
    return [...this.progress.values()].map((p) => ({ ...p, incoming: [...p.incoming] }));
  }

  /**
   * Sends a new write of a moving partition to the nodes it is moving to while they are not in its
   * log yet (during the stream): best effort, in no quorum. Once a node is a learner, the log brings
   * it every write.
   */
  forwardToIncoming(partition: number, records: readonly { itemKey: Buffer; value: Buffer }[]): void {
    const status = this.c.election.configuration(partition);
    const incoming = this.c.view.incoming(partition).filter((n) => !status || !(status.config.voters.includes(n.id) || status.config.learners.includes(n.id)));
    if (incoming.length === 0) return;
    for (const node of incoming) {
      for (const record of records) {
        // A record it misses is sent again by the stream or the switch.
        this.c.peers.replicate(node, { partition, key: record.itemKey, value: record.value }).catch(() => undefined);
      }
    }
  }

  async move(request: MovePartitionRequest): Promise<MovePartitionReply> {
    const partition = request.partition;
    const reply = (status: MovePartitionReply['status'], extra: Partial<MovePartitionReply> = {}): MovePartitionReply => ({
      status,
      leaderHint: '',
      epoch: this.c.view.epoch,
      recordsStreamed: 0,
      detail: '',
      ...extra,
    });
    if (this.c.view.epoch < Number(request.minEpoch ?? 0)) {
      return reply('MOVE_STATUS_RETRY', { detail: `layout epoch ${this.c.view.epoch} is older than ${request.minEpoch}` });
    }
    const running = this.running.get(partition);
    if (running) return running;
    const decision = decideMove(this.c.view.ring, partition, this.c.nodeId, this.c.election.isServingLeader(partition));
    switch (decision.action) {
      case 'done':
        return reply('MOVE_STATUS_DONE');
      case 'not-replica':
        return reply('MOVE_STATUS_NOT_LEADER');
      case 'not-leader':
        return reply('MOVE_STATUS_NOT_LEADER', { leaderHint: this.c.election.leaderHint(partition) ?? '' });
      case 'hand-over': {
        const target = this.c.election.transferLeadership(partition, decision.candidates);
        this.c.log.info('partition move: handing leadership to a staying replica first', { partition, target });
        return reply('MOVE_STATUS_RETRY', { leaderHint: target ?? '', detail: 'the leader is the node leaving the partition; leadership is moving' });
      }
      case 'move': {
        const run = this.run(partition, decision.move, decision.incoming).then(
          (result) => {
            this.c.metrics.moves.inc({ outcome: result.status === 'MOVE_STATUS_DONE' ? 'done' : 'retry' });
            return result;
          },
          (error: unknown) => {
            this.c.metrics.moves.inc({ outcome: 'failed' });
            this.c.log.warn('partition move failed', { partition, error: String(error) });
            return reply('MOVE_STATUS_RETRY', { detail: String(error) });
          },
        );
        this.running.set(partition, run);
        void run.finally(() => this.running.delete(partition));
        return run;
      }
    }
  }

  private async run(partition: number, move: PartitionMove, incomingIds: string[]): Promise<MovePartitionReply> {
    const targets = incomingIds.map((id) => {
      const node = this.c.view.node(id);
      if (!node) throw new Error(`incoming node ${id} is not in the layout`);
      return node;
    });
    const progress: MoveProgress = { partition, incoming: incomingIds, phase: 'streaming', recordsSent: 0, recordsScanned: 0, recordsTotal: 0 };
    this.progress.set(partition, progress);
    this.c.metrics.movesActive.inc();
    const started = this.c.env.monotonicMs();
    const epochAtStart = this.c.view.epoch;
    this.c.log.info('partition move started', { partition, to: incomingIds, epoch: epochAtStart });
    try {
      for (const target of targets) await this.stream(partition, target, progress);
      const streamSeconds = (this.c.env.monotonicMs() - started) / 1000;
      progress.phase = 'switching';
      const result = await this.switchOver(partition, targets, move);
      const seconds = (this.c.env.monotonicMs() - started) / 1000;
      this.c.log.info(result.status === 'MOVE_STATUS_DONE' ? 'partition move done' : 'partition move interrupted', {
        partition,
        to: incomingIds,
        recordsStreamed: progress.recordsSent,
        streamSeconds,
        seconds,
        epoch: result.epoch,
        detail: result.detail || undefined,
      });
      return { ...result, recordsStreamed: progress.recordsSent };
    } finally {
      this.progress.delete(partition);
      this.c.metrics.movesActive.dec();
    }
  }

  /** Whether this node may go on moving the partition: still its serving leader, the step still pending. */
  private stillMoving(partition: number): boolean {
    return this.c.election.isServingLeader(partition) && this.c.view.ring.pendingMove(partition) !== undefined;
  }

  /**
   * Waits for a proposed configuration entry to be applied here, but only while this node still
   * leads the move: a leader that stops (SIGTERM hands its leaderships away, then stops its
   * elections) or loses the lead may never see its entry settle, and a move call that never
   * answers keeps the node's server from closing (seed 34 of `--moves --indexes`: a graceful stop
   * waited forever). False: no longer leading; the CLI retries from what the log says.
   */
  private async appliedWhileMoving(partition: number, applied: Promise<void>, moving = () => this.stillMoving(partition)): Promise<boolean> {
    let settled = false;
    const done = applied.then(() => (settled = true));
    for (;;) {
      await Promise.race([done, sleep(this.c.env, SWITCH_STEP_POLL_MS)]);
      if (settled) return true;
      if (!moving()) {
        done.catch(() => undefined); // its outcome no longer matters here
        return false;
      }
    }
  }

  /**
   * Streams the records of every bucket where `target` differs from this node, in key order,
   * at most STREAM_IN_FLIGHT_MAX messages at a time. Stops early when this node stops leading.
   */
  private async stream(partition: number, target: StorageNodeInfo, progress: MoveProgress): Promise<void> {
    const client = this.c.peers.client(target);
    const tree = this.c.replicas.tree(partition);
    const differing = new Set(
      await diffTreesAsync(tree.clone(), async (request) => (await client.merkleDigests({ partition, level: request.level, indices: [...request.indices] })).digests),
    );
    if (differing.size === 0) return;
    progress.recordsTotal += await this.countRecords(partition);
    const prefix = partitionPrefix(partition);
    const end = prefixEnd(prefix);
    let after: Buffer | undefined;
    let lastLogAt = this.c.env.monotonicMs();
    const inFlight = new Set<Promise<void>>();
    for (;;) {
      if (!this.stillMoving(partition)) throw new Error('no longer the serving leader of the partition, or its move ended');
      const range: RangeOptions = after ? { gt: after, lt: end } : { gte: prefix, lt: end };
      const batch: ReplicatedRecord[] = [];
      let bytes = 0;
      let scanned = 0;
      await this.c.store.forEach(range, (key, value) => {
        after = Buffer.from(key);
        scanned++;
        progress.recordsScanned++;
        const itemKey = itemKeyOf(key);
        if (differing.has(tree.bucketOf(itemKey))) {
          batch.push({ partition, key: Buffer.from(itemKey), value: Buffer.from(value) });
          bytes += key.length + value.length;
        }
        return scanned < STREAM_BATCH_RECORDS_MAX && bytes < STREAM_BATCH_BYTES_MAX;
      });
      if (batch.length > 0) {
        const sent = client.replicate({ records: batch, fromLeader: false }).then(() => {
          progress.recordsSent += batch.length;
          this.c.metrics.recordsStreamed.inc(batch.length);
        });
        inFlight.add(sent);
        void sent.finally(() => inFlight.delete(sent)).catch(() => undefined);
        if (inFlight.size >= STREAM_IN_FLIGHT_MAX) await Promise.race(inFlight);
      }
      if (this.c.env.monotonicMs() - lastLogAt >= PROGRESS_LOG_INTERVAL_MS) {
        lastLogAt = this.c.env.monotonicMs();
        this.c.log.info('partition move progress', {
          partition,
          to: target.id,
          recordsScanned: progress.recordsScanned,
          recordsTotal: progress.recordsTotal,
          recordsSent: progress.recordsSent,
        });
      }
      if (scanned === 0 || (scanned < STREAM_BATCH_RECORDS_MAX && bytes < STREAM_BATCH_BYTES_MAX)) break;
    }
    await Promise.all(inFlight);
  }

  private async countRecords(partition: number): Promise<number> {
    const prefix = partitionPrefix(partition);
    let count = 0;
    await this.c.store.forEach({ gte: prefix, lt: prefixEnd(prefix) }, () => {
      count++;
      return true;
    });
    return count;
  }

  /**
   * Before a leaving node is removed, this leader pulls from it (a Merkle repair) every record it
   * holds newer than this node's copy. Records that reach replicas outside the log (global index
   * entries, delivered straight to a majority of their partition's replicas) may be on the leaving
   * node alone — the other copy lost with a wiped disk before any anti-entropy round copied it on —
   * and the stream carried only what this leader holds, so they would go when the leaving node
   * deletes the partition. The new replicas get them from this leader by anti-entropy. A leaving
   * node that gossip says is down is not waited for (a dead node can still be decommissioned).
   * Resolves undefined, or with why the removal must wait (the CLI retries the move).
   */
  private async takeOverFrom(partition: number, leavingId: string): Promise<string | undefined> {
    const leaving = this.c.view.node(leavingId);
    if (!leaving || !this.c.isUp(leaving)) return undefined;
    try {
      const outcome = await this.c.antiEntropy.repair(partition, leaving);
      if (outcome.recordsPulled > 0) this.c.log.info('partition move: pulled records from the leaving node before removing it', { partition, from: leavingId, records: outcome.recordsPulled });
      return undefined;
    } catch (error) {
      return `the records of the leaving ${leavingId} could not be compared: ${String(error)}`;
    }
  }

  /**
   * The switch, through the partition's log (Raft's single-server changes): the incoming node is
   * added as a learner (it gets every entry, and a snapshot if it lacks compacted ones, beside what
   * the stream copied), promoted to voter once it holds the whole committed log, then the leaving
   * node is removed; each step is one configuration entry, proposed only once the one before is
   * committed, and each replica counts majorities and leases by the configuration in its log. A
   * leader that is the leaving node hands leadership over first. Then the layout that records the
   * move goes through the log too (every replica adopts it when it applies it) and to every node.
   * Nothing is decided by a timer: a step that does not commit is retried by the CLI, from
   * whatever the log says now. Answers RETRY when leadership is lost or a step cannot be made.
   */
  private async switchOver(partition: number, targets: StorageNodeInfo[], move: PartitionMove): Promise<MovePartitionReply> {
    const retry = (detail: string, leaderHint = ''): MovePartitionReply => ({ status: 'MOVE_STATUS_RETRY', leaderHint, epoch: this.c.view.epoch, recordsStreamed: 0, detail });
    const steps = { incoming: targets.map((t) => t.id), leaving: move.from.filter((id) => !move.to.includes(id)), order: move.to };
    const startedMs = this.c.env.monotonicMs();
    // Planted (issue 11, failure 3; simulation only): no configuration steps through the log.
    const planted = this.c.plantedBugs?.moveSwitchWithoutLog === true;
    /** Leaving nodes whose records this switch has taken over (see takeOverFrom). */
    const takenOver = new Set<string>();
    while (!planted) {
      if (!this.stillMoving(partition)) return retry('no longer the serving leader of the partition, or its move ended');
      if (this.c.env.monotonicMs() - startedMs > SWITCH_STEPS_MS_MAX) return retry('the configuration changes did not complete in time');
      const status = this.c.election.configuration(partition);
      if (!status) return retry('the partition is not replicated here');
      if (!status.committed) {
        // An earlier change (ours, or one a previous leader left) is on its way: one at a time.
        await sleep(this.c.env, SWITCH_STEP_POLL_MS);
        continue;
      }
      const step = nextConfigurationStep(status.config, steps, this.c.nodeId, this.c.plantedBugs?.moveSwapsVotersAtOnce === true);
      if (step.kind === 'done') break;
      if (step.kind === 'hand-over') {
        const target = this.c.election.transferLeadership(partition, move.to.filter((id) => status.config.voters.includes(id)));
        return retry('the leader is the node leaving the partition; leadership is moving', target ?? '');
      }
      if (step.what === 'remove' && !takenOver.has(step.node)) {
        const refusal = await this.takeOverFrom(partition, step.node);
        if (refusal) return retry(refusal);
        takenOver.add(step.node);
      }
      try {
        if (!(await this.appliedWhileMoving(partition, this.c.election.proposeConfiguration(partition, step.next)))) {
          return retry(`the ${step.what} of ${step.node} was not applied while this node led the move`);
        }
        this.c.log.info('partition configuration change applied', { partition, change: step.what, node: step.node, voters: step.next.voters, learners: step.next.learners });
      } catch (error) {
        if (error instanceof ConfigChangeRefused && (error.reason === 'learner-behind' || error.reason === 'change-pending' || error.reason === 'own-term-uncommitted')) {
          // The learner is still catching up (from the log, or a snapshot), or a commit is on its way.
          await sleep(this.c.env, SWITCH_STEP_POLL_MS);
          continue;
        }
        return retry(`the ${step.what} of ${step.node} did not take effect: ${String(error)}`);
      }
    }
    // The replica set is the new one in the log; the layout records the move for routers and placement.
    if (!this.stillMoving(partition) || !this.c.view.ring.pendingMove(partition)) return retry('leadership or the layout changed during the switch');
    const next = completeMove(this.c.view.layout, partition);
    this.c.keeper.keepLeadershipOf(partition);
    try {
      if (planted) {
        // Planted: the layout is pushed for a while whatever the answers, then adopted here; no log entry.
        await Promise.race([this.c.keeper.push(next, this.c.view.nodes), sleep(this.c.env, SWITCH_PUSH_WAIT_MS)]);
        await this.c.keeper.adopt(next, new Set([partition]));
      } else {
        const { applied } = this.c.election.propose(partition, () => ({ records: [], layout: Buffer.from(JSON.stringify(next)) }));
        // Applying it switches the layout (no move pending any more): only leadership is watched. A
        // leader that stops or loses the lead meanwhile answers RETRY rather than wait for ever.
        if (!(await this.appliedWhileMoving(partition, applied, () => this.c.election.isServingLeader(partition)))) {
          return retry('the layout of the move was not applied while this node led the partition');
        }
      }
    } catch (error) {
      return retry(`the layout of the move did not commit: ${String(error)}`);
    } finally {
      this.c.keeper.keepLeadershipOf(partition, false);
    }
    const pending = this.c.view.ring.pendingMove(partition);
    if (pending && pending.from.join() === move.from.join()) return retry('the switched layout could not be adopted');
    // Every other node (the leaving one among them) learns at once; one that does not answer pulls
    // the layout within a second or so. Nothing depends on the push: the replica sets are the log's.
    void this.c.keeper.push(next, this.c.view.nodes);
    this.c.log.info('partition switched to its new replica set', {
      partition,
      replicas: this.c.view.replicaSet(partition).map((n) => n.id),
      epoch: next.epoch,
      switchMs: Math.round(this.c.env.monotonicMs() - startedMs),
    });
    return { status: 'MOVE_STATUS_DONE', leaderHint: '', epoch: this.c.view.epoch, recordsStreamed: 0, detail: '' };
  }
}
