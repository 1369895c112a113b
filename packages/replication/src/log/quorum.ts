import type { NodeId } from '../types';

/**
 * The highest index a majority of `voters` holds durably, given each one's match index (missing:
 * 0). With the three replicas of a partition that is the second highest of the three.
 */
export function majorityMatch(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  if (voters.length === 0) return 0;
  const matches = voters.map((id) => matchOf(id)).sort((a, b) => b - a);
  return matches[Math.floor(voters.length / 2)];
}
