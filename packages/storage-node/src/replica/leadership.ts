/**
 * What the global index propagator and admin operations ask of leadership. The replica driver
 * implements it.
 */
export interface Leadership {
  /** Whether this node may serve writes and strong reads of the partition now (leader, caught up, within its lease). */
  isServingLeader(partition: number): boolean;
  /** The node this one believes leads the partition, for redirecting a router. */
  leaderHint(partition: number): string | undefined;
  /** The partition's current term. */
  termOf(partition: number): number;
}
