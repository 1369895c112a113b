import { WRITE_QUORUM, type ClusterView } from '@triad/ring';
import type { Logger } from '@triad/observability';
import type { Environment, TimerHandle } from '@triad/runtime';
import type { HintedHandoff } from '../repair/hinted-handoff';
import type { Leadership } from '../replica/leadership';
import { DeliveryRefusedError, type PeerClients } from '../replica/peer-clients';
import { awaitQuorum } from './quorum';
import { decodeRecord, recordItem, type Version } from '../storage/record-codec';
import type { ReplicaState } from '../replica/replica-state';
import type { StorageEngine } from '../storage/storage-engine';
import { dataKey, partitionPrefix, prefixEnd } from '../storage/storage-keys';
import type { StorageMetrics } from '../storage-metrics';
import { OUTBOX_PREFIX, outboxDeliveries, type Outbox } from './global-index-outbox';

/** Outbox records delivered at once; the next round takes the next ones. */
const DELIVERY_ROUND_MAX = 256;
/** After a round with failures (a replica set without a majority up), wait this long before retrying. */
const RETRY_DELAY_MS = 500;
/** How often led partitions are checked: one newly led is searched for undelivered outbox records. */
const LEADERSHIP_CHECK_INTERVAL_MS = 1_000;
/**
 * How often every led partition is searched again: an outbox record can arrive other than by this
 * leader's own writes (repair or a hint bringing an old leader's write).
 */
const FULL_SEARCH_INTERVAL_MS = 60_000;

export interface GlobalIndexPropagatorComponents {
  nodeId: string;
  ring: ClusterView;
  store: StorageEngine;
  replicas: ReplicaState;
  peers: PeerClients;
  handoff: HintedHandoff;
  leadership: Leadership;
  metrics: StorageMetrics;
  log: Logger;
  env: Environment;
  /** Removes the outbox record once delivered, unless a newer change of the item replaced it (leader only). */
  retire: (partition: number, outboxKey: Buffer, version: Version) => Promise<void>;
}

export interface Delivery {
  partition: number;
  key: Buffer;
  value: Buffer;
}

/**
 * Delivers global index entries from the outboxes of the partitions this node leads to the
 * replicas of the entries' own partitions: each entry is written to every replica that is up and
 * counts as delivered once a majority holds it durably (hints cover the rest, as for items), then
 * the outbox record is retired. Entries carry their item's version and replicas keep the newer, so
 * a repeated delivery (a new leader resending) changes nothing. The lag between an item's commit
 * and its entries' delivery is `triad_gsi_replication_lag_seconds`.
 */
export class GlobalIndexPropagator {
  /** Outbox keys known to hold undelivered entries, by partition. */
  private readonly pending = new Map<number, Map<string, Buffer>>();
  private readonly led = new Set<number>();
  private draining = false;
  private timer?: TimerHandle;
  private retryTimer?: TimerHandle;
  /** Monotonic ms of the last search of every partition's outboxes (none yet: the first check searches). */
  private lastFullSearch = -Infinity;
  private stopped = false;
  /**
   * When each pending outbox was first noticed here (its commit was applied, or a search found it),
   * by partition and key: the replication lag runs from then. (Versions are log positions, not times.)
   */
  private readonly noticedAtMs = new Map<string, number>();

  constructor(private readonly c: GlobalIndexPropagatorComponents) {}

  start(): void {
    this.timer = this.c.env.setInterval(() => void this.checkLeadership(), LEADERSHIP_CHECK_INTERVAL_MS);
    this.timer.unref();
    void this.checkLeadership();
  }

  stop(): void {
    this.stopped = true;
    this.c.env.clearInterval(this.timer);
    this.c.env.clearTimeout(this.retryTimer);
  }

  /** An item's change with global index entries committed: deliver them. */
  notify(partition: number, outboxKey: Buffer): void {
    this.add(partition, outboxKey);
    this.drain();
  }

  /** Writes records to a majority of their partitions' replicas (a backfill's entries, an outbox's). */
  async deliver(deliveries: readonly Delivery[]): Promise<void> {
    await Promise.all(deliveries.map((d) => this.deliverOne(d)));
  }

  private add(partition: number, outboxKey: Buffer): void {
    const id = `${partition}:${outboxKey.toString('latin1')}`;
    if (!this.noticedAtMs.has(id)) this.noticedAtMs.set(id, this.c.env.monotonicMs());
    let keys = this.pending.get(partition);
    if (!keys) this.pending.set(partition, (keys = new Map()));
    keys.set(outboxKey.toString('latin1'), outboxKey);
    this.updateGauge();
  }

  private updateGauge(): void {
    let count = 0;
    for (const keys of this.pending.values()) count += keys.size;
    this.c.metrics.gsiPendingUpdates.set(count);
  }

  private async checkLeadership(): Promise<void> {
    if (this.stopped) return;
    const now = this.c.env.monotonicMs();
    const fullSearch = now - this.lastFullSearch >= FULL_SEARCH_INTERVAL_MS;
    if (fullSearch) this.lastFullSearch = now;
    try {
      for (const partition of this.c.ring.partitionsOf(this.c.nodeId)) {
        const leads = this.c.leadership.isServingLeader(partition);
        const newlyLed = leads && !this.led.has(partition);
        if (leads) this.led.add(partition);
        else this.led.delete(partition);
        if (leads && (newlyLed || fullSearch)) await this.search(partition);
      }
    } catch (error) {
      this.c.log.warn('search of global index outboxes failed', { error: String(error) });
    }
    this.drain();
  }

  /** Finds the partition's undelivered outbox records (live ones: delivered ones are tombstones). */
  private async search(partition: number): Promise<void> {
    const start = dataKey(partition, OUTBOX_PREFIX);
    await this.c.store.forEach({ gte: start, lt: prefixEnd(start) }, (key, value) => {
      if (!decodeRecord(value).tombstone) this.add(partition, Buffer.from(key.subarray(partitionPrefix(partition).length)));
      return true;
    });
  }

  /** Delivers pending outboxes round after round until none is left (one drain at a time). */
  private drain(): void {
    if (this.draining || this.stopped) return;
    this.draining = true;
    void (async () => {
      let failed = false;
      try {
        for (let round = this.nextRound(); round.length > 0 && !this.stopped; round = this.nextRound()) {
          const outcomes = await Promise.all(round.map(({ partition, outboxKey }) => this.deliverOutbox(partition, outboxKey)));
          const failures = outcomes.filter((outcome) => outcome !== true);
          if (failures.length > 0) {
            this.c.log.warn('global index delivery failed; retrying', { outboxes: failures.length, error: String(failures[0]) });
            failed = true;
            break;
          }
        }
      } finally {
        this.draining = false;
        this.updateGauge();
      }
      if (failed && !this.retryTimer) {
        this.retryTimer = this.c.env.setTimeout(() => {
          this.retryTimer = undefined;
          this.drain();
        }, RETRY_DELAY_MS);
        this.retryTimer.unref();
      }
    })();
  }

  /** The next pending outboxes of partitions still led here, taken off the pending set. */
  private nextRound(): { partition: number; outboxKey: Buffer }[] {
    const round: { partition: number; outboxKey: Buffer }[] = [];
    for (const [partition, keys] of this.pending) {
      if (!this.c.leadership.isServingLeader(partition)) {
        // The new leader finds them in its own search; so does this node if it leads again.
        for (const id of keys.keys()) this.noticedAtMs.delete(`${partition}:${id}`);
        this.pending.delete(partition);
        this.led.delete(partition);
        continue;
      }
      for (const [id, outboxKey] of keys) {
        if (round.length >= DELIVERY_ROUND_MAX) return round;
        keys.delete(id);
        round.push({ partition, outboxKey });
      }
      if (keys.size === 0) this.pending.delete(partition);
    }
    return round;
  }

  /** Delivers one outbox and retires it: true, or the error (and the outbox is pending again). */
  private async deliverOutbox(partition: number, outboxKey: Buffer): Promise<true | unknown> {
    try {
      const id = `${partition}:${outboxKey.toString('latin1')}`;
      const record = await this.c.replicas.current(dataKey(partition, outboxKey));
      if (!record || record.tombstone) {
        this.noticedAtMs.delete(id);
        return true;
      }
      const outbox = recordItem(record) as unknown as Outbox;
      await this.deliver(outboxDeliveries(outbox));
      this.c.metrics.gsiReplicationLagSeconds.observe(Math.max(0, this.c.env.monotonicMs() - (this.noticedAtMs.get(id) ?? this.c.env.monotonicMs())) / 1000);
      this.noticedAtMs.delete(id);
      this.c.metrics.gsiEntriesDelivered.inc(outbox.entries.length);
      await this.c.retire(partition, outboxKey, record.version);
      return true;
    } catch (error) {
      this.c.metrics.gsiDeliveryFailures.inc();
      this.add(partition, outboxKey);
      return error ?? new Error('delivery failed');
    }
  }

  private async deliverOne(delivery: Delivery): Promise<void> {
    const record = { partition: delivery.partition, key: delivery.key, value: delivery.value };
    const attempts = this.c.ring.replicaSet(delivery.partition).map((node) => {
      if (node.id === this.c.nodeId) return this.c.replicas.applyIfNewer(delivery.partition, delivery.key, delivery.value);
      return this.c.peers.deliver(node, record).catch(async (error: unknown) => {
        // A replica that refused is up and said no (its layout does not give it the partition): a
        // hint would be refused the same way. It counts as not delivered, and the caller retries.
        if (!(error instanceof DeliveryRefusedError)) await this.c.handoff.hint(node, delivery.partition, delivery.key, delivery.value);
        throw error;
      });
    });
    // A partition moving to new nodes gets the entry there too; the move itself repairs any miss.
    for (const node of this.c.ring.incoming(delivery.partition)) this.c.peers.deliver(node, record).catch(() => undefined);
    await awaitQuorum(attempts, WRITE_QUORUM);
  }
}
