/**
 * Every bound of the election state machine, in one place, named with units and qualifiers last.
 * This package imports nothing, so the few facts it shares with `@triad/ring` are restated here.
 */

/** A partition lives on exactly this many nodes; its replica set is that long, preferred first. */
export const REPLICATION_FACTOR = 3;

/** Votes (self included) that elect a leader, and nodes (leader included) that grant a lease. */
export const QUORUM = 2;

/**
 * A node may replicate every partition: the ring allows 65,536 hash partitions plus the system
 * partition. Tables are sized from this, and it also caps the entries of one heartbeat.
 */
export const PARTITIONS_PER_NODE_MAX = 65_536 + 1;

/** Nodes a node can share partitions with; far above any cluster we plan, small enough to loop over. */
export const PEERS_MAX = 1024;

/** One heartbeat (or ack) carries at most one entry per partition the two nodes share. */
export const HEARTBEAT_ENTRIES_MAX = PARTITIONS_PER_NODE_MAX;

/**
 * Terms are stored as u32 in every record version (see storage-node's record codec), so a term
 * may never pass this. At one election per second it lasts 136 years.
 */
export const TERM_MAX = 0xffff_ffff;

/** Boot ids are drawn uniformly from [0, BOOT_ID_MAX]. */
export const BOOT_ID_MAX = 0xffff_ffff;

/** Partition numbers run from 0 to the system partition, whose number is the partition count. */
export const PARTITION_ID_MAX = PARTITIONS_PER_NODE_MAX - 1;

/**
 * Heartbeat rounds whose send time a node remembers, to turn a late ack into a lease. Rounds
 * normally go every heartbeat interval (10 per default lease), urgent ones at most once per tick;
 * forgetting an old round only loses a lease extension that had nearly expired anyway.
 */
export const HEARTBEAT_ROUNDS_TRACKED_MAX = 128;

/**
 * Messages that may wait in the outbox between two `ready()` calls. One input produces at most a
 * few messages per partition; reaching this means the driver stopped draining: a bug.
 */
export const OUTBOX_MESSAGES_MAX = 1 << 20;

/**
 * A follower is a fit target for a leadership transfer only if it acked one of the last this many
 * heartbeat rounds of the current term: it is reachable now and knows the current term.
 */
export const TRANSFER_TARGET_ACK_AGE_HEARTBEATS_MAX = 3;

/**
 * A `TimeoutNow` is resent on this many following heartbeat rounds while nobody has taken over:
 * losing all four costs an election timeout, which is what a transfer is there to avoid.
 */
export const TRANSFER_RESENDS_MAX = 3;

/**
 * A gap of more than this many heartbeat intervals between two acks from a peer restarts its
 * "reachable since" streak, which leader balancing requires to last `balanceHoldMs`.
 */
export const PEER_ACK_GAP_HEARTBEATS_MAX = 5;

/**
 * The clock-rate difference (as a fraction) that the lease margin must absorb. Quartz drifts by
 * ~50 ppm; 1% also covers a VM whose clock is slewed. `clockDriftMarginMs` must cover twice this
 * over a lease (the old leader's clock slow, the new one's fast).
 */
export const CLOCK_RATE_DRIFT_MAX = 0.01;
