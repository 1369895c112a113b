import type { StorageNodeInfo } from '@triad/ring';
import type { Environment } from '@triad/runtime';

/** How long a node that failed a call is avoided before it is tried again without a ping. */
export const NODE_DOWN_HOLD_MS = 2_000;
/**
 * How long a node that left a read unanswered past the hedge delay is asked last by eventual
 * reads: a stalled (paused, overloaded) node then costs the reads that follow no hedge delay each,
 * until its own call deadline marks it down or it answers in time again.
 */
export const NODE_SLOW_HOLD_MS = 2_000;

/**
 * The router's view of which storage nodes answer: gossip membership says which are dead, and a
 * failed call marks a node down for a short hold, since a call fails sooner than gossip decides.
 */
export class NodeHealth {
  private readonly downUntil = new Map<string, number>();
  private readonly slowUntil = new Map<string, number>();

  constructor(
    /** The node's membership status, undefined while gossip has not seen it. */
    private readonly membershipStatus: (nodeId: string) => string | undefined,
    /** Holds run on its monotonic clock. */
    private readonly clock: Pick<Environment, 'monotonicMs'>,
  ) {}

  isUp(node: StorageNodeInfo): boolean {
    const status = this.membershipStatus(node.id);
    if (status === 'dead' || status === 'left') return false;
    const until = this.downUntil.get(node.id);
    return until === undefined || until <= this.clock.monotonicMs();
  }

  /** Up, and neither slow to answer lately nor suspected by gossip: the replica to ask first for a read. */
  isResponsive(node: StorageNodeInfo): boolean {
    if (!this.isUp(node) || this.membershipStatus(node.id) === 'suspect') return false;
    const until = this.slowUntil.get(node.id);
    return until === undefined || until <= this.clock.monotonicMs();
  }

  markDown(node: StorageNodeInfo): void {
    this.downUntil.set(node.id, this.clock.monotonicMs() + NODE_DOWN_HOLD_MS);
  }

  markSlow(node: StorageNodeInfo): void {
    this.slowUntil.set(node.id, this.clock.monotonicMs() + NODE_SLOW_HOLD_MS);
  }

  /** The node answered a call (in time): whatever made it look slow is over. */
  markResponsive(node: StorageNodeInfo): void {
    this.slowUntil.delete(node.id);
  }

  markUp(node: StorageNodeInfo): void {
    this.downUntil.delete(node.id);
    this.slowUntil.delete(node.id);
  }

  /**
   * Replicas in order of preference: up before down, then the given order. When all are up (the
   * common case, on every request) that is the given array itself, not a copy.
   */
  order(replicas: readonly StorageNodeInfo[]): readonly StorageNodeInfo[] {
    if (replicas.every((n) => this.isUp(n))) return replicas;
    return [...replicas.filter((n) => this.isUp(n)), ...replicas.filter((n) => !this.isUp(n))];
  }

  /**
   * Replicas in order of preference for an eventually consistent read: responsive ones, then up
   * but slow or suspected ones, then down ones; the given order within each. The given array
   * itself when all are responsive.
   */
  readOrder(replicas: readonly StorageNodeInfo[]): readonly StorageNodeInfo[] {
    if (replicas.every((n) => this.isResponsive(n))) return replicas;
    const responsive = replicas.filter((n) => this.isResponsive(n));
    const lagging = replicas.filter((n) => !this.isResponsive(n) && this.isUp(n));
    return [...responsive, ...lagging, ...replicas.filter((n) => !this.isUp(n))];
  }
}
