/**
 * Bugs planted on purpose, for the simulator's proof that its checks catch them (issue 12): set
 * only by `@triad/sim` through `StorageNodeConfig.plantedBugs`; a real process never sets them
 * (main.ts does not read them), so each is one branch that production code never takes.
 */
export interface PlantedBugs {
  /** A follower acknowledges an Append once its entries are written, before they are synced. */
  followerAckBeforeSync?: boolean;
  /**
   * Issue 11's failure 1: a strong GetItem at the leader reads its own writes still in the log (the
   * proposal overlay, not yet committed), and strong Query and Scan skip the leadership and lease check.
   */
  strongReadsSeeUncommitted?: boolean;
  /**
   * Issue 11's failure 2: a leader's write appends with the term read after the await that follows
   * its leadership and lease check (`ReplicaNode`'s `plantedStaleTermAppends`), so a deposed leader
   * stamps the new term and sends the entry to followers, which take a same-term Append from it.
   */
  staleTermAppends?: boolean;
  /**
   * Issue 11's failure 5: a node whose disk was wiped rejoins at once, asking no peer, as a full voter
   * (no learner, generation 1 again) with term 0 and no vote: it may vote twice in a term and elect
   * a replica that lacks committed entries.
   */
  wipedNodeVotes?: boolean;
  /**
   * Issue 11, failure 3: a partition move's leader adopts the switched layout after pushing it to
   * the other nodes for at most SWITCH_PUSH_WAIT_MS, whatever they answered, instead of committing
   * the switch through the partition's log (`PartitionMover.switchOver`).
   */
  moveSwitchWithoutLog?: boolean;
  /**
   * Issue 11, failure 3, in the log's terms: a move switches its replica set in one configuration
   * entry (the incoming learner promoted and the leaving voter removed at once) instead of
   * single-server steps, so that the old set's majority and the new set's need not meet
   * (`nextConfigurationStep` and `ReplicaNode.proposeConfiguration` let the swap through).
   */
  moveSwapsVotersAtOnce?: boolean;
  /**
   * Issue 11, failure 4: a leader admits a write that carries an older index list than the
   * table's fence in the partition (`IndexFences.decide` does not refuse it).
   */
  staleIndexListAdmitted?: boolean;
}
