import { InvalidConfigError } from './errors';
import { CLOCK_RATE_DRIFT_MAX } from './limits';

/**
 * Leaders send one coalesced heartbeat to each peer this often. Nine rounds per lease keep the
 * lease renewed through several lost rounds, and at 10 messages/s per pair of nodes the cost is
 * negligible whatever the number of partitions.
 */
export const HEARTBEAT_INTERVAL_MS = 100;

/**
 * A follower that has not heard its leader for a random time in [min, max] campaigns. The minimum
 * is ten heartbeats, so a few lost rounds never start an election; it also bounds the lease.
 */
export const ELECTION_TIMEOUT_MIN_MS = 1000;

/**
 * Randomising over a whole extra second makes two replicas timing out together (a split vote)
 * rare, at the price of a slower worst-case failover.
 */
export const ELECTION_TIMEOUT_MAX_MS = 2000;

/**
 * A leader's lease lasts this long from the send time of a heartbeat round a majority acked. It
 * must end before any follower that acked the round can vote for someone else, which happens no
 * sooner than the minimum election timeout after it received the round: lease + drift margin
 * <= minimum election timeout.
 */
export const LEASE_DURATION_MS = 900;

/**
 * Safety margin for clocks that run at slightly different rates (1% over a lease is 18 ms) and
 * for the delay between the driver checking the lease and answering. A new leader waits
 * lease + margin before serving.
 */
export const CLOCK_DRIFT_MARGIN_MS = 100;

/**
 * Leader balancing waits this long before handing a partition back to its preferred replica: the
 * current leader must have led this long, and the preferred replica must have acked heartbeats
 * without a gap this long. A replica that flaps therefore never pulls leadership back and forth.
 */
export const BALANCE_HOLD_MS = 3000;

/**
 * Leadership transfers a node starts per heartbeat round (for balance or drain): a returning node
 * gets its partitions back at 80/s by default, instead of one burst of elections.
 */
export const BALANCE_TRANSFERS_PER_ROUND_MAX = 8;

/** Tunables of the election state machine. Every duration is in the caller's milliseconds. */
export interface ElectionConfig {
  /** Interval between two heartbeat rounds of a node. Default {@link HEARTBEAT_INTERVAL_MS}. */
  heartbeatIntervalMs: number;
  /** Lower bound of the randomised election timeout. Default {@link ELECTION_TIMEOUT_MIN_MS}. */
  electionTimeoutMinMs: number;
  /** Upper bound of the randomised election timeout. Default {@link ELECTION_TIMEOUT_MAX_MS}. */
  electionTimeoutMaxMs: number;
  /** Lease length from a majority-acked round's send time. Default {@link LEASE_DURATION_MS}. */
  leaseDurationMs: number;
  /** Margin for clock drift and pauses. Default {@link CLOCK_DRIFT_MARGIN_MS}. */
  clockDriftMarginMs: number;
  /** Stability required before returning leadership to the preferred replica. Default {@link BALANCE_HOLD_MS}. */
  balanceHoldMs: number;
  /** Transfers started per heartbeat round; 0 disables balancing and drain. Default {@link BALANCE_TRANSFERS_PER_ROUND_MAX}. */
  balanceTransfersPerRoundMax: number;
  /**
   * Draw each replica's election timeout from the slice of [min, max] of its rank in the replica
   * set, so that the preferred replica usually wins the first election and no balance transfer
   * follows it. Default true.
   */
  rankedElectionTimeouts: boolean;
}

export const DEFAULT_ELECTION_CONFIG: Readonly<ElectionConfig> = Object.freeze({
  heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
  electionTimeoutMinMs: ELECTION_TIMEOUT_MIN_MS,
  electionTimeoutMaxMs: ELECTION_TIMEOUT_MAX_MS,
  leaseDurationMs: LEASE_DURATION_MS,
  clockDriftMarginMs: CLOCK_DRIFT_MARGIN_MS,
  balanceHoldMs: BALANCE_HOLD_MS,
  balanceTransfersPerRoundMax: BALANCE_TRANSFERS_PER_ROUND_MAX,
  rankedElectionTimeouts: true,
});

/**
 * Fills in defaults and refuses combinations that would break lease safety or liveness. Throws
 * {@link InvalidConfigError} (an operator mistake, not a programmer error).
 */
export function resolveElectionConfig(options: Partial<ElectionConfig> = {}): Readonly<ElectionConfig> {
  const config: ElectionConfig = { ...DEFAULT_ELECTION_CONFIG };
  for (const [key, value] of Object.entries(options) as [keyof ElectionConfig, unknown][]) {
    if (!(key in DEFAULT_ELECTION_CONFIG)) throw new InvalidConfigError(`unknown election option ${key}`);
    if (value === undefined) continue;
    if (key === 'rankedElectionTimeouts') {
      if (typeof value !== 'boolean') throw new InvalidConfigError(`${key} must be a boolean, got ${String(value)}`);
      config[key] = value;
      continue;
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new InvalidConfigError(`${key} must be a non-negative integer, got ${String(value)}`);
    }
    config[key] = value;
  }
  const { heartbeatIntervalMs, electionTimeoutMinMs, electionTimeoutMaxMs, leaseDurationMs, clockDriftMarginMs } = config;
  if (heartbeatIntervalMs <= 0) throw new InvalidConfigError('heartbeatIntervalMs must be positive');
  if (electionTimeoutMinMs > electionTimeoutMaxMs) {
    throw new InvalidConfigError(`electionTimeoutMinMs (${electionTimeoutMinMs}) exceeds electionTimeoutMaxMs (${electionTimeoutMaxMs})`);
  }
  // A lease must be renewable: at least three rounds fit in it, so one lost round does not end it.
  if (heartbeatIntervalMs * 3 > leaseDurationMs) {
    throw new InvalidConfigError(`leaseDurationMs (${leaseDurationMs}) must hold at least three heartbeat intervals (${heartbeatIntervalMs})`);
  }
  // The lease ends before any follower that granted it may vote again (leader stickiness).
  if (leaseDurationMs + clockDriftMarginMs > electionTimeoutMinMs) {
    throw new InvalidConfigError(
      `leaseDurationMs + clockDriftMarginMs (${leaseDurationMs + clockDriftMarginMs}) must not exceed electionTimeoutMinMs (${electionTimeoutMinMs})`,
    );
  }
  const driftMs = Math.ceil(leaseDurationMs * CLOCK_RATE_DRIFT_MAX * 2);
  if (clockDriftMarginMs < driftMs) {
    throw new InvalidConfigError(`clockDriftMarginMs (${clockDriftMarginMs}) must cover clock drift over a lease (${driftMs})`);
  }
  return Object.freeze(config);
}
