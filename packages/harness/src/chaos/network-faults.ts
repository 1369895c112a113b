/**
 * Network faults on loopback through per-process fault files (TRIAD_FAULT_FILE, read by
 * @triad/rpc's fault gate every 100 ms): each process refuses its outgoing gRPC calls (data and
 * gossip) to the addresses its file blocks, and holds those to the addresses its file holds until
 * their deadline. A symmetric cut lists each side's addresses in the other side's files. Clients'
 * HTTP to routers is not affected.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FaultFile } from '@triad/rpc';
import type { ClusterProcess } from './cluster-probe';

/** The fault file of one process, inside `dir`. */
export function faultFilePath(dir: string, processId: string): string {
  return path.join(dir, `${processId}.json`);
}

/** LocalCluster's `envFor`: each process reads its own fault file, so that each side of a partition can be cut off from the other. */
export function faultFileEnv(dir: string): (processId: string) => Record<string, string> {
  return (processId) => ({ TRIAD_FAULT_FILE: faultFilePath(dir, processId) });
}

/** Per process (by id): the addresses whose calls it refuses, those it holds until their deadline, and the partitions it cannot reach. */
export interface NetworkState {
  blocked?: ReadonlyMap<string, ReadonlySet<string>>;
  held?: ReadonlyMap<string, ReadonlySet<string>>;
  partitions?: ReadonlyMap<string, ReadonlySet<number>>;
}

export class NetworkFaults {
  private readonly processes: ClusterProcess[];

  constructor(
    readonly dir: string,
    processes: readonly ClusterProcess[],
  ) {
    this.processes = [...processes];
    fs.mkdirSync(dir, { recursive: true });
    this.heal();
  }

  /** A process started after this was made (a storage node that joins): it gets a file too, healed. */
  addProcess(process: ClusterProcess): void {
    if (this.processes.some((p) => p.id === process.id)) return;
    this.processes.push(process);
    this.write(process.id, {});
  }

  private write(processId: string, content: FaultFile): void {
    const file = faultFilePath(this.dir, processId);
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(content));
    fs.renameSync(tmp, file);
  }

  /** Writes every process's file. Atomic per file (rename), so a process never reads half a file. */
  apply(state: NetworkState): void {
    for (const p of this.processes) {
      this.write(p.id, {
        blockedAddresses: [...(state.blocked?.get(p.id) ?? [])].sort(),
        heldAddresses: [...(state.held?.get(p.id) ?? [])].sort(),
        blockedPartitions: [...(state.partitions?.get(p.id) ?? [])].sort((a, b) => a - b),
      });
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
    this.apply({ blocked });
  }

  /** Cuts storage node `nodeId` off from the other storage nodes, both ways; routers and it still reach each other. */
  isolateStorage(nodeId: string): void {
    const node = this.storage(nodeId);
    this.splitStorage([node.id], this.processes.filter((p) => p.role === 'storage' && p.id !== nodeId).map((p) => p.id));
  }

  /**
   * Cuts the storage nodes of `a` off from those of `b`, both ways; routers reach every storage
   * node and every storage node the routers (so clients write to both sides). Storage nodes in
   * neither group reach everyone.
   */
  splitStorage(a: readonly string[], b: readonly string[]): void {
    const blocked = new Map<string, Set<string>>();
    const cut = (from: readonly string[], to: readonly string[]) => {
      for (const id of from) {
        const targets = blocked.get(id) ?? new Set<string>();
        for (const other of to) targets.add(this.storage(other).grpcAddress);
        blocked.set(id, targets);
      }
    };
    cut(a, b);
    cut(b, a);
    this.apply({ blocked });
  }

  /**
   * A blackhole around storage node `nodeId`: every call to it, from any process, and every call
   * it makes, is held until its deadline — the node runs and believes itself connected, but
   * nothing it sends or is sent arrives.
   */
  blackhole(nodeId: string): void {
    const node = this.storage(nodeId);
    const held = new Map<string, Set<string>>();
    for (const p of this.processes) held.set(p.id, p.id === nodeId ? new Set(this.processes.filter((q) => q.id !== nodeId).map((q) => q.grpcAddress)) : new Set([node.grpcAddress]));
    this.apply({ held });
  }

  /** The processes in `processIds` refuse every storage request that names one of `partitions` (a router cut off from the catalog's partition). */
  cutFromPartitions(processIds: readonly string[], partitions: readonly number[]): void {
    this.apply({ partitions: new Map(processIds.map((id) => [id, new Set(partitions)])) });
  }

  heal(): void {
    this.apply({});
  }

  private storage(nodeId: string): ClusterProcess {
    const node = this.processes.find((p) => p.id === nodeId);
    if (!node || node.role !== 'storage') throw new Error(`no storage node ${nodeId}`);
    return node;
  }
}
