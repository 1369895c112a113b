/**
 * Lease safety, checked exactly: at most one node serves a partition at any real instant. A node's
 * serving window (`servingWindow`, in its local clock) is in force from the real time it was last
 * changed until the next change (state changes only when the node processes an input), so the node
 * served during the intersection of that stretch with [from, until) converted to real time. The
 * stretches of two different nodes must never overlap.
 */
import type { NodeId, PartitionId, ServingWindow } from '../../src';

/** Clocks and the failure to raise: what the tracker needs of its simulation. */
export interface IntervalClock {
  /** The current real (simulated) time. */
  nowMs(): number;
  /** A node's local clock reading converted to real time. */
  realOf(node: NodeId, localMs: number): number;
  fail(message: string): never;
}

interface ServedInterval {
  node: NodeId;
  term: number;
  fromMs: number;
  toMs: number;
}

interface OpenWindow {
  node: NodeId;
  partition: PartitionId;
  term: number;
  fromLocalMs: number;
  untilLocalMs: number;
  sinceRealMs: number;
}

/**
 * Served intervals older than this are forgotten. A window ends within a lease of its last
 * extension, so a stretch being closed never starts earlier than half this before now (asserted,
 * so that the check cannot silently weaken).
 */
const SERVED_HISTORY_MS = 10_000;

export class ServingIntervals {
  /** Per node, per partition: the window it holds now. */
  private readonly open = new Map<NodeId, Map<PartitionId, OpenWindow>>();
  private readonly served = new Map<PartitionId, ServedInterval[]>();
  intervals = 0;

  constructor(private readonly clock: IntervalClock) {}

  /** The node's window for the partition as of now (undefined: it does not serve). */
  update(node: NodeId, partition: PartitionId, window: ServingWindow | undefined): void {
    let windows = this.open.get(node);
    if (!windows) this.open.set(node, (windows = new Map()));
    const current = windows.get(partition);
    if (!current && !window) return;
    if (current && window && current.term === window.term && current.fromLocalMs === window.fromMs && current.untilLocalMs === window.untilMs) return;
    if (current) this.close(current);
    if (window) {
      windows.set(partition, { node, partition, term: window.term, fromLocalMs: window.fromMs, untilLocalMs: window.untilMs, sinceRealMs: this.clock.nowMs() });
    } else {
      windows.delete(partition);
    }
  }

  /** Closes every open window (end of run), so that its last stretch is checked too. */
  finish(): void {
    for (const windows of this.open.values()) for (const window of [...windows.values()]) this.update(window.node, window.partition, undefined);
  }

  private close(window: OpenWindow): void {
    const now = this.clock.nowMs();
    const fromMs = Math.max(window.sinceRealMs, this.clock.realOf(window.node, window.fromLocalMs));
    const toMs = Math.min(now, this.clock.realOf(window.node, window.untilLocalMs));
    if (!(fromMs < toMs)) return;
    if (fromMs < now - SERVED_HISTORY_MS / 2) this.clock.fail(`checker: served interval from ${fromMs} is older than its history (${now})`);
    let list = this.served.get(window.partition);
    if (!list) this.served.set(window.partition, (list = []));
    for (const other of list) {
      if (other.node !== window.node && other.fromMs < toMs && fromMs < other.toMs) {
        this.clock.fail(
          `p${window.partition}: two serving leaders at once: ${other.node} (term ${other.term}) during [${other.fromMs.toFixed(1)}, ${other.toMs.toFixed(1)}) ` +
            `and ${window.node} (term ${window.term}) during [${fromMs.toFixed(1)}, ${toMs.toFixed(1)})`,
        );
      }
    }
    list.push({ node: window.node, term: window.term, fromMs, toMs });
    this.intervals++;
    while (list.length > 0 && list[0].toMs < now - SERVED_HISTORY_MS) list.shift();
  }
}
