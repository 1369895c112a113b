import type { StorageNodeInfo } from '@triad/ring';

/** How long a node that failed a call is avoided before it is tried again without a ping. */
export const NODE_DOWN_HOLD_MS = 2_000;

/**
 * The router's view of which storage nodes answer. A stand-in for gossip membership: a node is up
 * until a call or ping to it fails, and up again once a ping succeeds or the hold expires.
 */
export class NodeHealth {
  private readonly downUntil = new Map<string, number>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  isUp(node: StorageNodeInfo): boolean {
    const until = this.downUntil.get(node.id);
    return until === undefined || until <= this.nowMs();
  }

  markDown(node: StorageNodeInfo): void {
    this.downUntil.set(node.id, this.nowMs() + NODE_DOWN_HOLD_MS);
  }

  markUp(node: StorageNodeInfo): void {
    this.downUntil.delete(node.id);
  }

  /** Replicas in order of preference: up before down, then the given order. */
  order(replicas: readonly StorageNodeInfo[]): StorageNodeInfo[] {
    return [...replicas.filter((n) => this.isUp(n)), ...replicas.filter((n) => !this.isUp(n))];
  }
}
