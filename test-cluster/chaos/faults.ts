/**
 * Fault injectors over a LocalCluster, one fault at a time: kill -9 and restart, SIGSTOP and
 * SIGCONT, network partitions through per-process fault files (TRIAD_FAULT_FILE), and disk loss
 * (kill, wipe, restart). Each fault is logged with its times on the run's clock, so that the checks
 * can relate client operations to it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LocalCluster } from '../../scripts/local-cluster/local-cluster';
import { nowMs, sleepUnless } from './clock';
import type { ClusterProbe, ClusterProcess } from './cluster-probe';
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
  | 'wipe';

export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'pause', 'partition-zone', 'isolate-storage', 'wipe'];

export interface FaultSpec {
  kind: FaultKind;
  /** The storage node (kill, pause, isolate-storage, wipe). */
  node?: string;
  /** The zone (partition-zone). */
  zone?: string;
  /** How long the fault lasts before it is healed. */
  durationMs: number;
  /** Why this target, for the log (e.g. "leads 6 partitions"). */
  note?: string;
}

export interface FaultRecord {
  id: number;
  kind: FaultKind;
  /** The storage nodes the fault takes out or cuts off: the partitions they replicate are the affected ones. */
  nodes: string[];
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
  /** An error while injecting or healing. */
  error?: string;
}

/** The fault file of one process, inside `dir`. */
export function faultFilePath(dir: string, processId: string): string {
  return path.join(dir, `${processId}.json`);
}

/** LocalCluster's `envFor`: each process reads its own fault file, so that each side of a partition can be cut off from the other. */
export function faultFileEnv(dir: string): (processId: string) => Record<string, string> {
  return (processId) => ({ TRIAD_FAULT_FILE: faultFilePath(dir, processId) });
}

/**
 * Network partitions on loopback: every process refuses its outgoing gRPC calls (data and gossip)
 * to the addresses listed in its own fault file, which it re-reads every 100 ms. A symmetric cut
 * lists each side's addresses in the other side's files. Clients' HTTP to routers is not affected.
 */
export class NetworkFaults {
  constructor(
    readonly dir: string,
    private readonly processes: readonly ClusterProcess[],
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.heal();
  }

  /** Writes every process's file: its blocked addresses, or none. Atomic per file (rename), so a process never reads half a file. */
  apply(blocked: ReadonlyMap<string, ReadonlySet<string>>): void {
    for (const p of this.processes) {
      const file = faultFilePath(this.dir, p.id);
      const tmp = `${file}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify({ blockedAddresses: [...(blocked.get(p.id) ?? [])].sort() }));
      fs.renameSync(tmp, file);
    }
  }

  /** Cuts the processes in `group` off from all others, both ways. */
  cutOff(group: readonly string[]): void {
    const inside = new Set(group);
    const blocked = new Map<string, Set<string>>();
    for (const from of this.processes) {
      const targets = new Set<string>();
      for (const to of this.processes) {
        if (inside.has(from.id) !== inside.has(to.id)) targets.add(to.grpcAddress);
      }
      blocked.set(from.id, targets);
    }
    this.apply(blocked);
  }

  /** Cuts storage node `nodeId` off from the other storage nodes, both ways; routers and it still reach each other. */
  isolateStorage(nodeId: string): void {
    const node = this.processes.find((p) => p.id === nodeId);
    if (!node || node.role !== 'storage') throw new Error(`no storage node ${nodeId}`);
    const others = this.processes.filter((p) => p.role === 'storage' && p.id !== nodeId);
    const blocked = new Map<string, Set<string>>();
    blocked.set(nodeId, new Set(others.map((p) => p.grpcAddress)));
    for (const other of others) blocked.set(other.id, new Set([node.grpcAddress]));
    this.apply(blocked);
  }

  heal(): void {
    this.apply(new Map());
  }
}

/** How long the cluster is given to be healthy again after a fault is healed. */
export const HEALTHY_WAIT_MS_DEFAULT = 30_000;
/** Pause between health polls. */
const HEALTH_POLL_MS = 250;
/** Delay after writing fault files before the fault counts as in effect: processes re-read them every 100 ms. */
const FAULT_FILE_SETTLE_MS = 250;

export interface FaultInjectorInit {
  cluster: LocalCluster;
  probe: ClusterProbe;
  network: NetworkFaults;
  /** One line per event; default: none. */
  log?: (line: string) => void;
}

/**
 * Injects one fault at a time and heals it, recording each; `healAll` puts the whole cluster
 * back (every node running and answering, no partition), whatever state a run left it in.
 */
export class FaultInjector {
  readonly records: FaultRecord[] = [];
  private readonly paused = new Set<string>();
  private readonly log: (line: string) => void;

  constructor(private readonly c: FaultInjectorInit) {
    this.log = c.log ?? (() => undefined);
  }

  /** Zones of storage nodes, in layout order. */
  get zones(): string[] {
    return [...new Set(this.c.cluster.layout.storageNodes.map((n) => n.zone))];
  }

  /**
   * A fault of `kind` on a random target. `pause` takes the node that leads the most partitions;
   * `partition-zone` avoids `protectedZones` (the zones of the routers the clients use: cutting
   * those off makes the cluster unreachable from the clients by design, which says nothing about
   * failover) unless no other zone is left.
   */
  async randomFault(kind: FaultKind, rng: Prng, durationMs: number, protectedZones: readonly string[] = []): Promise<FaultSpec> {
    const nodes = this.c.cluster.layout.storageNodes.map((n) => n.id);
    switch (kind) {
      case 'pause': {
        const leader = await this.c.probe.busiestLeader((items) => rng.pick(items));
        return { kind, node: leader.node, durationMs, note: leader.partitionsLed !== undefined ? `leads ${leader.partitionsLed} partitions` : 'presumed leader' };
      }
      case 'partition-zone': {
        const candidates = this.zones.filter((z) => !protectedZones.includes(z));
        return { kind, zone: rng.pick(candidates.length > 0 ? candidates : this.zones), durationMs };
      }
      default:
        return { kind, node: rng.pick(nodes), durationMs };
    }
  }

  /** Injects the fault, holds it for its duration (less if `stopped()` turns true), heals it. */
  async run(spec: FaultSpec, stopped: () => boolean = () => false): Promise<FaultRecord> {
    const { cluster, network, probe } = this.c;
    const nodes = spec.kind === 'partition-zone' ? cluster.layout.storageNodes.filter((n) => n.zone === spec.zone).map((n) => n.id) : [spec.node!];
    if (nodes.length === 0 || nodes.some((id) => !probe.ring.node(id))) throw new Error(`bad fault target ${JSON.stringify(spec)}`);
    const record: FaultRecord = {
      id: this.records.length + 1,
      kind: spec.kind,
      nodes,
      zone: spec.zone,
      description: describeFault(spec),
      wallClockStart: new Date().toISOString(),
      startMs: nowMs(),
    };
    this.records.push(record);
    this.log(`fault ${record.id}: ${record.description} for ${spec.durationMs} ms`);
    try {
      switch (spec.kind) {
        case 'kill':
        case 'wipe':
          await cluster.signal(spec.node!, 'SIGKILL');
          record.startMs = nowMs();
          if (spec.kind === 'wipe') cluster.wipeNode(spec.node!);
          await sleepUnless(spec.durationMs, stopped);
          await cluster.startNode(spec.node!);
          break;
        case 'pause':
          this.paused.add(spec.node!);
          await cluster.signal(spec.node!, 'SIGSTOP');
          record.startMs = nowMs();
          await sleepUnless(spec.durationMs, stopped);
          await cluster.signal(spec.node!, 'SIGCONT');
          this.paused.delete(spec.node!);
          break;
        case 'partition-zone': {
          const group = probe.processes.filter((p) => p.zone === spec.zone).map((p) => p.id);
          network.cutOff(group);
          record.startMs = nowMs() + FAULT_FILE_SETTLE_MS / 2;
          await sleepUnless(spec.durationMs, stopped);
          network.heal();
          break;
        }
        case 'isolate-storage':
          network.isolateStorage(spec.node!);
          record.startMs = nowMs() + FAULT_FILE_SETTLE_MS / 2;
          await sleepUnless(spec.durationMs, stopped);
          network.heal();
          break;
      }
    } catch (error) {
      record.error = String(error);
      this.log(`fault ${record.id}: error ${record.error}`);
      await this.healAll().catch((e: unknown) => this.log(`heal after error failed: ${String(e)}`));
    }
    record.healedMs = nowMs();
    this.log(`fault ${record.id}: healed after ${Math.round(record.healedMs - record.startMs)} ms`);
    return record;
  }

  /** Lifts every partition, resumes paused nodes, restarts storage nodes that are not running. */
  async healAll(): Promise<void> {
    const { cluster, network } = this.c;
    network.heal();
    for (const id of [...this.paused]) {
      await cluster.signal(id, 'SIGCONT');
      this.paused.delete(id);
    }
    for (const node of cluster.layout.storageNodes) {
      if (!cluster.isRunning(node.id)) {
        this.log(`restarting ${node.id}, which is not running`);
        await cluster.startNode(node.id);
      }
    }
  }

  /**
   * Waits until the cluster is healthy: every storage node running and answering, no hints
   * pending anywhere, and the replicas of every partition seen with identical Merkle roots at
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
  }
}
