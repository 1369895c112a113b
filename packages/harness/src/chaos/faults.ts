/**
 * Fault injectors over a LocalCluster, one fault at a time: kill -9 and restart, graceful stops
 * (SIGTERM, drain) under load, SIGSTOP and SIGCONT (of a leader, or of a follower only), network
 * partitions and blackholes through per-process fault files (network-faults.ts), disk loss, clock
 * steps (clock-offsets.ts), composed faults that strike again before the cluster has recovered,
 * and scenario faults that need more than processes and the network (an index added while a
 * router is cut off, a join under a partition). Each fault is logged with its times on the run's
 * clock, so that the checks can relate client operations to it.
 */
import type { LocalCluster } from '../local-cluster/local-cluster';
import { nowMs, sleepUnless } from './clock';
import { STEP_OFFSET_MS_MAX, type ClockOffsets } from './clock-offsets';
import type { ClusterProbe } from './cluster-probe';
import type { NetworkFaults } from './network-faults';
import type { Prng } from './prng';

export type FaultKind =
  /** SIGKILL a storage node, restart it after the hold. */
  | 'kill'
  /** SIGSTOP a storage node (the one leading the most partitions), SIGCONT after the hold: a process that stops answering but keeps its connections and state, then resumes as if no time passed. */
  | 'pause'
  /** Cut every process of one zone (storage nodes and routers) off from every other process, both ways. */
  | 'partition-zone'
  /** Cut one storage node off from the other storage nodes, both ways, while routers still reach it (and it them): a replica that clients see but that misses replication. */
  | 'isolate-storage'
  /** SIGKILL a storage node, delete its data directory (disk lost), restart it empty after the hold. */
  | 'wipe'
  /** Hold every call to and from a storage node (the busiest leader) until its deadline: a node that runs but whose packets vanish; callers learn only by timing out. */
  | 'blackhole'
  /** Drain a storage node until it leads nothing, SIGSTOP it, SIGCONT and undrain after the hold: a follower that stops and lags, leaders unharmed. */
  | 'pause-follower'
  /** SIGTERM a storage node under load (graceful shutdown: it hands its leadership away first), restart it after the hold. */
  | 'sigterm'
  /** Drain a storage node under load (`triad drain`), SIGTERM it halfway through the hold, restart it at the end: a rolling restart's step. */
  | 'drain'
  /** SIGKILL a storage node and restart it after the hold with its clock stepped by seconds (TRIAD_CLOCK_OFFSET_MS). */
  | 'clock-jump'
  /** Composed, no wait for health in between: SIGKILL and wipe one node, restart it empty, and at once SIGKILL another; restart that one at the end. */
  | 'wipe-kill'
  /** Composed: pause a follower (as pause-follower), SIGKILL the busiest leader of the others while it lags, resume the follower, restart the leader last. */
  | 'pause-kill'
  /** Scenario: UpdateTable adds a global index while the second router cannot reach the catalog (index-fault.ts). */
  | 'add-index'
  /** Scenario: a fourth storage node joins (or, when it is in, is decommissioned) while a partition being moved is split {leader, incoming} | {staying, leaving} (membership-fault.ts). */
  | 'membership';

/** Every kind that needs only processes and the network. */
export const BASIC_FAULT_KINDS: readonly FaultKind[] = ['kill', 'pause', 'partition-zone', 'isolate-storage', 'wipe', 'blackhole', 'pause-follower', 'sigterm', 'drain', 'clock-jump', 'wipe-kill', 'pause-kill'];
/** Every kind. */
export const FAULT_KINDS: readonly FaultKind[] = [...BASIC_FAULT_KINDS, 'add-index', 'membership'];

export interface FaultSpec {
  kind: FaultKind;
  /** The storage node (every kind but partition-zone; the one paused or wiped in a composed fault). */
  node?: string;
  /** Composed faults: the node killed second. */
  other?: string;
  /** The zone (partition-zone). */
  zone?: string;
  /** clock-jump: the node's clock offset after the restart. */
  clockOffsetMs?: number;
  /** How long the fault lasts before it is healed. */
  durationMs: number;
  /** Why this target, for the log (e.g. "leads 6 partitions"). */
  note?: string;
  /** Scenario faults: what the scenario planned (targets, partitions). */
  scenario?: Record<string, unknown>;
}

export interface FaultRecord {
  id: number;
  kind: FaultKind;
  /** The storage nodes the fault takes out or cuts off: the partitions they replicate are the affected ones. */
  nodes: string[];
  /** The partitions with a replica among `nodes` when the fault began (the layout may change later). */
  partitions?: number[];
  zone?: string;
  description: string;
  /** Wall-clock time of the start, for matching with process logs. */
  wallClockStart: string;
  /** When the fault took effect (run clock, ms). */
  startMs: number;
  /** When healing finished: node restarted and answering, SIGCONT sent, partition lifted. */
  healedMs?: number;
  /** When the cluster was seen healthy after healing (undefined: not within the wait). */
  healthyMs?: number;
  /** What was still wrong when the wait for health gave up. */
  unhealthy?: string[];
  /** What the fault saw on its way (e.g. "still led 2 partitions when paused"), for the report. */
  notes?: string[];
  /** An error while injecting or healing. */
  error?: string;
}

/**
 * A fault that needs more than processes and the network — an admin operation or a schema change
 * under a partition. The injector asks it for targets, runs it, and heals it with the rest.
 */
export interface FaultScenario {
  /** Targets for a fault of this scenario, or undefined when it cannot run now (then another kind is picked). */
  plan(rng: Prng, durationMs: number): Promise<FaultSpec | undefined>;
  describe(spec: FaultSpec): string;
  /** The storage nodes it affects. */
  nodes(spec: FaultSpec): string[];
  /** Injects, holds for the duration, heals; sets record.startMs when the fault takes effect. */
  run(spec: FaultSpec, record: FaultRecord, stopped: () => boolean, log: (line: string) => void): Promise<void>;
  /** Puts back whatever it changed (healAll). */
  heal(): Promise<void>;
}

/** How long the cluster is given to be healthy again after a fault is healed. */
export const HEALTHY_WAIT_MS_DEFAULT = 30_000;
/** Pause between health polls. */
const HEALTH_POLL_MS = 250;
/** Delay after writing fault files before the fault counts as in effect: processes re-read them every 100 ms. */
const FAULT_FILE_SETTLE_MS = 250;

/** A follower-only pause drains the node first; it waits at most this long for its leadership to move. */
const DRAIN_WAIT_MS_MAX = 10_000;
/** A clock step is at least this large (smaller ones are within what NTP does every day). */
const CLOCK_STEP_MS_MIN = 2_000;

export interface FaultInjectorInit {
  cluster: LocalCluster;
  probe: ClusterProbe;
  network: NetworkFaults;
  /** The processes' clock offsets (clock-jump needs them). */
  clocks?: ClockOffsets;
  /** Scenario faults, by kind. */
  scenarios?: Partial<Record<FaultKind, FaultScenario>>;
  /** One line per event; default: none. */
  log?: (line: string) => void;
}

/**
 * Injects one fault at a time and heals it, recording each; `healAll` puts the whole cluster
 * back (every node running, answering and serving, no partition), whatever state a run left it in.
 */
export class FaultInjector {
  readonly records: FaultRecord[] = [];
  private readonly paused = new Set<string>();
  private readonly drained = new Set<string>();
  private readonly log: (line: string) => void;

  constructor(private readonly c: FaultInjectorInit) {
    this.log = c.log ?? (() => undefined);
  }

  /** Zones of storage nodes, in layout order. */
  get zones(): string[] {
    return [...new Set(this.c.probe.storageNodes.map((n) => n.zone))];
  }

  /** Whether faults of this kind can be injected into this cluster (scenarios need their parts). */
  supports(kind: FaultKind): boolean {
    if (kind === 'clock-jump') return this.c.clocks !== undefined;
    if (kind === 'add-index' || kind === 'membership') return this.c.scenarios?.[kind] !== undefined;
    return true;
  }

  /**
   * A fault of `kind` on a random target, or undefined when a scenario cannot run now. `pause` and
   * `blackhole` take the node that leads the most partitions; `partition-zone` avoids
   * `protectedZones` (the zones of the routers the clients use: cutting those off makes the
   * cluster unreachable from the clients by design, which says nothing about failover) unless no
   * other zone is left.
   */
  async randomFault(kind: FaultKind, rng: Prng, durationMs: number, protectedZones: readonly string[] = []): Promise<FaultSpec | undefined> {
    const nodes = this.c.probe.storageNodes.map((n) => n.id);
    const busiest = async (among: readonly string[] = nodes) => {
      const leader = await this.c.probe.busiestLeader((items) => rng.pick(items), among);
      return { node: leader.node, note: leader.partitionsLed !== undefined ? `leads ${leader.partitionsLed} partitions` : 'presumed leader' };
    };
    switch (kind) {
      case 'pause':
      case 'blackhole':
        return { kind, durationMs, ...(await busiest()) };
      case 'partition-zone': {
        const candidates = this.zones.filter((z) => !protectedZones.includes(z));
        return { kind, zone: rng.pick(candidates.length > 0 ? candidates : this.zones), durationMs };
      }
      case 'clock-jump': {
        const node = rng.pick(nodes);
        const step = rng.between(CLOCK_STEP_MS_MIN, STEP_OFFSET_MS_MAX) * (rng.next() < 0.5 ? -1 : 1);
        return { kind, node, durationMs, clockOffsetMs: (this.c.clocks?.get(node) ?? 0) + step };
      }
      case 'wipe-kill': {
        const node = rng.pick(nodes);
        return { kind, node, other: rng.pick(nodes.filter((n) => n !== node)), durationMs };
      }
      case 'pause-kill': {
        const node = rng.pick(nodes);
        const other = await busiest(nodes.filter((n) => n !== node));
        return { kind, node, other: other.node, durationMs, note: `${other.node} ${other.note}` };
      }
      case 'add-index':
      case 'membership': {
        const scenario = this.c.scenarios?.[kind];
        if (!scenario) throw new Error(`no ${kind} scenario in this run`);
        return scenario.plan(rng, durationMs);
      }
      default:
        return { kind, node: rng.pick(nodes), durationMs };
    }
  }

  private nodesOf(spec: FaultSpec): string[] {
    switch (spec.kind) {
      case 'partition-zone':
        return this.c.probe.storageNodes.filter((n) => n.zone === spec.zone).map((n) => n.id);
      case 'wipe-kill':
      case 'pause-kill':
        return [spec.node!, spec.other!];
      case 'add-index':
      case 'membership':
        return this.scenario(spec.kind).nodes(spec);
      default:
        return [spec.node!];
    }
  }

  private scenario(kind: FaultKind): FaultScenario {
    const scenario = this.c.scenarios?.[kind];
    if (!scenario) throw new Error(`no ${kind} scenario in this run`);
    return scenario;
  }

  describe(spec: FaultSpec): string {
    if (spec.kind === 'add-index' || spec.kind === 'membership') return this.scenario(spec.kind).describe(spec);
    return describeFault(spec);
  }

  /** Injects the fault, holds it for its duration (less if `stopped()` turns true), heals it. */
  async run(spec: FaultSpec, stopped: () => boolean = () => false): Promise<FaultRecord> {
    const { probe } = this.c;
    const nodes = this.nodesOf(spec);
    if (nodes.some((id) => !probe.ring.node(id))) throw new Error(`bad fault target ${JSON.stringify(spec)}`);
    const ring = probe.ring;
    const record: FaultRecord = {
      id: this.records.length + 1,
      kind: spec.kind,
      nodes,
      partitions: Array.from({ length: ring.partitionCount }, (_, p) => p).filter((p) => ring.replicaSet(p).some((n) => nodes.includes(n.id))),
      zone: spec.zone,
      description: this.describe(spec),
      wallClockStart: new Date().toISOString(),
      startMs: nowMs(),
    };
    this.records.push(record);
    this.log(`fault ${record.id}: ${record.description} for ${spec.durationMs} ms`);
    try {
      await this.inject(spec, record, stopped);
    } catch (error) {
      record.error = String(error);
      this.log(`fault ${record.id}: error ${record.error}`);
      await this.healAll().catch((e: unknown) => this.log(`heal after error failed: ${String(e)}`));
    }
    record.healedMs = nowMs();
    this.log(`fault ${record.id}: healed after ${Math.round(record.healedMs - record.startMs)} ms${record.notes ? ` (${record.notes.join('; ')})` : ''}`);
    return record;
  }

  private note(record: FaultRecord, line: string): void {
    (record.notes ??= []).push(line);
    this.log(`fault ${record.id}: ${line}`);
  }

  private async inject(spec: FaultSpec, record: FaultRecord, stopped: () => boolean): Promise<void> {
    const { cluster, network, probe } = this.c;
    const node = spec.node!;
    const hold = (ms: number) => sleepUnless(ms, stopped);
    switch (spec.kind) {
      case 'kill':
      case 'wipe':
        await cluster.signal(node, 'SIGKILL');
        record.startMs = nowMs();
        if (spec.kind === 'wipe') cluster.wipeNode(node);
        await hold(spec.durationMs);
        await cluster.startNode(node);
        return;
      case 'clock-jump':
        await cluster.signal(node, 'SIGKILL');
        record.startMs = nowMs();
        this.c.clocks!.set(node, spec.clockOffsetMs!);
        await hold(spec.durationMs);
        await cluster.startNode(node);
        return;
      case 'sigterm':
        record.startMs = nowMs();
        await cluster.signal(node, 'SIGTERM');
        this.note(record, `${node} exited ${Math.round(nowMs() - record.startMs)} ms after SIGTERM`);
        await hold(spec.durationMs);
        await cluster.startNode(node);
        return;
      case 'drain': {
        record.startMs = nowMs();
        const led = await this.drain(node);
        this.note(record, `${node} led ${led} partitions when told to drain`);
        await hold(spec.durationMs / 2);
        const stillLed = (await probe.nodeStatus(node))?.partitionsLed.length;
        const stopping = nowMs();
        await cluster.signal(node, 'SIGTERM');
        this.drained.delete(node);
        this.note(record, `${node} still led ${stillLed ?? '?'} partitions at SIGTERM, exited after ${Math.round(nowMs() - stopping)} ms`);
        await hold(spec.durationMs / 2);
        await cluster.startNode(node);
        return;
      }
      case 'pause':
        this.paused.add(node);
        await cluster.signal(node, 'SIGSTOP');
        record.startMs = nowMs();
        await hold(spec.durationMs);
        await cluster.signal(node, 'SIGCONT');
        this.paused.delete(node);
        return;
      case 'pause-follower':
        record.startMs = nowMs();
        await this.pauseAsFollower(node, record);
        await hold(spec.durationMs);
        await this.resume(node);
        return;
      case 'partition-zone': {
        const group = probe.processes.filter((p) => p.zone === spec.zone).map((p) => p.id);
        network.cutOff(group);
        record.startMs = nowMs() + FAULT_FILE_SETTLE_MS / 2;
        await hold(spec.durationMs);
        network.heal();
        return;
      }
      case 'isolate-storage':
        network.isolateStorage(node);
        record.startMs = nowMs() + FAULT_FILE_SETTLE_MS / 2;
        await hold(spec.durationMs);
        network.heal();
        return;
      case 'blackhole':
        network.blackhole(node);
        record.startMs = nowMs() + FAULT_FILE_SETTLE_MS / 2;
        await hold(spec.durationMs);
        network.heal();
        return;
      case 'wipe-kill': {
        // The wiped node comes back empty, and before anyone waits for it to catch up, another dies.
        const other = spec.other!;
        await cluster.signal(node, 'SIGKILL');
        record.startMs = nowMs();
        cluster.wipeNode(node);
        await hold(spec.durationMs / 3);
        await cluster.startNode(node);
        await cluster.signal(other, 'SIGKILL');
        this.note(record, `${node} restarted empty; ${other} killed at once`);
        await hold((spec.durationMs * 2) / 3);
        await cluster.startNode(other);
        return;
      }
      case 'pause-kill': {
        // A follower lags (paused), then a leader of the others dies: the lagging one must not lose what it missed.
        const other = spec.other!;
        record.startMs = nowMs();
        await this.pauseAsFollower(node, record);
        await hold(spec.durationMs / 3);
        await cluster.signal(other, 'SIGKILL');
        await hold(spec.durationMs / 3);
        await this.resume(node);
        this.note(record, `${node} resumed while ${other} is down`);
        await hold(spec.durationMs / 3);
        await cluster.startNode(other);
        return;
      }
      case 'add-index':
      case 'membership':
        await this.scenario(spec.kind).run(spec, record, stopped, this.log);
        return;
    }
  }

  /** Drains a node (as `triad drain` does); resolves with how many partitions it led then. */
  private async drain(nodeId: string): Promise<number> {
    const node = this.c.cluster.storageNode(nodeId);
    this.drained.add(nodeId);
    const reply = await this.c.probe.withNode(node, (c) => c.drain({ draining: true }));
    return reply.partitionsLed;
  }

  private async undrain(nodeId: string): Promise<void> {
    const node = this.c.cluster.storageNode(nodeId);
    await this.c.probe.withNode(node, (c) => c.drain({ draining: false }));
    this.drained.delete(nodeId);
  }

  /**
   * Makes the node a follower everywhere (drains it, waits until it leads nothing, at most
   * DRAIN_WAIT_MS_MAX), then SIGSTOPs it: it keeps its place in every replica set, and lags.
   */
  private async pauseAsFollower(nodeId: string, record: FaultRecord): Promise<void> {
    const ledAtStart = await this.drain(nodeId);
    const deadline = nowMs() + DRAIN_WAIT_MS_MAX;
    let led: number[] | undefined;
    for (;;) {
      led = (await this.c.probe.nodeStatus(nodeId))?.partitionsLed;
      if ((led !== undefined && led.length === 0) || nowMs() > deadline) break;
      await sleepUnless(100, () => false);
    }
    this.paused.add(nodeId);
    await this.c.cluster.signal(nodeId, 'SIGSTOP');
    this.note(
      record,
      led?.length === 0
        ? `${nodeId} handed away its ${ledAtStart} partitions in ${Math.round(nowMs() - record.startMs)} ms, then paused as a follower`
        : `${nodeId} still led ${led === undefined ? '?' : `partitions ${led.join(', ')}`} after ${DRAIN_WAIT_MS_MAX} ms of draining, paused anyway`,
    );
  }

  /** SIGCONT, then serving again. */
  private async resume(nodeId: string): Promise<void> {
    await this.c.cluster.signal(nodeId, 'SIGCONT');
    this.paused.delete(nodeId);
    await this.undrain(nodeId);
  }

  /** Lifts every partition, resumes paused nodes, restarts storage nodes that are not running, ends drains, puts scenarios back. */
  async healAll(): Promise<void> {
    const { cluster, network } = this.c;
    network.heal();
    for (const id of [...this.paused]) {
      await cluster.signal(id, 'SIGCONT');
      this.paused.delete(id);
    }
    for (const node of this.c.probe.storageNodes) {
      if (!cluster.isRunning(node.id)) {
        this.log(`restarting ${node.id}, which is not running`);
        await cluster.startNode(node.id);
      }
    }
    for (const id of [...this.drained]) {
      if (cluster.isRunning(id)) await this.undrain(id).catch((e: unknown) => this.log(`undrain ${id} failed: ${String(e)}`));
      this.drained.delete(id);
    }
    for (const scenario of Object.values(this.c.scenarios ?? {})) await scenario.heal();
  }

  /**
   * Waits until the cluster is healthy: every storage node running and answering, no hints
   * pending anywhere, every replica a voter (no learner waiting for its promotion), and the replicas of every partition seen with identical Merkle roots at
   * least once since the wait began (under load, roots differ for the moment a write is in flight,
   * so "at least once" is the usable test). Records the time on `record` if given.
   */
  async waitHealthy(timeoutMs = HEALTHY_WAIT_MS_DEFAULT, record?: FaultRecord, stopped: () => boolean = () => false): Promise<boolean> {
    const { probe } = this.c;
    const deadline = nowMs() + timeoutMs;
    const pendingPartitions = new Set(probe.partitions);
    let problems: string[] = [];
    while (!stopped()) {
      problems = [];
      const notRunning = probe.storageNodes.filter((n) => !this.c.cluster.isRunning(n.id)).map((n) => n.id);
      if (notRunning.length > 0) problems.push(`not running: ${notRunning.join(', ')}`);
      const silent = await probe.unresponsiveNodes();
      if (silent.length > 0) problems.push(`not answering: ${silent.join(', ')}`);
      const hints = await probe.hintsPending();
      const withHints = [...hints].filter(([, n]) => n === undefined || n > 0);
      if (withHints.length > 0) problems.push(`hints pending: ${withHints.map(([id, n]) => `${id}=${n ?? '?'}`).join(' ')}`);
      // A node that lost its disk votes again only once promoted: until then a second loss in the
      // same replica set would leave no majority that holds the log.
      const learners = [...(await probe.learnerPartitions())].filter(([, n]) => n === undefined || n > 0);
      if (learners.length > 0) problems.push(`learners not yet promoted: ${learners.map(([id, n]) => `${id}=${n ?? '?'}`).join(' ')}`);
      if (pendingPartitions.size > 0) {
        const divergent = await probe.divergentPartitions();
        for (const p of [...pendingPartitions]) if (!divergent.has(p)) pendingPartitions.delete(p);
        if (pendingPartitions.size > 0) problems.push(`partitions not yet seen converged: ${[...pendingPartitions].join(', ')}`);
      }
      if (problems.length === 0) {
        if (record) record.healthyMs = nowMs();
        return true;
      }
      if (nowMs() > deadline) break;
      await sleepUnless(HEALTH_POLL_MS, stopped);
    }
    if (record) record.unhealthy = problems;
    this.log(`cluster not healthy after ${timeoutMs} ms: ${problems.join('; ')}`);
    return false;
  }
}

export function describeFault(spec: FaultSpec): string {
  switch (spec.kind) {
    case 'kill':
      return `kill -9 ${spec.node}, restart`;
    case 'pause':
      return `SIGSTOP ${spec.node}${spec.note ? ` (${spec.note})` : ''}, SIGCONT`;
    case 'partition-zone':
      return `cut zone ${spec.zone} off (both ways), heal`;
    case 'isolate-storage':
      return `cut ${spec.node} off from the other storage nodes (routers still reach it), heal`;
    case 'wipe':
      return `kill -9 ${spec.node}, wipe its disk, restart empty`;
    case 'blackhole':
      return `blackhole ${spec.node}${spec.note ? ` (${spec.note})` : ''}: calls to and from it held until their deadline, heal`;
    case 'pause-follower':
      return `drain ${spec.node} until it leads nothing, SIGSTOP it (a lagging follower), SIGCONT and undrain`;
    case 'sigterm':
      return `SIGTERM ${spec.node} under load (graceful), restart`;
    case 'drain':
      return `drain ${spec.node} under load, SIGTERM it halfway, restart`;
    case 'clock-jump':
      return `kill -9 ${spec.node}, restart it with its clock offset ${spec.clockOffsetMs! >= 0 ? '+' : ''}${spec.clockOffsetMs} ms`;
    case 'wipe-kill':
      return `kill -9 ${spec.node} and wipe its disk, restart it empty and at once kill -9 ${spec.other}, restart ${spec.other} last`;
    case 'pause-kill':
      return `pause ${spec.node} as a follower, kill -9 ${spec.other}${spec.note ? ` (${spec.note})` : ''} while it lags, resume ${spec.node}, restart ${spec.other} last`;
    case 'add-index':
    case 'membership':
      return `${spec.kind} ${JSON.stringify(spec.scenario ?? {})}`;
  }
}
