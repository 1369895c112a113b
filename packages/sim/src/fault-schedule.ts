import { sleep, type Prng, type SimulatedEnvironment } from '@triad/runtime';
import { LinkCuts, composeFaults, type FaultHook } from './network-faults';
import type { SimCluster } from './sim-cluster';
import { learnerPartitions } from './cluster-checks';
import { FAULT_CLOCK_DRIFT_RATE_MAX, FAULT_CLOCK_STEP_MS_MAX } from './limits';

/** The faults a schedule injects. */
export type FaultKind = 'crash' | 'power-loss' | 'stop' | 'wipe' | 'partition' | 'one-way' | 'lossy' | 'clock-step' | 'clock-drift' | 'transfer' | 'wipe-lagging';

export const FAULT_KINDS: readonly FaultKind[] = ['crash', 'power-loss', 'stop', 'wipe', 'partition', 'one-way', 'lossy', 'clock-step', 'clock-drift', 'transfer', 'wipe-lagging'];

/** One line of the schedule's trace. */
export interface FaultEvent {
  atMs: number;
  kind: FaultKind | 'heal' | 'restart' | 'skip';
  what: string;
}

/**
 * A seeded fault schedule for a run: one fault at a time (crash with a seeded number of unsynced
 * log records kept, a power loss of every node, a graceful stop, a wiped disk, a partition of a
 * random shape, one-way cuts, a lossy network, a wall-clock step, a new drift at restart, a drain
 * that transfers a node's leaderships away, and a composed fault: a lagging replica, then a kill
 * and a wipe of the other two at once), held for a while and then healed, with a pause between faults. It keeps at most one replica's disk
 * lost at a time: a wipe waits until every node runs and none is a learner any more.
 */
/** How a schedule paces its faults; a short seed (the ones `npm test` runs) has one fault, early and briefly held. */
export interface FaultScheduleOptions {
  /** Faults injected at most (then the schedule only waits to be stopped). @default unbounded */
  faultsMax?: number;
  /** The wait before the first fault, uniform in [min, max] ms. @default [200, 1500], as between faults */
  firstFaultMs?: readonly [number, number];
  /** Every hold (how long a fault lasts, and the gaps of a staged one) is multiplied by this. @default 1 */
  holdScale?: number;
  /**
   * While this says true, no new fault starts (the one in force, if any, runs its course): a side
   * scenario's fault is in force (a split around a move), and one fault at a time holds for it too.
   * @default never
   */
  quietWhile?: () => boolean;
}

/** How often a schedule kept quiet by `quietWhile` looks again. */
const QUIET_POLL_MS = 100;

export class FaultSchedule {
  readonly events: FaultEvent[] = [];
  readonly counts = new Map<FaultKind, number>();
  private cuts = new LinkCuts();
  private lossy?: FaultHook;
  private stopped = false;

  constructor(
    private readonly cluster: SimCluster,
    private readonly prng: Prng,
    private readonly env: SimulatedEnvironment,
    /** Processes a partition may separate: storage nodes and routers (nodes added later, to join, are taken in too). */
    private readonly processes: readonly string[],
    private readonly options: FaultScheduleOptions = {},
  ) {
    cluster.network.setFaults(composeFaults(this.cuts.hook, (message, random) => this.lossy?.(message, random)));
  }

  private log(kind: FaultEvent['kind'], what: string): void {
    this.events.push({ atMs: this.cluster.simulator.nowMs, kind, what });
  }

  private count(kind: FaultKind): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  /** Injects faults until `stop` is called (then heals what is still broken and restarts every node). */
  async run(): Promise<void> {
    const [firstMin, firstMax] = this.options.firstFaultMs ?? [200, 1_500];
    for (let injected = 0; !this.stopped && injected < (this.options.faultsMax ?? Infinity); injected++) {
      await sleep(this.env, injected === 0 ? this.prng.real(firstMin, firstMax) : this.prng.real(200, 1_500));
      while (!this.stopped && this.options.quietWhile?.()) await sleep(this.env, QUIET_POLL_MS);
      if (this.stopped) break;
      await this.inject(this.prng.pick(FAULT_KINDS));
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private storageIds(): string[] {
    return [...this.cluster.nodes.keys()];
  }

  /** The processes a partition may separate: the ones given, then every node added since (one joining or joined). */
  private partitionable(): string[] {
    return [...new Set([...this.processes, ...this.storageIds()])];
  }

  private running(): string[] {
    return this.storageIds().filter((id) => this.cluster.node(id).process?.node);
  }

  /** Holds a fault for a seeded while. */
  private hold(minMs: number, maxMs: number): Promise<void> {
    return sleep(this.env, this.prng.real(minMs, maxMs) * (this.options.holdScale ?? 1));
  }

  private async inject(kind: FaultKind): Promise<void> {
    const ids = this.storageIds();
    switch (kind) {
      case 'crash': {
        const id = this.prng.pick(this.running());
        if (!id) return;
        // A process crash keeps every record the OS has; a power loss keeps a seeded prefix of the unsynced ones.
        const unsynced = this.cluster.node(id).disk.unsyncedRecords;
        const kept = this.prng.chance(0.5) ? Infinity : this.prng.int(0, unsynced);
        this.count(kind);
        this.log(kind, `${id} (unsynced log records ${unsynced}, kept ${kept})`);
        this.cluster.crashNode(id, kept);
        await this.hold(300, 3_000);
        await this.restart([id]);
        return;
      }
      case 'power-loss': {
        // Every node loses power at once: what was acknowledged was synced on a majority, so nothing acknowledged may go.
        const victims = this.running();
        if (victims.length === 0) return;
        this.count(kind);
        for (const id of victims) {
          const unsynced = this.cluster.node(id).disk.unsyncedRecords;
          const kept = this.prng.chance(0.5) ? 0 : this.prng.int(0, unsynced);
          this.log(kind, `${id} (unsynced log records ${unsynced}, kept ${kept})`);
          this.cluster.crashNode(id, kept);
        }
        await this.hold(200, 3_000);
        // Power comes back node by node, in a seeded order: the first two may elect a leader before the third is up.
        const restarted: Promise<void>[] = [];
        for (const id of this.prng.shuffle([...victims])) {
          restarted.push(this.restart([id]));
          await this.hold(500, 5_000);
        }
        await Promise.all(restarted);
        return;
      }
      case 'stop': {
        const id = this.prng.pick(this.running());
        if (!id) return;
        this.count(kind);
        this.log(kind, `${id} (graceful)`);
        await this.cluster.stopProcess(id);
        await this.hold(200, 3_000);
        await this.restart([id]);
        return;
      }
      case 'wipe': {
        // One replica's disk lost at a time: only when all run and none still catches up as a learner.
        if (!(await this.mayWipe())) {
          this.log('skip', 'wipe: a node is down or still a learner');
          return;
        }
        const id = this.prng.pick(ids);
        this.count(kind);
        this.log(kind, id);
        this.cluster.wipeNode(id);
        await this.hold(200, 3_000);
        await this.restart([id]);
        return;
      }
      case 'partition': {
        // A random split of storage nodes and routers into two sides (each process on a random side), silent or refusing.
        const sides: [string[], string[]] = [[], []];
        for (const p of this.partitionable()) sides[this.prng.int(0, 1)]!.push(p);
        if (sides[0].length === 0 || sides[1].length === 0) return this.inject('one-way');
        const mode = this.prng.chance(0.7) ? 'drop' : 'refuse';
        this.count(kind);
        this.log(kind, `${sides[0].join(',')} | ${sides[1].join(',')} (${mode})`);
        this.cuts.split(sides, mode);
        await this.hold(500, 4_000);
        this.heal();
        return;
      }
      case 'one-way': {
        const links = this.prng.int(1, 3);
        const cut: string[] = [];
        for (let i = 0; i < links; i++) {
          const from = this.prng.pick(this.partitionable());
          const to = this.prng.pick(this.partitionable().filter((p) => p !== from));
          this.cuts.cutOneWay(from, to);
          cut.push(`${from}->${to}`);
        }
        this.count(kind);
        this.log(kind, cut.join(' '));
        await this.hold(500, 4_000);
        this.heal();
        return;
      }
      case 'lossy': {
        const drop = this.prng.real(0, 0.1);
        const duplicate = this.prng.real(0, 0.05);
        const hold = this.prng.real(0, 0.02);
        const slow = this.prng.real(0, 0.2);
        const delayMsMax = this.prng.real(5, 500);
        this.lossy = (message, random) => {
          const r = random();
          if (r < drop) return { kind: 'drop' };
          // Only between storage nodes: a client's request that runs twice is a retry, which the
          // client counts as of unknown outcome; gRPC on one connection never delivers a call twice,
          // so a duplicated router call would be a fault no real network makes (an ADD applied twice).
          if (r < drop + duplicate) return this.cluster.nodes.has(message.from) && this.cluster.nodes.has(message.to) ? { kind: 'duplicate' } : undefined;
          if (r < drop + duplicate + hold) return { kind: 'hold' };
          if (r < drop + duplicate + hold + slow) return { kind: 'deliver', delayMs: random() * delayMsMax };
          return undefined;
        };
        this.count(kind);
        this.log(kind, `drop ${drop.toFixed(3)} duplicate ${duplicate.toFixed(3)} hold ${hold.toFixed(3)} slow ${slow.toFixed(3)} up to ${delayMsMax.toFixed(0)} ms`);
        await this.hold(1_000, 5_000);
        this.heal();
        return;
      }
      case 'transfer': {
        // Drains (`triad drain`) of seeded nodes one after another: each hands its leaderships over
        // (leadership transfers under load, with writes in flight) and sends requests elsewhere,
        // then serves again; leaderships move back as balancing prefers them.
        const rounds = this.prng.int(1, 4);
        this.count(kind);
        for (let round = 0; round < rounds && !this.stopped; round++) {
          const id = this.prng.pick(this.running());
          if (!id) return;
          this.log(kind, `${id} drains (its leaderships move away)`);
          await this.drain(id, true);
          await this.hold(300, 2_000);
          this.log('heal', `${id} serves again`);
          await this.drain(id, false);
          await this.hold(100, 1_000);
        }
        return;
      }
      case 'wipe-lagging': {
        // Composed, without waiting for health in between (issue 11): one replica lags, cut off
        // while writes commit on the other two; then one of those is killed and the other loses
        // its disk at once, and the lagging one comes back. Committed entries live only on the
        // killed node's disk: the lagging replica and the wiped one must not elect a leader
        // between them (the wiped node is a learner until it has caught up).
        if (!(await this.mayWipe())) {
          this.log('skip', 'wipe-lagging: a node is down or still a learner');
          return;
        }
        const [lagging, killed, wiped] = this.prng.shuffle([...ids]) as [string, string, string];
        this.count(kind);
        this.log(kind, `${lagging} lags (cut off), then ${killed} killed and ${wiped} wiped at once`);
        this.cuts.isolate(lagging, this.partitionable().filter((p) => p !== lagging));
        await this.hold(500, 4_000);
        if (this.cluster.node(killed).process) this.cluster.crashNode(killed);
        this.cluster.wipeNode(wiped);
        this.heal();
        // The killed node's supervisor does not wait for the wiped one to be ready: a node without
        // data may wait for the killed one's answer before it decides (node-identity.ts).
        const wipedBack = this.restart([wiped]);
        wipedBack.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
        await this.hold(500, 5_000);
        await Promise.all([wipedBack, this.restart([killed])]);
        return;
      }
      case 'clock-step': {
        const id = this.prng.pick(this.running());
        if (!id) return;
        const offsetMs = Math.round(this.prng.real(-FAULT_CLOCK_STEP_MS_MAX, FAULT_CLOCK_STEP_MS_MAX));
        this.count(kind);
        this.log(kind, `${id} wall clock offset now ${offsetMs} ms`);
        this.cluster.node(id).process!.env.setOffsetMs(offsetMs);
        this.cluster.nodeClocks.set(id, { ...this.cluster.nodeClocks.get(id), offsetMs });
        return;
      }
      case 'clock-drift': {
        // Drift is a property of a process's clock from its start: it takes effect at the node's next restart.
        const id = this.prng.pick(ids);
        const driftRate = this.prng.real(-FAULT_CLOCK_DRIFT_RATE_MAX, FAULT_CLOCK_DRIFT_RATE_MAX);
        this.count(kind);
        this.log(kind, `${id} drift ${(driftRate * 1e6).toFixed(0)} ppm from its next start`);
        this.cluster.nodeClocks.set(id, { ...this.cluster.nodeClocks.get(id), driftRate });
        return;
      }
    }
  }

  /** Every node runs and none is a learner still catching up: a disk may be lost now. */
  private async mayWipe(): Promise<boolean> {
    return this.running().length === this.storageIds().length && (await learnerPartitions(this.cluster)) === 0;
  }

  /** An operator's call to a node (`triad drain`); a node that died meanwhile just fails it. */
  private async drain(id: string, draining: boolean): Promise<void> {
    const probe = this.cluster.probe(id);
    try {
      await probe.drain({ draining });
    } catch {
      // down, or cut off: the schedule goes on
    } finally {
      probe.close();
    }
  }

  /** Restarts stopped nodes (in the order given), together. */
  private async restart(ids: readonly string[]): Promise<void> {
    const down = ids.filter((id) => !this.cluster.node(id).process);
    if (down.length === 0) return;
    this.log('restart', down.join(','));
    await Promise.all(down.map((id) => this.cluster.openNode(id)));
  }

  /** Heals every link and rate. */
  heal(): void {
    this.cuts.heal();
    this.lossy = undefined;
    this.log('heal', 'network');
  }

  /** The end of a run: the network healed, every node running. */
  async healAll(): Promise<void> {
    this.heal();
    await this.restart(this.storageIds());
  }
}
