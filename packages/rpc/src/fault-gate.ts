import fs from 'node:fs';

/** How often a process re-reads its fault file. */
const FAULT_FILE_POLL_MS = 100;

/**
 * A test-only fault point (FoundationDB style): when TRIAD_FAULT_FILE names a file, this process
 * refuses every outgoing gRPC call to the addresses the file lists, as if the network between them
 * were cut. The chaos tests use it to partition a zone away on loopback, where network namespaces
 * are not available. Without the variable it does nothing.
 *
 * File format: {"blockedAddresses": ["127.0.0.1:7101", ...]}
 */
class FaultGate {
  private blocked = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly file: string | undefined) {
    if (!file) return;
    this.reload();
    this.timer = setInterval(() => this.reload(), FAULT_FILE_POLL_MS);
    this.timer.unref();
  }

  private reload(): void {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file!, 'utf8')) as { blockedAddresses?: string[] };
      this.blocked = new Set(parsed.blockedAddresses ?? []);
    } catch {
      this.blocked = new Set();
    }
  }

  isBlocked(address: string): boolean {
    return this.blocked.size > 0 && this.blocked.has(address);
  }
}

export const faultGate = new FaultGate(process.env.TRIAD_FAULT_FILE);
