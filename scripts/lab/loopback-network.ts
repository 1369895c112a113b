import fs from 'node:fs';
import path from 'node:path';
import type { LabNetwork, TeardownReport } from './network';
import type { LabOptions, ZoneCut } from './options';
import type { ClusterPlan, LabHost } from './plan';

/** The fault gate re-reads its file every 100 ms; wait a few periods before calling a cut in force. */
const GATE_SETTLE_MS = 350;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Fallback where namespaces cannot be made: every process listens on 127.0.0.1, and zone cuts go
 * through the test-only fault gate (packages/rpc/src/fault-gate.ts). Each process gets its own
 * TRIAD_FAULT_FILE; a cut writes, on each side, the other side's gRPC addresses into
 * {"blockedAddresses": [...]}, so both directions refuse their calls. The driver's HTTP traffic to
 * routers is not affected (like `--zone-cut isolate`). No latency can be added on loopback.
 */
export class LoopbackNetwork implements LabNetwork {
  readonly kind = 'loopback' as const;
  private readonly faultDir: string;
  private cutZoneName: string | undefined;

  constructor(
    private readonly plan: ClusterPlan,
    private readonly options: LabOptions,
    dataDir: string,
  ) {
    this.faultDir = path.join(dataDir, 'faults');
  }

  private faultFile(host: LabHost): string {
    return path.join(this.faultDir, `${host.id}.json`);
  }

  /** Atomic write: the gate must never read half a file (it would treat it as "nothing blocked"). */
  private writeBlocked(host: LabHost, blockedAddresses: string[]): void {
    const file = this.faultFile(host);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ blockedAddresses }));
    fs.renameSync(`${file}.tmp`, file);
  }

  setup(): void {
    fs.mkdirSync(this.faultDir, { recursive: true });
    for (const host of this.plan.hosts) this.writeBlocked(host, []);
  }

  wrap(): string[] {
    return [];
  }

  envFor(host: LabHost): Record<string, string> {
    return { TRIAD_FAULT_FILE: this.faultFile(host) };
  }

  async cutZone(zone: string, mode: ZoneCut): Promise<string> {
    const inside = this.plan.hosts.filter((h) => h.zone === zone);
    const outside = this.plan.hosts.filter((h) => h.zone !== zone);
    const insideAddresses = inside.flatMap((h) => h.grpcAddresses);
    const outsideAddresses = outside.flatMap((h) => h.grpcAddresses);
    for (const host of inside) this.writeBlocked(host, outsideAddresses);
    for (const host of outside) this.writeBlocked(host, insideAddresses);
    this.cutZoneName = zone;
    await delay(GATE_SETTLE_MS);
    const note = mode === 'unplug' ? ' (loopback cannot unplug; isolating instead: clients still reach the zone\'s routers)' : '';
    return `isolated zone ${zone} (${inside.map((h) => h.id).join(', ')}) through TRIAD_FAULT_FILE: each side refuses gRPC calls to the other${note}`;
  }

  async heal(): Promise<void> {
    if (this.cutZoneName === undefined) return;
    this.cutZoneName = undefined;
    for (const host of this.plan.hosts) this.writeBlocked(host, []);
    await delay(GATE_SETTLE_MS);
  }

  describe(): string[] {
    return [
      `network: loopback (127.0.0.1), ports from ${this.options.basePort}; zone cuts through per-process TRIAD_FAULT_FILE (${this.faultDir})`,
      'latency: none (loopback mode cannot add any)',
    ];
  }

  statistics(): string[] {
    return [];
  }

  teardown(): TeardownReport {
    fs.rmSync(this.faultDir, { recursive: true, force: true });
    return { removed: [`fault files in ${this.faultDir}`], leftovers: [] };
  }
}
