/**
 * The error name (in OpResult.error_name) and gRPC details prefix ("NotLeader:<leader hint>") a
 * storage node answers with when it does not lead a partition; routers retry at the hinted leader.
 */
export const NOT_LEADER = 'NotLeader';

/**
 * Test-only broken mode (TRIAD_UNSAFE_FOLLOWER_READS=1 in every process): strong reads are routed
 * to and served by any replica, without leadership or lease, so that the chaos checker can be shown
 * to catch the stale reads this allows. Never set it elsewhere.
 */
export const UNSAFE_FOLLOWER_READS = process.env.TRIAD_UNSAFE_FOLLOWER_READS === '1';
