import type { StorageNodeInfo } from '@triad/ring';

/** How long a node that failed a call is avoided before it is tried again without a ping. */
export const NODE_DOWN_HOLD_MS = 2_000;

/**
 * The router's view of which storage nodes answer: gossip membership says which are dead, and a
 * failed call marks a node down for a short hold, since a call fails sooner than gossip decides.
 */
export class NodeHealth {
  private readonly downUntil = new Map<string, number>();

  constructor(
    /** The node's membership status, undefined while gossip has not seen it. */
    private readonly membershipStatus: (nodeId: string) => string | undefined = () => undefined,
    private readonly nowMs: () => number = Date.now,
  ) {}

  isUp(node: StorageNodeInfo): boolean {
    const status = this.membershipStatus(node.id);
    if (status === 'dead' || status === 'left') return false;
    const until = this.downUntil.get(node.id);
    return until === undefined || until <= this.nowMs();
  }

  markDown(node: StorageNodeInfo): void {
    this.downUntil.set(node.id, this.nowMs() + NODE_DOWN_HOLD_MS);
  }

  markUp(node: StorageNodeInfo): void {
    this.downUntil.delete(node.id);
  }

  /**
   * Replicas in order of preference: up before down, then the given order. When all are up (the
   * common case, on every request) that is the given array itself, not a copy.
   */
  order(replicas: readonly StorageNodeInfo[]): readonly StorageNodeInfo[] {
    if (replicas.every((n) => this.isUp(n))) return replicas;
    return [...replicas.filter((n) => this.isUp(n)), ...replicas.filter((n) => !this.isUp(n))];
  }
}
