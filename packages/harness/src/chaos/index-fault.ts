/**
 * The add-index fault: UpdateTable adds a global secondary index while one of two routers cannot
 * reach the system partition (the catalog), so it cannot refresh its catalog and keeps writing the
 * table with the index list it had. The global index workload's clients write through both
 * routers the whole time; check (e) then compares every index with its table. A router must not be
 * able to leave an item out of an index it does not know of: leaders refuse a write that carries
 * an older index list (issue 11, item 5), or the index misses what that router wrote.
 *
 * One fault: (1) if ADDED_INDEXES_MAX added indexes are there, the oldest is deleted first, with
 * the network whole; (2) the second router is cut off from the system partition; (3) UpdateTable
 * through the first router adds an index, and the fault waits until it is ACTIVE; (4) the second
 * router stays cut off for the fault's duration more, writing; (5) healed.
 */
import type { LocalCluster } from '../local-cluster/local-cluster';
import { nowMs, sleepUnless } from './clock';
import type { ClusterProbe } from './cluster-probe';
import type { FaultRecord, FaultScenario, FaultSpec } from './faults';
import type { GlobalIndexWorkload } from './global-index-workload';
import type { NetworkFaults } from './network-faults';

/** Indexes this fault keeps on the table at most (DynamoDB allows 20; each one makes every write and the final check costlier). */
export const ADDED_INDEXES_MAX = 2;
/** The fault files take this long to be read by every process (they poll every 100 ms). */
const FAULT_FILE_SETTLE_MS = 250;

export interface AddIndexInit {
  cluster: LocalCluster;
  probe: ClusterProbe;
  network: NetworkFaults;
  indexWorkload: GlobalIndexWorkload;
}

export class AddIndexScenario implements FaultScenario {
  constructor(private readonly c: AddIndexInit) {}

  /** Needs a second router (the one cut off); the first stays whole and runs UpdateTable. */
  async plan(_rng: unknown, durationMs: number): Promise<FaultSpec | undefined> {
    if (this.c.cluster.routers.length < 2) return undefined;
    return { kind: 'add-index', durationMs, scenario: { router: this.c.cluster.routers[1].id } };
  }

  describe(spec: FaultSpec): string {
    return `cut ${String(spec.scenario?.router)} off from the system partition (catalog), add a global index through the other router, heal`;
  }

  /** No storage node is out: it is the cut-off router's clients that may see failures. */
  nodes(): string[] {
    return [];
  }

  async run(spec: FaultSpec, record: FaultRecord, stopped: () => boolean, log: (line: string) => void): Promise<void> {
    const { network, indexWorkload, probe } = this.c;
    const router = String(spec.scenario!.router);
    const note = (line: string) => {
      (record.notes ??= []).push(line);
      log(`fault ${record.id}: ${line}`);
    };
    while (indexWorkload.addedIndexes.length >= ADDED_INDEXES_MAX) {
      const oldest = indexWorkload.addedIndexes[0];
      const started = nowMs();
      await indexWorkload.deleteIndex(oldest);
      note(`deleted index ${oldest} first (${Math.round(nowMs() - started)} ms), the network whole`);
    }
    network.cutFromPartitions([router], [probe.ring.systemPartition]);
    await sleepUnless(FAULT_FILE_SETTLE_MS, () => false);
    record.startMs = nowMs();
    const { name, activeAfterMs } = await indexWorkload.createIndex();
    note(`index ${name} ACTIVE ${Math.round(activeAfterMs)} ms after UpdateTable, while ${router} could not read the catalog`);
    await sleepUnless(spec.durationMs, stopped);
    network.heal();
  }

  async heal(): Promise<void> {
    // The network is healed with the rest; an index left CREATING is the check's to judge.
  }
}
