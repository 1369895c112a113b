/** Every partition lives on this many nodes, one per zone (DynamoDB: three availability zones). */
export const REPLICATION_FACTOR = 3;
/** A write is acknowledged once this many replicas hold it durably: a majority of three. */
export const WRITE_QUORUM = 2;
/** Partitions cut a 32-bit hash space, so their count is a power of two no larger than this. */
export const PARTITION_COUNT_MAX = 65536;
/** Virtual nodes per storage node on the hash ring, so that partitions spread evenly. */
export const VNODES_PER_NODE = 160;
