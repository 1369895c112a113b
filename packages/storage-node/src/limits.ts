/**
 * Bounds of the storage node's write path, named with units last. Each says why.
 */

/**
 * Operations queued on one item's lock at a leader. A read-modify-write holds the lock only to
 * decide and append to the log (microseconds), so a long queue means more clients on one key than
 * it can serve within their deadlines: past this, new ones are refused with ThrottlingException
 * before anything is applied, rather than waiting past the router's deadline and being answered
 * "unknown" after their write took effect.
 */
export const KEY_OPERATIONS_QUEUED_MAX = 512;

/**
 * How long a leader waits for its proposed write to be applied before answering that the outcome
 * is unknown (retriable). Below the router's deadline for a write call (5 s), so that the router
 * gets the leader's answer rather than its own timeout.
 */
export const WRITE_APPLY_WAIT_MS_MAX = 4_000;
