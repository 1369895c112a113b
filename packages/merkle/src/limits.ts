/**
 * Limits of the Merkle trees, in one place, named with units last.
 */

/**
 * Leaves per tree = 2^depth. 10 gives 1024 buckets: with a partition of ~1 million items a bucket
 * holds ~1000 records, so one differing bucket costs one small range scan and exchange, while the
 * whole tree is 1024 × 16 bytes = 16 KiB of leaves (plus as much for the internal levels).
 */
export const MERKLE_DEPTH_DEFAULT = 10;

/**
 * 2^16 leaves × 16 bytes = 1 MiB of leaves per partition tree; a node holds trees for hundreds of
 * partitions, so deeper trees would cost more memory than they save in exchanged records.
 */
export const MERKLE_DEPTH_MAX = 16;

/**
 * The diff walks this many levels per round trip: from each differing node it asks for its
 * 2^levelsPerRound descendants at once. 2 turns a depth-10 walk into 6 round trips (root + 5)
 * while each differing node costs only 4 digests per round.
 */
export const DIFF_LEVELS_PER_ROUND_DEFAULT = 2;

/** A level may not skip more than this: 2^8 = 256 digests per differing node is already a lot. */
export const DIFF_LEVELS_PER_ROUND_MAX = 8;

/**
 * One digest request names at most this many nodes (one response: 1024 × 32 hex chars = 32 KiB),
 * so that a badly diverged replica is walked in several bounded messages instead of one huge one.
 */
export const DIFF_NODES_PER_REQUEST_MAX = 1024;

/** Versions (term, seq) are non-negative integers that fit a double exactly. */
export const VERSION_COMPONENT_MAX = Number.MAX_SAFE_INTEGER;
