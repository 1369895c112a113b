/** Bounds of the simulator package, with why. */

/**
 * Lines a `SimNetwork` keeps in its trace (the newest): enough for the events that led to a
 * failure in a short run, bounded so that a long run does not grow without end.
 */
export const TRACE_LINES_MAX = 200_000;

/**
 * The default one-way latency between two simulated processes, uniform in [min, max] ms: a
 * loopback or same-zone hop. Wider spreads (and reordering of unary calls) come from the fault hook.
 */
export const LINK_LATENCY_MS_MIN = 0.1;
export const LINK_LATENCY_MS_MAX = 2;

/** A simulated client stops waiting for a call after this long (an SDK's request timeout); the call may still apply. */
export const CLIENT_CALL_TIMEOUT_MS = 10_000;

/** A simulated client waits up to this long between two calls (uniform): calls of several clients overlap. */
export const CLIENT_THINK_MS_MAX = 150;

/** How often the leadership monitor looks at every node's serving leaderships (simulated ms). */
export const LEADER_SAMPLE_INTERVAL_MS = 50;

/** After healing, how long the cluster has to settle (leaders, learners promoted, replicas converged, hints drained). */
export const SETTLE_SIMULATED_MS_MAX = 120_000;

/** Attempts of a check's own read before the check gives up (the cluster has settled by then). */
export const CHECK_READ_ATTEMPTS_MAX = 20;

/** A run's whole simulated time beyond this is stuck, not slow. */
export const RUN_SIMULATED_MS_MAX = 3_600_000;

/** Violations the leadership monitor keeps (the first ones): enough to see what went wrong, bounded for a broken run. */
export const VIOLATIONS_KEPT_MAX = 20;

/** A wall-clock step the schedule makes: beyond this it would be an operator's mistake, not NTP; leases use the monotonic clock anyway. */
export const FAULT_CLOCK_STEP_MS_MAX = 3_000;

/** A clock's drift the schedule gives a node (±): within what the lease margin (150 ms of a 1.2 s lease) covers between two nodes. */
export const FAULT_CLOCK_DRIFT_RATE_MAX = 5e-4;

/**
 * A short seed's one fault comes this soon after the workload starts (uniform in [min, max] ms):
 * its few operations per client end within a second or two, and the fault must meet them.
 */
export const SHORT_SEED_FIRST_FAULT_MS: readonly [number, number] = [0, 400];

/** A short seed holds its fault for this fraction of a long run's hold: still past an election timeout at most, at half the simulated time. */
export const SHORT_SEED_HOLD_SCALE = 0.5;

/** Joins and decommissions (membership-changes.ts): a change not over within this long (simulated) is stuck. */
export const CHANGE_FINISH_SIMULATED_MS_MAX = 600_000;

/**
 * A split around a move goes up at the first of its configuration entries that change the voters
 * (the promotion, or a swap) with this chance, else at the second (the removal): both meet a split.
 */
export const MOVE_SPLIT_FIRST_CHANGE_PROBABILITY = 0.7;

/**
 * With this chance the split goes up as the leader sends its first message after appending the
 * entry (the entry reaches the leader's side only); otherwise a seeded while later, up to
 * MOVE_SPLIT_CHANGE_DELAY_MS_MAX: two link latencies at most, so the entry may or may not have
 * crossed (and may or may not have committed) — the window an entry is in flight is what is searched.
 */
export const MOVE_SPLIT_AT_APPEND_PROBABILITY = 0.5;
export const MOVE_SPLIT_CHANGE_DELAY_MS_MAX = 2 * LINK_LATENCY_MS_MAX;

/** A split around a move armed for the leader's push across it goes up anyway after this long (the move may have been run elsewhere). */
export const MOVE_SPLIT_PUSH_WAIT_MS = 10_000;

/** A split around a move is held for a seeded while in [min, max]: beyond an election timeout, so that the far side may elect. */
export const MOVE_SPLIT_HELD_MS_MIN = 1_500;
export const MOVE_SPLIT_HELD_MS_MAX = 6_000;

/** Keys of the index workload's table (index-workload.ts): few, so that writes with an old index list meet items the index holds. */
export const INDEX_KEYS = 24;

/** A global index not ACTIVE this long after UpdateTable (or after healing) is stuck; also how long the check lets its entries settle. */
export const INDEX_ACTIVE_SIMULATED_MS_MAX = 120_000;

/** The router cut off from the catalog stays cut a seeded while in [min, max] after its index is ACTIVE, writing with its old index list. */
export const INDEX_CUT_HELD_MS_MIN = 1_000;
export const INDEX_CUT_HELD_MS_MAX = 8_000;

/** Items written once before the joins and decommissions and read back after them: a few per partition, cheap to stream. */
export const MOVED_ITEMS = 48;

/** Attempts of a scenario's setup write after retriable errors (an SDK's default is 3 to 10): a crash at a failed sync may strike during setup. */
export const SETUP_ATTEMPTS_MAX = 10;
