import { parseClusterLayout, type ClusterView, type StorageNodeInfo } from '@triad/ring';
import { type StorageConnector, type StorageNodeConnection } from '@triad/rpc';
import { promClient, type Logger } from '@triad/observability';
import type { Registry } from 'prom-client';
import type { Environment, TimerHandle } from '@triad/runtime';

/** A router asks one storage node for a newer layout this often. */
export const LAYOUT_POLL_INTERVAL_MS = 1_000;
/** After a hint that its layout is stale (a node no longer holds a partition), it asks again this soon at most. */
const LAYOUT_REFRESH_GAP_MS = 100;
const LAYOUT_CALL_DEADLINE_MS = 2_000;

/**
 * Keeps a router's layout current: once a second it asks one storage node (in turn) for a layout
 * newer than its own, and sooner when a storage node says it no longer holds a partition. Routers
 * hold no data, so adopting a layout only changes where the next requests go.
 */
export class LayoutFollower {
  private readonly clients = new Map<string, StorageNodeConnection>();
  private timer?: TimerHandle;
  private polling = false;
  private next = 0;
  /** Monotonic ms of the last poll's start (none yet: a hint polls at once). */
  private lastPollAtMs = -Infinity;
  private readonly epochGauge: promClient.Gauge;

  constructor(
    private readonly view: ClusterView,
    private readonly isUp: (node: StorageNodeInfo) => boolean,
    private readonly log: Logger,
    registry: Registry,
    private readonly env: Environment,
    /** Opens the connections to storage nodes: `grpcStorageConnector` with the cluster's TLS, or the simulator's. */
    private readonly connector: StorageConnector,
  ) {
    this.epochGauge = new promClient.Gauge({
      name: 'triad_layout_epoch',
      help: 'Epoch of the cluster layout this process has adopted; every process converges on the same value',
      registers: [registry],
    });
    this.epochGauge.set(view.epoch);
  }

  start(intervalMs = LAYOUT_POLL_INTERVAL_MS): void {
    this.timer = this.env.setInterval(() => void this.poll(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.env.clearInterval(this.timer);
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  /** A storage node answered as if the router's layout were old: ask for a newer one now. */
  refreshSoon(): void {
    if (this.env.monotonicMs() - this.lastPollAtMs >= LAYOUT_REFRESH_GAP_MS) void this.poll();
  }

  private client(node: StorageNodeInfo): StorageNodeConnection {
    let client = this.clients.get(node.id);
    if (!client || client.address !== node.address) {
      client?.close();
      client = this.connector.connect(node.address, { deadlineMs: LAYOUT_CALL_DEADLINE_MS });
      this.clients.set(node.id, client);
    }
    return client;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    const nodes = this.view.nodes.filter((n) => this.isUp(n));
    if (nodes.length === 0) return;
    this.polling = true;
    this.lastPollAtMs = this.env.monotonicMs();
    const node = nodes[this.next++ % nodes.length];
    try {
      const reply = await this.client(node).getLayout({ knownEpoch: this.view.epoch });
      if (reply.layout.length === 0) return;
      const before = this.view.epoch;
      if (this.view.adopt(parseClusterLayout(JSON.parse(reply.layout.toString('utf8'))))) {
        this.epochGauge.set(this.view.epoch);
        const change = this.view.layout.change;
        this.log.info('layout adopted', {
          epoch: this.view.epoch,
          previousEpoch: before,
          from: node.id,
          change: change ? `${change.kind} of ${change.node.id}: ${change.moves.filter((m) => m.done).length}/${change.moves.length} partition moves done` : 'none',
        });
      }
    } catch (error) {
      this.log.debug('layout poll failed', { target: node.id, error: String(error) });
    } finally {
      this.polling = false;
    }
  }
}
