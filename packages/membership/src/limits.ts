/**
 * Every bound of the membership package, named with its unit last. Pure: the SWIM core imports it.
 * A message that would break one of these is rejected as malformed rather than trusted.
 */

/** Members one process tracks (alive, suspect, dead and left). A Triad cluster is tens of nodes; this leaves room. */
export const MEMBERS_MAX = 1024;
/** Seed addresses tried on join. Configuration lists a handful (in Kubernetes, the headless service's pods). */
export const SEEDS_MAX = 16;
/** Updates piggy-backed on one message, whatever the configuration asks: keeps a ping small. */
export const PIGGYBACK_UPDATES_MAX = 64;
/** Indirect probes per failed direct ping (SWIM's k), whatever the configuration asks. */
export const INDIRECT_CHECKS_MAX = 8;
/** ping-req requests this member relays at once; more are refused so that a storm cannot grow memory. */
export const RELAYS_PENDING_MAX = 256;
/** Members told directly of a graceful leave (the rest learn it by gossip). */
export const LEAVE_NOTIFY_MEMBERS_MAX = 16;
/** Decommissioned ids remembered so that stale gossip cannot bring them back. */
export const REMOVED_TOMBSTONES_MAX = 4096;
/** Characters in a member id, zone or address: far above any real one, far below a memory problem. */
export const MEMBER_FIELD_LENGTH_MAX = 256;
/** One gossip packet: a full-state sync of MEMBERS_MAX members at ~300 bytes each fits with room. */
export const GOSSIP_PAYLOAD_BYTES_MAX = 1024 * 1024;
/** Gossip calls one agent has in flight; beyond it a message is dropped (SWIM tolerates loss). */
export const SENDS_IN_FLIGHT_MAX = 512;
/**
 * The highest incarnation a message may carry: far above any real one (a member raises its own by
 * one per refutation), far enough below 2^53 that `incarnation + INCARNATION_STEP_MAX + 1` is
 * still an exact integer, so that a member can always outbid a claim about itself.
 */
export const INCARNATION_MAX = 2 ** 48;
/**
 * How far one claim may move a member's incarnation beyond what this process holds: a member
 * refutes one claim at a time (+1 each), so a real jump is a handful of refutations missed; a
 * restarted member at 0 catches up with its old incarnation in steps of this. A claim further
 * ahead (a forged or corrupt incarnation) is taken as this far ahead only, so that no message can
 * push a member where it cannot refute (issue 13: one forged 2^53 - 1 made every node dead).
 */
export const INCARNATION_STEP_MAX = 1024;
/** Peer addresses with an open gRPC client; the least recently used is closed beyond it. */
export const CLIENTS_MAX = MEMBERS_MAX;
