/**
 * The error name (in OpResult.error_name) a partition leader answers with when a write carries an
 * index list older than the table's index fence: the router's catalog is behind an index change
 * (see docs/architecture.md, "Index fences"). The router refreshes its catalog and sends the write
 * again with the new list; it never shows this name to a client.
 */
export const STALE_INDEX_LIST = 'StaleIndexList';

/**
 * Fence records, one per table in each data partition, are items keyed [FENCE_PREFIX][table id]
 * holding the fence's version in FENCE_VERSION_ATTRIBUTE (a number). The index builder writes them
 * through the partitions' leaders; a write of one carries the version it sets as `schemaVersion`.
 * FENCE_PREFIX has a table id's length and is one random table ids do not take in practice (like
 * the outbox's ff×8 and item collections' ff×7 fe).
 */
export const FENCE_PREFIX = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd]);
export const FENCE_VERSION_ATTRIBUTE = 'schemaVersion';
