import { layoutTransition, type Ring } from '@triad/ring';

/**
 * Where a node that lost its data replicates as a learner (no vote until its promotion commits):
 * every partition it replicates in its layout, those it holds and those moving to it. A move's log
 * may have made it a voter of a partition that is still moving to it (the layout switches last):
 * unmarked, it would take the log's word that it votes there with an empty log, and its loss would
 * go unseen (seed 8 of `--moves --indexes`: a wiped incoming voter was counted as caught up, a
 * second wipe followed, and the partition's four voters kept no majority that could vote). Pure.
 */
export function learnerPartitionsAfterDataLoss(ring: Ring, nodeId: string): number[] {
  const partitions: number[] = [];
  for (let p = 0; p <= ring.systemPartition; p++) if (ring.receives(nodeId, p)) partitions.push(p);
  return partitions;
}

/**
 * The learner marks a layout change ends: a mark belongs to the stay in which it was set. It goes
 * when the node leaves the partition, and when it comes to one it did not replicate (a mark found
 * then is left from an earlier stay, which no promotion will ever name); it stays when a partition
 * that was moving here becomes held (its promotion is still to come). Pure.
 */
export function learnerMarksEnded(before: Ring, after: Ring, nodeId: string): number[] {
  const transition = layoutTransition(before, after, nodeId);
  const arrived = transition.gained.filter((p) => !before.receives(nodeId, p));
  return [...new Set([...transition.dropped, ...transition.entered, ...arrived])];
}
