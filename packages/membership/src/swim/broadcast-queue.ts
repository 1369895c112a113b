import { copyState, type MemberState } from './types';

interface Broadcast {
  state: MemberState;
  transmits: number;
}

/**
 * Updates waiting to be piggy-backed, at most one per member: a newer update about a member
 * replaces the queued one (memberlist's TransmitLimitedQueue invalidation). The least transmitted
 * go first, so fresh news (a refutation, a suspicion) rides the very next message.
 */
export class BroadcastQueue {
  /** Map order is insertion order, which keeps selection deterministic among equal counts. */
  private readonly queue = new Map<string, Broadcast>();

  get size(): number {
    return this.queue.size;
  }

  enqueue(state: MemberState): void {
    this.queue.delete(state.id);
    this.queue.set(state.id, { state: copyState(state), transmits: 0 });
  }

  drop(memberId: string): void {
    this.queue.delete(memberId);
  }

  /**
   * Takes up to `max` updates for one message, skipping `excludeIds`, counts a transmit for each,
   * and forgets those sent `transmitLimit` times.
   */
  take(max: number, transmitLimit: number, excludeIds: ReadonlySet<string> = new Set()): MemberState[] {
    if (max <= 0) return [];
    const chosen = [...this.queue.values()]
      .filter((b) => !excludeIds.has(b.state.id))
      .sort((a, b) => a.transmits - b.transmits)
      .slice(0, max);
    for (const broadcast of chosen) {
      broadcast.transmits += 1;
      if (broadcast.transmits >= transmitLimit) this.queue.delete(broadcast.state.id);
    }
    return chosen.map((b) => copyState(b.state));
  }
}
