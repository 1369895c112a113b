import type { Prng, SimulatedEnvironment } from '@triad/runtime';
import { eventually } from './cluster-checks';
import { IndexWorkload } from './index-workload';
import { SETTLE_SIMULATED_MS_MAX } from './limits';
import { MembershipChanges, type ScenarioEvent } from './membership-changes';
import { misplacedRecords } from './placement-checks';
import type { SimCluster, SimRouter } from './sim-cluster';

/** Which scenarios run beside the register workload and the fault schedule. */
export interface SideScenarioOptions {
  /** Joins and decommissions with splits around moves (membership-changes.ts). */
  moves?: boolean;
  /** A global index added by UpdateTable with a router cut off from the catalog (index-workload.ts). */
  indexes?: boolean;
}

/**
 * The scenarios a seed may run beside the register workload (issue 12): joins and decommissions,
 * and a global index added while the table is written. Shaped as the run is: `setup` after the
 * workload's, `run` beside it and the fault schedule, `finish` once the schedule healed
 * everything (changes left run to their end), `check` with the run's other checks once the
 * cluster settled: every record on exactly its replicas per the final layout, every global index
 * equal to its table.
 */
export class SideScenarios {
  readonly changes?: MembershipChanges;
  readonly indexes?: IndexWorkload;

  constructor(
    private readonly cluster: SimCluster,
    prng: Prng,
    private readonly env: SimulatedEnvironment,
    options: SideScenarioOptions,
  ) {
    // Forks only for what runs, after the run's own: a seed without side scenarios runs as before.
    if (options.moves) this.changes = new MembershipChanges(cluster, prng.fork(), env);
    if (options.indexes) this.indexes = new IndexWorkload(cluster, prng.fork(), env);
  }

  get events(): ScenarioEvent[] {
    return [...(this.changes?.events ?? []), ...(this.indexes?.events ?? [])];
  }

  /** Counts by kind (joins, decommissions, moves, splits) for the report's faults. */
  get counts(): Record<string, number> {
    return Object.fromEntries(this.changes?.counts ?? []);
  }

  /** Whether a scenario's own fault is in force (a split around a move): the fault schedule starts none meanwhile. */
  faultInForce(): boolean {
    return this.changes?.splitUp() ?? false;
  }

  async setup(routers: readonly SimRouter[]): Promise<void> {
    await this.changes?.setup(routers[0]!);
    await this.indexes?.setup(routers[0]!);
  }

  async run(routers: readonly SimRouter[]): Promise<void> {
    await Promise.all([this.changes?.run(), this.indexes?.run(routers)]);
  }

  /** After healing: every change left runs to its end, the catalog cut ends. */
  async finish(failures: string[]): Promise<void> {
    this.indexes?.heal();
    if (this.changes && !(await this.changes.finish())) failures.push(`joins and decommissions not done after healing: ${this.changes.remaining()} left`);
  }

  async check(routers: readonly SimRouter[], failures: string[]): Promise<void> {
    if (this.changes) {
      let misplaced: string[] = [];
      // A node drops a partition it left at once, or at its next sweep (every 30 s) after a restart.
      const placed = await eventually(this.cluster, this.env, SETTLE_SIMULATED_MS_MAX, async () => (misplaced = await misplacedRecords(this.cluster)).length === 0, 1_000);
      if (!placed) for (const m of misplaced) failures.push(`placement: ${m}`);
      await this.changes.checkItems(routers[0]!, failures);
    }
    await this.indexes?.check(routers, failures);
  }
}
