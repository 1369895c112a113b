import type { SwimMessage } from '../swim';

/**
 * The seam between the SWIM driver and the network (memberlist's Transport, js-libp2p style):
 * the agent depends on this interface; gRPC is one implementation, a test may bring another.
 */
export interface MembershipTransport {
  /**
   * Sends one message and resolves with the receiver's direct reply (a ping's ack, a sync's
   * sync-reply), or null when the message has none. Rejects when the peer cannot be reached within
   * `deadlineMs` — SWIM treats that as silence, not as an error to report.
   */
  send(toAddress: string, message: SwimMessage, deadlineMs: number): Promise<SwimMessage | null>;
  /** Closes every connection; later sends reject. */
  close(): void;
}

/** Whoever answers incoming gossip (the agent): one message in, its direct reply (or null) out. */
export interface MembershipHandler {
  handleGossip(message: SwimMessage, fromAddress: string): SwimMessage | null | Promise<SwimMessage | null>;
}
