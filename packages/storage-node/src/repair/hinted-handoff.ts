import type { ClusterView, StorageNodeInfo } from '@triad/ring';
import type { Logger } from '@triad/observability';
import type { Environment, TimerHandle } from '@triad/runtime';
import type { HintStore } from './hint-store';
import type { PeerClients } from '../replica/peer-clients';
import type { StorageMetrics } from '../storage-metrics';

/** Hints replayed to a target per Replicate message. */
const REPLAY_BATCH_MAX = 256;
/** How often targets holding hints are checked for being back. */
const REPLAY_CHECK_INTERVAL_MS = 1_000;

export interface HintedHandoffComponents {
  selfId: string;
  ring: ClusterView;
  hints: HintStore;
  peers: PeerClients;
  isUp: (node: StorageNodeInfo) => boolean;
  metrics: StorageMetrics;
  log: Logger;
  /** Its wall clock stamps hints (their age is checked against the window); its timer replays them. */
  env: Environment;
}

/**
 * Hinted handoff: a write a follower missed is kept as a hint and replayed, oldest first, once the
 * follower is seen alive; hints past the window are dropped and left to anti-entropy. A hint the
 * follower refuses (its layout does not give it the partition) is kept and offered again at later
 * checks, until it is taken, this node's layout moves the partition away from the follower (then it
 * is dropped), or it is past the window.
 */
export class HintedHandoff {
  private timer?: TimerHandle;
  private readonly replaying = new Set<string>();

  constructor(private readonly c: HintedHandoffComponents) {}

  start(): void {
    this.timer = this.c.env.setInterval(() => this.replayAll(), REPLAY_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    this.c.env.clearInterval(this.timer);
  }

  /**
   * Keeps a record for an unreachable replica: on a live node of the replica's zone that is not one
   * of the partition's replicas when there is one (it survives the loss of this node's zone), else here.
   */
  async hint(target: StorageNodeInfo, partition: number, itemKey: Buffer, value: Buffer): Promise<void> {
    const replicas = this.c.ring.replicaSet(partition);
    const holder = this.c.ring.nodes.find(
      (n) => n.zone === target.zone && n.id !== target.id && n.id !== this.c.selfId && !replicas.includes(n) && this.c.isUp(n),
    );
    if (holder) {
      try {
        await this.c.peers.client(holder).storeHints({ target: target.id, records: [{ partition, key: itemKey, value }] });
        this.c.metrics.hintsStored.inc({ target: target.id });
        return;
      } catch {
        // Fall back to keeping the hint here.
      }
    }
    await this.keep(target.id, partition, itemKey, value);
  }

  /** Stores a hint in this node's hint store (also for hints other nodes hand to this one). */
  async keep(targetId: string, partition: number, itemKey: Buffer, value: Buffer): Promise<void> {
    const stored = await this.c.hints.append(targetId, partition, itemKey, value, this.c.env.nowMs());
    if (stored) this.c.metrics.hintsStored.inc({ target: targetId });
    else this.c.metrics.hintsDropped.inc({ target: targetId, reason: 'size_cap' });
    this.c.metrics.hintsPending.set({ target: targetId }, this.c.hints.pending(targetId));
  }

  /** Replays to every target that has hints and is up (also called when a node comes back). */
  replayAll(): void {
    for (const target of this.c.hints.targets()) {
      const node = this.c.ring.node(target);
      if (!node) void this.discard(target);
      else if (this.c.isUp(node)) void this.replay(node);
    }
  }

  /** Drops the hints of a node that left the cluster (decommissioned): its partitions live elsewhere now. */
  private async discard(targetId: string): Promise<void> {
    if (this.replaying.has(targetId)) return;
    this.replaying.add(targetId);
    try {
      for (;;) {
        const batch = await this.c.hints.oldest(targetId, REPLAY_BATCH_MAX);
        if (batch.length === 0) break;
        await this.c.hints.remove(targetId, batch);
        this.c.metrics.hintsDropped.inc({ target: targetId, reason: 'moved' }, batch.length);
      }
      this.c.metrics.hintsPending.set({ target: targetId }, this.c.hints.pending(targetId));
      this.c.log.info('hints of a node that left the cluster dropped', { target: targetId });
    } catch (error) {
      this.c.log.debug('dropping hints interrupted', { target: targetId, error: String(error) });
    } finally {
      this.replaying.delete(targetId);
    }
  }

  private async replay(target: StorageNodeInfo): Promise<void> {
    if (this.replaying.has(target.id)) return;
    this.replaying.add(target.id);
    try {
      // The hints the target refused stay in the store, before `after`: the pass goes on past them
      // (they do not hold up the later ones), and the next pass (REPLAY_CHECK_INTERVAL_MS) offers
      // them again from the oldest.
      let after: Buffer | undefined;
      let kept = 0;
      for (;;) {
        const batch = await this.c.hints.oldest(target.id, REPLAY_BATCH_MAX, after);
        if (batch.length === 0) break;
        after = batch[batch.length - 1].key;
        const cutoff = this.c.env.nowMs() - this.c.hints.windowMs;
        // A partition that moved away from the target since: its new replicas have the records
        // (a move syncs a majority of the new set before it switches).
        const moved = batch.filter((h) => !this.c.ring.receives(target.id, h.partition));
        const expired = batch.filter((h) => h.createdAtMs < cutoff && !moved.includes(h));
        const live = batch.filter((h) => h.createdAtMs >= cutoff && !moved.includes(h));
        let refused: typeof live = [];
        if (live.length > 0) {
          const reply = await this.c.peers.client(target).replicate({
            records: live.map((h) => ({ partition: h.partition, key: h.itemKey, value: h.value })),
            fromLeader: false,
          });
          // The target applied nothing of the records it refused (its layout does not give it their
          // partition: it has not learned of a move to it yet, or has left the partition): their
          // hints stay, until it takes them, this node's layout says the partition moved away from
          // it (`moved`), or they expire. A reply that counts refusals without naming them refuses all.
          const refusedIndexes = reply.refusedIndexes ?? (reply.refused > 0 ? live.map((_, i) => i) : []);
          const refusedSet = new Set(refusedIndexes);
          refused = live.filter((_, i) => refusedSet.has(i));
        }
        await this.c.hints.remove(target.id, refused.length === 0 ? batch : batch.filter((h) => !refused.includes(h)));
        kept += refused.length;
        this.c.metrics.hintsReplayed.inc({ target: target.id }, live.length - refused.length);
        if (expired.length > 0) this.c.metrics.hintsDropped.inc({ target: target.id, reason: 'expired' }, expired.length);
        if (moved.length > 0) this.c.metrics.hintsDropped.inc({ target: target.id, reason: 'moved' }, moved.length);
        this.c.metrics.hintsPending.set({ target: target.id }, this.c.hints.pending(target.id));
      }
      // A pass that kept refused hints runs again every check: it logs at debug, not info.
      if (kept > 0) this.c.log.debug('hints replayed; hints refused by their target kept for a later replay', { target: target.id, kept });
      else this.c.log.info('hints replayed', { target: target.id });
    } catch (error) {
      this.c.log.debug('hint replay interrupted', { target: target.id, error: String(error) });
    } finally {
      this.replaying.delete(target.id);
    }
  }
}
