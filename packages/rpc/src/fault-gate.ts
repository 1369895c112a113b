import fs from 'node:fs';

/** How often a process re-reads its fault file. */
const FAULT_FILE_POLL_MS = 100;

/**
 * A test-only fault point (FoundationDB style): when TRIAD_FAULT_FILE names a file, this process
 * refuses every outgoing gRPC call to the addresses the file lists, as if the network between them
 * were cut. The chaos tests use it to partition a zone away on loopback, where network namespaces
 * are not available. Without the variable it does nothing.
 *
 * A router also refuses, before any call, its requests for the partitions listed in
 * `blockedPartitions`: with the system partition listed, the router is cut off from the catalog
 * (it can neither refresh nor change it) while its item operations still reach every node, which
 * is the shape of a router that lost the system partition's replicas but not the data's. (On
 * loopback, where every partition has the same three replicas, no address cut can do that.)
 *
 * File format: {"blockedAddresses": ["127.0.0.1:7101", ...], "blockedPartitions": [16]}
 */
class FaultGate {
  private blocked = new Set<string>();
  private blockedPartitions = new Set<number>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly file: string | undefined) {
    if (!file) return;
    this.reload();
    this.timer = setInterval(() => this.reload(), FAULT_FILE_POLL_MS);
    this.timer.unref();
  }

  private reload(): void {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file!, 'utf8')) as { blockedAddresses?: string[]; blockedPartitions?: number[] };
      this.blocked = new Set(parsed.blockedAddresses ?? []);
      this.blockedPartitions = new Set(parsed.blockedPartitions ?? []);
    } catch {
      this.blocked = new Set();
      this.blockedPartitions = new Set();
    }
  }

  isBlocked(address: string): boolean {
    return this.blocked.size > 0 && this.blocked.has(address);
  }

  /** Whether this process's requests for the partition are refused (routers only; see above). */
  isPartitionBlocked(partition: number): boolean {
    return this.blockedPartitions.size > 0 && this.blockedPartitions.has(partition);
  }
}

export const faultGate = new FaultGate(process.env.TRIAD_FAULT_FILE);
