import { diffTreesAsync } from '@triad/merkle';
import { completeMove, decideMove, type ClusterLayout, type ClusterView, type PartitionMove, type StorageNodeInfo } from '@triad/ring';
import type { GetLayoutRequest, LayoutReply, MoveProgress, MovePartitionReply, MovePartitionRequest, ReplicatedRecord, SetLayoutRequest } from '@triad/rpc';
import type { Logger } from '@triad/observability';
import { sleep, type Environment } from '@triad/runtime';
import type { AntiEntropy } from '../repair/anti-entropy';
import type { ReplicaDriver } from '../replica/replica-driver';
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
/** How long the switch waits for the other nodes to take the new layout before it answers (they pull it anyway). */
const SWITCH_PUSH_WAIT_MS = 2_000;
/** Attempts to bring the incoming node's Merkle root level with the leader's before giving up (the CLI retries). */
const SWITCH_SYNC_ATTEMPTS_MAX = 3;

export interface PartitionMoverComponents {
  nodeId: string;
  view: ClusterView;
  keeper: LayoutKeeper;
  store: StorageEngine;
  replicas: ReplicaState;
  peers: PeerClients;
  election: ReplicaDriver;
  antiEntropy: AntiEntropy;
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
 *  2. switching: the leader stops serving the partition for a moment, lets its writes in the log
 *     settle, sends what still differs, checks that both Merkle roots are equal, then appends the
 *     switch (the layout with the partition switched) to the partition's log. Committed under the
 *     old replica set, it is adopted by each replica as it applies it (the leader keeps leading),
 *     so the old set can no longer elect a leader on its own: a replica that holds the entry uses
 *     the new set, and one without it cannot win the vote of one that holds it. The leader then
 *     serves again and sends the layout to every node. It and the incoming node hold every
 *     acknowledged write: a majority of the new replica set.
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

  /** Sends a new write of a moving partition to the nodes it is moving to: best effort, in no quorum. */
  forwardToIncoming(partition: number, records: readonly { itemKey: Buffer; value: Buffer }[]): void {
    const incoming = this.c.view.incoming(partition);
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

  /** Sends `target` the records of every bucket where it still differs; resolves with how many. */
  private async sendDifferences(partition: number, target: StorageNodeInfo): Promise<number> {
    const client = this.c.peers.client(target);
    const buckets = await diffTreesAsync(this.c.replicas.tree(partition).clone(), async (request) =>
      (await client.merkleDigests({ partition, level: request.level, indices: [...request.indices] })).digests,
    );
    if (buckets.length === 0) return 0;
    const records = await this.c.replicas.bucketRecords(partition, buckets);
    for (let i = 0; i < records.length; i += STREAM_BATCH_RECORDS_MAX) {
      const chunk = records.slice(i, i + STREAM_BATCH_RECORDS_MAX).map((r) => ({ partition, key: r.itemKey, value: r.value }));
      await client.replicate({ records: chunk, fromLeader: false });
    }
    this.c.metrics.recordsStreamed.inc(records.length);
    return records.length;
  }

  private async rootsEqual(partition: number, target: StorageNodeInfo): Promise<boolean> {
    const { roots } = await this.c.peers.client(target).merkleRoots({ partitions: [partition] });
    return roots[0] === this.c.replicas.tree(partition).root();
  }

  /**
   * The switch: pause, settle, last differences, equal roots, adopt and announce the new layout,
   * serve again. Answers RETRY (nothing switched) when the roots stay different or leadership is lost.
   */
  private async switchOver(partition: number, targets: StorageNodeInfo[], move: PartitionMove): Promise<MovePartitionReply> {
    const retry = (detail: string): MovePartitionReply => ({ status: 'MOVE_STATUS_RETRY', leaderHint: '', epoch: this.c.view.epoch, recordsStreamed: 0, detail });
    if (!this.stillMoving(partition)) return retry('no longer the serving leader of the partition');
    const term = this.c.election.termOf(partition);
    const pausedAt = this.c.env.monotonicMs();
    let next: ClusterLayout;
    this.c.election.pause(partition);
    try {
      // Writes check the pause in the same step as they enter the log: those in it settle now.
      await this.c.election.writesSettled(partition);
      for (const target of targets) {
        // Usually equal at once: the stream sent the rest, and every write since went to the target too.
        let equal = await this.rootsEqual(partition, target);
        for (let attempt = 1; attempt <= SWITCH_SYNC_ATTEMPTS_MAX && !equal; attempt++) {
          // The last attempt also pulls: the incoming node may hold a newer copy of some key.
          if (attempt === SWITCH_SYNC_ATTEMPTS_MAX) await this.c.antiEntropy.repair(partition, target);
          else await this.sendDifferences(partition, target);
          equal = await this.rootsEqual(partition, target);
        }
        if (!equal) return retry(`the Merkle roots of ${this.c.nodeId} and ${target.id} still differ`);
      }
      if (!this.c.election.leads(partition, term) || !this.c.view.ring.pendingMove(partition)) return retry('leadership or the layout changed during the switch');
      const layout = completeMove(this.c.view.layout, partition);
      next = layout;
      // The switch is an entry of the partition's log, committed under the old replica set: every
      // replica adopts the new set when it applies it, so both sets never elect apart. This node
      // keeps leading the partition whichever way the layout reaches it.
      this.c.keeper.keepLeadershipOf(partition);
      try {
        if (this.c.plantedBugs?.moveSwitchWithoutLog) {
          // Planted (issue 11, failure 3): pushed for a while whatever the answers, then adopted here; no log entry.
          await Promise.race([this.c.keeper.push(layout, this.c.view.nodes), sleep(this.c.env, SWITCH_PUSH_WAIT_MS)]);
          await this.c.keeper.adopt(layout, new Set([partition]));
        } else {
          const { applied } = this.c.election.propose(partition, () => ({ records: [], layout: Buffer.from(JSON.stringify(layout)) }), { whilePaused: true });
          await applied;
        }
      } catch (error) {
        return retry(`the switch did not commit: ${String(error)}`);
      } finally {
        this.c.keeper.keepLeadershipOf(partition, false);
      }
      const pending = this.c.view.ring.pendingMove(partition);
      if (pending && pending.from.join() === move.from.join()) return retry('the switched layout could not be adopted');
    } finally {
      this.c.election.resume(partition);
    }
    const pausedMs = Math.round(this.c.env.monotonicMs() - pausedAt);
    // Every other node (the leaving one among them) learns at once; one that does not answer pulls
    // the layout within a second or so.
    await Promise.race([this.c.keeper.push(next, this.c.view.nodes), sleep(this.c.env, SWITCH_PUSH_WAIT_MS)]);
    this.c.log.info('partition switched to its new replica set', {
      partition,
      replicas: this.c.view.replicaSet(partition).map((n) => n.id),
      epoch: next.epoch,
      pausedMs,
    });
    return { status: 'MOVE_STATUS_DONE', leaderHint: '', epoch: this.c.view.epoch, recordsStreamed: 0, detail: '' };
  }
}

