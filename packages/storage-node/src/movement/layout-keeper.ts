import { ClusterView, layoutEpoch, parseClusterLayout, type ClusterLayout, type Ring, type StorageNodeInfo } from '@triad/ring';
import { type GetLayoutRequest, type LayoutReply, type SetLayoutRequest, type StorageConnector } from '@triad/rpc';
import type { Logger } from '@triad/observability';
import type { Environment, TimerHandle } from '@triad/runtime';
import type { PeerClients } from '../replica/peer-clients';
import type { StorageEngine } from '../storage/storage-engine';
import type { MovementMetrics } from '../storage-metrics';

/** The node's adopted layout lives under this one key ('l'), durable before the node acts on it. */
const LAYOUT_KEY = Buffer.from([0x6c]);
/** Each node asks one random peer for a newer layout this often: epochs spread like gossip. */
export const LAYOUT_PULL_INTERVAL_MS = 1_000;
/** A layout pull or push to one peer gives up after this long (the next round tries again). */
const LAYOUT_CALL_DEADLINE_MS = 2_000;
const EMPTY = Buffer.alloc(0);

export interface LayoutKeeperComponents {
  nodeId: string;
  view: ClusterView;
  store: StorageEngine;
  peers: PeerClients;
  metrics: MovementMetrics;
  log: Logger;
  /** Its timer pulls layouts; its randomness picks the peer to pull from. */
  env: Environment;
  /**
   * Runs after each adoption, before the next one starts: elections take the new replica sets
   * (keeping leadership of `keepLeadership`), data of partitions that moved away is dropped.
   */
  onAdopted: (after: Ring, before: Ring, keepLeadership: ReadonlySet<number>) => Promise<void>;
}

/** The layout a node persisted, if any. */
export async function loadPersistedLayout(store: StorageEngine): Promise<ClusterLayout | undefined> {
  const value = await store.get(LAYOUT_KEY);
  return value ? parseClusterLayout(JSON.parse(value.toString('utf8'))) : undefined;
}

/**
 * Asks the given nodes for their layouts and returns the newest (a node that starts without
 * itself in its layout file, i.e. one that is joining, learns the current layout this way).
 */
export async function fetchNewestLayout(nodes: readonly StorageNodeInfo[], knownEpoch: number, connector: StorageConnector): Promise<ClusterLayout | undefined> {
  const replies = await Promise.all(
    nodes.map(async (node) => {
      const client = connector.connect(node.address, { deadlineMs: LAYOUT_CALL_DEADLINE_MS });
      try {
        return await client.getLayout({ knownEpoch });
      } catch {
        return undefined;
      } finally {
        client.close();
      }
    }),
  );
  let newest: ClusterLayout | undefined;
  for (const reply of replies) {
    if (!reply || reply.layout.length === 0) continue;
    const layout = parseClusterLayout(JSON.parse(reply.layout.toString('utf8')));
    if (!newest || layoutEpoch(layout) > layoutEpoch(newest)) newest = layout;
  }
  return newest;
}

/**
 * Keeps the node's cluster layout: adopts newer layouts (pushed by the CLI or a leader that
 * switched a partition, or pulled from a random peer every second), one at a time, durable before
 * anything acts on them; answers peers, routers and the CLI with its own.
 */
export class LayoutKeeper {
  /** Adoptions run one after the other, in epoch order. */
  private chain: Promise<unknown> = Promise.resolve();
  private timer?: TimerHandle;
  private pulling = false;
  /** Partitions this node is switching as their leader: every adoption keeps its leadership of them. */
  private readonly switching = new Set<number>();

  constructor(private readonly c: LayoutKeeperComponents) {
    c.metrics.layoutEpoch.set(c.view.epoch);
  }

  get epoch(): number {
    return this.c.view.epoch;
  }

  /**
   * Adopts `layout` if it is newer than the node's: persists it, switches the view, runs
   * `onAdopted`. Resolves with whether it was adopted.
   */
  adopt(layout: ClusterLayout, keepLeadership: ReadonlySet<number> = new Set()): Promise<boolean> {
    const run = this.chain.then(async () => {
      if (layoutEpoch(layout) <= this.c.view.epoch) return false;
      const keep = new Set([...keepLeadership, ...this.switching]);
      await this.c.store.write({ type: 'put', key: LAYOUT_KEY, value: Buffer.from(JSON.stringify(layout)) });
      const before = this.c.view.ring;
      this.c.view.adopt(layout);
      this.c.metrics.layoutEpoch.set(this.c.view.epoch);
      const change = layout.change;
      this.c.log.info('layout adopted', {
        epoch: this.c.view.epoch,
        previousEpoch: before.epoch,
        change: change ? `${change.kind} of ${change.node.id}: ${change.moves.filter((m) => m.done).length}/${change.moves.length} partition moves done` : 'none',
        partitionsHeld: this.c.view.partitionsOf(this.c.nodeId).length,
      });
      await this.c.onAdopted(this.c.view.ring, before, keep);
      return true;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Follows `layout` at once, durable, without `onAdopted`: for a node without data, before it
   * takes part (no elections run, no data to drop), so that it marks as a learner the partitions it
   * holds in the newest layout its peers know, not in a stale one (a later adoption would take the
   * partitions it gains for moves into them, and the node would vote in them with an empty log).
   */
  async adoptBeforeStart(layout: ClusterLayout): Promise<boolean> {
    if (layoutEpoch(layout) <= this.c.view.epoch) return false;
    await this.c.store.write({ type: 'put', key: LAYOUT_KEY, value: Buffer.from(JSON.stringify(layout)) });
    const previousEpoch = this.c.view.epoch;
    this.c.view.adopt(layout);
    this.c.metrics.layoutEpoch.set(this.c.view.epoch);
    this.c.log.info('layout adopted before start', { epoch: this.c.view.epoch, previousEpoch, partitionsHeld: this.c.view.partitionsOf(this.c.nodeId).length });
    return true;
  }

  /**
   * While `on`, every adoption (whoever brings the layout) lets this node keep leading the
   * partition when its replica set changes: it is switching the partition itself, as its leader.
   */
  keepLeadershipOf(partition: number, on = true): void {
    if (on) this.switching.add(partition);
    else this.switching.delete(partition);
  }

  getLayout(request: GetLayoutRequest): LayoutReply {
    const epoch = this.c.view.epoch;
    const newer = epoch > Number(request.knownEpoch ?? 0);
    return { epoch, layout: newer ? Buffer.from(JSON.stringify(this.c.view.layout)) : EMPTY };
  }

  async setLayout(request: SetLayoutRequest): Promise<LayoutReply> {
    const layout = parseClusterLayout(JSON.parse(request.layout.toString('utf8')));
    await this.adopt(layout);
    return { epoch: this.c.view.epoch, layout: EMPTY };
  }

  /** Sends the layout to every given node (but this one); resolves when all answered or gave up. */
  async push(layout: ClusterLayout, nodes: readonly StorageNodeInfo[]): Promise<void> {
    const payload = Buffer.from(JSON.stringify(layout));
    await Promise.all(
      nodes
        .filter((n) => n.id !== this.c.nodeId)
        .map((node) =>
          this.c.peers
            .client(node)
            .setLayout({ layout: payload }, LAYOUT_CALL_DEADLINE_MS)
            .catch((error: unknown) => this.c.log.debug('layout push failed', { target: node.id, error: String(error) })),
        ),
    );
  }

  /** Starts pulling newer layouts from a random peer every `intervalMs`. */
  start(intervalMs = LAYOUT_PULL_INTERVAL_MS): void {
    this.timer = this.c.env.setInterval(() => void this.pullOnce(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.c.env.clearInterval(this.timer);
  }

  private async pullOnce(): Promise<void> {
    if (this.pulling) return;
    const others = this.c.view.nodes.filter((n) => n.id !== this.c.nodeId);
    if (others.length === 0) return;
    this.pulling = true;
    const peer = others[Math.floor(this.c.env.random() * others.length)];
    try {
      const reply = await this.c.peers.client(peer).getLayout({ knownEpoch: this.c.view.epoch }, LAYOUT_CALL_DEADLINE_MS);
      if (reply.layout.length > 0 && Number(reply.epoch) > this.c.view.epoch) {
        await this.adopt(parseClusterLayout(JSON.parse(reply.layout.toString('utf8'))));
      }
    } catch (error) {
      this.c.log.debug('layout pull failed', { peer: peer.id, error: String(error) });
    } finally {
      this.pulling = false;
    }
  }
}
