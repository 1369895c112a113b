import { INDIRECT_CHECKS_MAX, PIGGYBACK_UPDATES_MAX } from '../limits';

/**
 * SWIM tunables. Defaults follow hashicorp/memberlist's LAN profile, tightened for a cluster on one
 * network (data centre or Kubernetes) where a round trip is well under a millisecond.
 */
export interface SwimConfig {
  /**
   * One member is probed per period (round-robin over a shuffled list), so a failure is noticed
   * by each member within about N periods and by the first member well within one round.
   * @default 500 — memberlist's LAN profile uses 1 s; half of it detects faster on a LAN at
   * 2 small messages per member per period.
   */
  protocolPeriodMs: number;
  /**
   * How long the direct ping waits for its ack before asking k others to try (ping-req). Must be
   * below `protocolPeriodMs`: the rest of the period is the indirect probes' time.
   * @default 200 — hundreds of LAN round trips; leaves 300 ms for the two-hop indirect path.
   */
  pingTimeoutMs: number;
  /**
   * k: members asked to ping the target when the direct ping times out. More paths make a
   * false suspicion from one lossy link unlikely; each costs four small messages.
   * @default 3 — memberlist's IndirectChecks.
   */
  indirectChecks: number;
  /**
   * The suspicion timeout is `suspicionMult * max(1, log10(N)) * protocolPeriodMs`: a suspect has
   * that long to hear it is suspected and refute before it is declared dead. Scaling by log N
   * leaves time for the suspicion to spread in larger clusters.
   * @default 4 — memberlist's SuspicionMult (2 s for N ≤ 10 at the default period).
   */
  suspicionMult: number;
  /**
   * An update is piggy-backed `retransmitMult * ceil(log10(N + 1))` times, then dropped: enough for
   * infection-style dissemination to reach every member with high probability.
   * @default 4 — memberlist's RetransmitMult.
   */
  retransmitMult: number;
  /**
   * Updates carried by one ping or ack (at most PIGGYBACK_UPDATES_MAX).
   * @default 16 — gRPC has no datagram size to respect; this keeps a ping well under 4 KB.
   */
  piggybackUpdatesMax: number;
  /**
   * A full-state exchange with one random live member this often: anti-entropy for updates that
   * ran out of retransmits before reaching someone.
   * @default 30000 — memberlist's PushPullInterval.
   */
  pushPullIntervalMs: number;
  /**
   * A full-state exchange with one random dead member this often, so that a member that returns
   * (or the other side of a healed partition) is found even though dead members are not probed.
   * @default 5000 — Serf-style reconnect, faster than Serf's 30 s because dead nodes keep their
   * data placement and every second they look dead costs hinted handoff.
   */
  reconnectIntervalMs: number;
  /**
   * While no other live member is known, the seeds are asked again this often (a seed may start
   * after us, or all others may look dead after a partition).
   * @default 1000
   */
  joinRetryIntervalMs: number;
}

export const DEFAULT_SWIM_CONFIG: Readonly<SwimConfig> = Object.freeze({
  protocolPeriodMs: 500,
  pingTimeoutMs: 200,
  indirectChecks: 3,
  suspicionMult: 4,
  retransmitMult: 4,
  piggybackUpdatesMax: 16,
  pushPullIntervalMs: 30_000,
  reconnectIntervalMs: 5_000,
  joinRetryIntervalMs: 1_000,
});

/** Fills in defaults and checks the result; a bad configuration is a programmer error. */
export function resolveSwimConfig(partial: Partial<SwimConfig> = {}): SwimConfig {
  const config: SwimConfig = { ...DEFAULT_SWIM_CONFIG };
  for (const key of Object.keys(DEFAULT_SWIM_CONFIG) as (keyof SwimConfig)[]) {
    const value = partial[key];
    if (value !== undefined) config[key] = value;
  }
  for (const [key, value] of Object.entries(config)) {
    if (!Number.isFinite(value) || value < 0) throw new Error(`swim config ${key} must be a non-negative number, got ${value}`);
  }
  if (config.protocolPeriodMs <= 0) throw new Error('swim config protocolPeriodMs must be positive');
  if (config.pingTimeoutMs <= 0 || config.pingTimeoutMs >= config.protocolPeriodMs) {
    throw new Error('swim config pingTimeoutMs must be positive and below protocolPeriodMs');
  }
  if (config.indirectChecks > INDIRECT_CHECKS_MAX) throw new Error(`swim config indirectChecks must be at most ${INDIRECT_CHECKS_MAX}`);
  if (config.piggybackUpdatesMax < 1 || config.piggybackUpdatesMax > PIGGYBACK_UPDATES_MAX) {
    throw new Error(`swim config piggybackUpdatesMax must be 1..${PIGGYBACK_UPDATES_MAX}`);
  }
  if (config.retransmitMult < 1 || config.suspicionMult <= 0) throw new Error('swim config retransmitMult and suspicionMult must be positive');
  return config;
}

/** How many times an update is piggy-backed in a cluster of `memberCount` (memberlist's formula). */
export function retransmitLimit(config: SwimConfig, memberCount: number): number {
  return config.retransmitMult * Math.max(1, Math.ceil(Math.log10(memberCount + 1)));
}

/** How long a suspect has to refute, in a cluster of `memberCount` (memberlist's formula). */
export function suspicionTimeoutMs(config: SwimConfig, memberCount: number): number {
  return Math.round(config.suspicionMult * Math.max(1, Math.log10(Math.max(1, memberCount))) * config.protocolPeriodMs);
}
