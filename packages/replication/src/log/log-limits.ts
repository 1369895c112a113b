/**
 * Bounds of log replication, named with units last. Each says why.
 */

/**
 * Entries in one Append. A write's entry holds at most one item and its index entries (under
 * ~2 MB with 400 KB items); 256 entries keep a message far below gRPC's frame limits in practice
 * and a lagging follower catches up in few round trips.
 */
export const LOG_APPEND_ENTRIES_MAX = 256;

/** Payload bytes in one Append (its first entry goes whatever its size): 3 MiB keeps a message under gRPC's default 4 MiB receive limit. */
export const LOG_APPEND_BYTES_MAX = 3 * 1024 * 1024;

/**
 * Appends in flight to one follower per partition before its answers come back: enough to keep
 * a stream busy across one round trip of group commits, few enough that a follower that went away
 * costs little resent work.
 */
export const LOG_APPENDS_IN_FLIGHT_MAX = 8;

/**
 * Entries a leader keeps in memory per partition for followers that lag (a replica that is down
 * catches up from these when it returns). Beyond this, or beyond the node's byte bound, the oldest
 * go and a follower that needed them gets a snapshot instead (streamed over Merkle ranges).
 */
export const LOG_RETAINED_ENTRIES_MAX = 100_000;

/** Uncommitted proposals per partition at the leader: beyond this it refuses new writes (throttling) instead of queueing without bound. */
export const LOG_PROPOSALS_IN_FLIGHT_MAX = 4096;

/**
 * A leader resends to a follower whose answer has not come within this (a lost message, a
 * restarted follower): well above a round trip with a synced write on a busy machine, well below
 * an election timeout.
 */
export const LOG_APPEND_RETRY_MS = 500;

/** Entries a window may hold beyond what is needed before it is compacted: compaction copies the window, so not on every answer. */
export const LOG_COMPACTION_SLACK_ENTRIES = 1024;

/** Voters a configuration entry may leave: two, so that a removal never leaves a partition that one crash stops (a 4→3 or 3→2 step). */
export const CONFIG_VOTERS_MIN = 2;

/** Members (voters and learners) of one partition: three, one joining and one leaving, and room for a split's extra. */
export const CONFIG_MEMBERS_MAX = 7;

/** Configurations a replica remembers by index (the base included): changes come three per move, and are looked up only at recent positions. */
export const CONFIG_HISTORY_MAX = 16;
