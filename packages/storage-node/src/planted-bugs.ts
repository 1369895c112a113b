/**
 * Bugs planted on purpose, for the simulator's proof that its checks catch them (issue 12): set
 * only by `@triad/sim` through `StorageNodeConfig.plantedBugs`; a real process never sets them
 * (main.ts does not read them), so each is one branch that production code never takes.
 */
export interface PlantedBugs {
  /** A follower acknowledges an Append once its entries are written, before they are synced. */
  followerAckBeforeSync?: boolean;
  /**
   * Issue 11, failure 3: a partition move's leader adopts the switched layout after pushing it to
   * the other nodes for at most SWITCH_PUSH_WAIT_MS, whatever they answered, instead of committing
   * the switch through the partition's log (`PartitionMover.switchOver`).
   */
  moveSwitchWithoutLog?: boolean;
  /**
   * Issue 11, failure 4: a leader admits a write that carries an older index list than the
   * table's fence in the partition (`IndexFences.decide` does not refuse it).
   */
  staleIndexListAdmitted?: boolean;
}
