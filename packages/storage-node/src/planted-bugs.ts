/**
 * Bugs planted on purpose, for the simulator's proof that its checks catch them (issue 12): set
 * only by `@triad/sim` through `StorageNodeConfig.plantedBugs`; a real process never sets them
 * (main.ts does not read them), so each is one branch that production code never takes.
 */
export interface PlantedBugs {
  /** A follower acknowledges an Append once its entries are written, before they are synced. */
  followerAckBeforeSync?: boolean;
}
