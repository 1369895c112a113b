import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { realEnvironment, type Environment, type TimerHandle } from '@triad/runtime';

/** How often a process re-reads its fault file. */
const FAULT_FILE_POLL_MS = 100;

/** What the gate does with an outgoing call: send it, refuse it at once, or hold it until its deadline. */
export type FaultVerdict = 'pass' | 'refuse' | 'hold';

/**
 * The fault file: addresses whose calls are refused (a cut link) or held until their deadline (a
 * blackhole), and partitions no call of this process may name (refused whatever the address).
 */
export interface FaultFile {
  blockedAddresses?: string[];
  heldAddresses?: string[];
  blockedPartitions?: number[];
}

/**
 * A test-only fault point (FoundationDB style): when TRIAD_FAULT_FILE names a file, this process
 * refuses every outgoing gRPC call to the addresses the file lists in `blockedAddresses`, as if the
 * network between them were cut and the peer's kernel answered with a reset, and holds every call
 * to an address in `heldAddresses` until the call's deadline, as if packets to it were silently
 * dropped (a blackhole: the caller learns nothing until it gives up). Storage requests that name
 * a partition in `blockedPartitions` (item operations, point and range reads) are refused too,
 * whatever node they go to: with three storage nodes every partition lives on all of them, so a
 * router cut off from one partition (the catalog's) cannot be made by addresses. The chaos tests
 * use it to partition a zone away on loopback, where network namespaces are not available.
 * Without the variable it does nothing.
 *
 * File format: {"blockedAddresses": ["127.0.0.1:7101", ...], "heldAddresses": [...], "blockedPartitions": [16]}
 */
export class FaultGate {
  private blocked = new Set<string>();
  private held = new Set<string>();
  private partitions = new Set<number>();
  private timer?: TimerHandle;

  constructor(
    private readonly file: string | undefined,
    private readonly env: Environment = realEnvironment,
  ) {
    if (!file) return;
    this.reload();
    this.timer = this.env.setInterval(() => this.reload(), FAULT_FILE_POLL_MS);
    this.timer.unref();
  }

  /** Reads the file again (also every FAULT_FILE_POLL_MS); a missing or unreadable file means no fault. */
  reload(): void {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file!, 'utf8')) as FaultFile;
      this.blocked = new Set(parsed.blockedAddresses ?? []);
      this.held = new Set(parsed.heldAddresses ?? []);
      this.partitions = new Set(parsed.blockedPartitions ?? []);
    } catch {
      this.blocked = new Set();
      this.held = new Set();
      this.partitions = new Set();
    }
  }

  verdict(address: string): FaultVerdict {
    if (this.blocked.size > 0 && this.blocked.has(address)) return 'refuse';
    if (this.held.size > 0 && this.held.has(address)) return 'hold';
    return 'pass';
  }

  /**
   * Undefined when a call to `address` may go out. Otherwise the call's failure: at once, as
   * UNAVAILABLE, for a refused address (certainlyNotSent() knows it was never sent); after
   * `deadlineMs`, as DEADLINE_EXCEEDED, for a held one — the caller cannot tell a held call from one
   * the peer received and never answered, exactly as with a real blackhole.
   */
  /**
   * Undefined when a storage request whose parts (item operations, keys of point reads, ranges)
   * name these partitions may go out; otherwise its failure, at once, as UNAVAILABLE (never sent).
   */
  interceptPartitions(parts: readonly { partition: number }[]): Promise<never> | undefined {
    if (this.partitions.size === 0) return undefined;
    const hit = parts.find((p) => this.partitions.has(p.partition));
    if (!hit) return undefined;
    return Promise.reject(Object.assign(new Error(`partition ${hit.partition} is cut off (fault injection)`), { code: grpc.status.UNAVAILABLE }));
  }

  /** Whether this process's requests for the partition are refused (see `blockedPartitions`). */
  isPartitionBlocked(partition: number): boolean {
    return this.partitions.size > 0 && this.partitions.has(partition);
  }

  intercept(address: string, deadlineMs: number): Promise<never> | undefined {
    switch (this.verdict(address)) {
      case 'pass':
        return undefined;
      case 'refuse':
        return Promise.reject(Object.assign(new Error(`${address} is cut off (fault injection)`), { code: grpc.status.UNAVAILABLE }));
      case 'hold':
        return new Promise<never>((_resolve, reject) =>
          this.env.setTimeout(
            () =>
              reject(
                Object.assign(new Error(`${grpc.status.DEADLINE_EXCEEDED} DEADLINE_EXCEEDED: Deadline exceeded after ${deadlineMs} ms (call to ${address} held)`), {
                  code: grpc.status.DEADLINE_EXCEEDED,
                  details: `Deadline exceeded after ${deadlineMs} ms (call to ${address} held)`,
                }),
              ),
            deadlineMs,
          ),
        );
    }
  }
}

export const faultGate = new FaultGate(process.env.TRIAD_FAULT_FILE);
