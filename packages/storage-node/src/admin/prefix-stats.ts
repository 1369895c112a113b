import * as grpc from '@grpc/grpc-js';
import { PREFIX_STATS_PREFIXES_MAX, type PrefixStat, type PrefixStatsReply, type PrefixStatsRequest } from '@triad/rpc';
import type { Logger } from '@triad/observability';
import { decodeRecord } from '../storage/record-codec';
import type { StorageEngine } from '../storage/storage-engine';
import { partitionPrefix, prefixEnd } from '../storage/storage-keys';

/** Prefixes are table and index ids: the first 8 bytes of every item key. */
export const STATS_PREFIX_BYTES = 8;
/**
 * Requests waiting for their walk. Each router has at most one census in flight, so this many
 * routers fit; past it a request is refused, and the router asks another replica.
 */
export const STATS_REQUESTS_QUEUED_MAX = 16;

/**
 * Counts stored records by the prefix of their item key: records that are not tombstones, and
 * their sizes. Pure (no I/O): the caller feeds it records.
 */
export class PrefixTally {
  readonly items: number[];
  readonly sizeBytes: number[];

  /** `slots` maps a prefix (as latin1 text) to its position in the request; `width` is the request's prefix count. */
  private constructor(private readonly slots: ReadonlyMap<string, number>, width: number) {
    this.items = new Array<number>(width).fill(0);
    this.sizeBytes = new Array<number>(width).fill(0);
  }

  /**
   * A tally for these prefixes (each STATS_PREFIX_BYTES long). Positions follow the request so that
   * the reply lines up with it; a repeated prefix counts in its first position only.
   */
  static of(prefixes: readonly Uint8Array[]): PrefixTally {
    const slots = new Map<string, number>();
    prefixes.forEach((prefix, i) => {
      const name = Buffer.from(prefix).toString('latin1');
      if (!slots.has(name)) slots.set(name, i);
    });
    return new PrefixTally(slots, prefixes.length);
  }

  /** An empty tally for the same prefixes. */
  empty(): PrefixTally {
    return new PrefixTally(this.slots, this.items.length);
  }

  /** Counts one record (its item key and encoded value); tombstones and other prefixes are skipped. */
  add(itemKey: Buffer, value: Buffer): void {
    if (itemKey.length < STATS_PREFIX_BYTES) return;
    const slot = this.slots.get(itemKey.toString('latin1', 0, STATS_PREFIX_BYTES));
    if (slot === undefined) return;
    const record = decodeRecord(value);
    if (record.tombstone) return;
    this.items[slot]++;
    this.sizeBytes[slot] += record.sizeBytes;
  }

  /** Adds another tally of the same prefixes into this one. */
  merge(other: PrefixTally): void {
    for (let i = 0; i < this.items.length; i++) {
      this.items[i] += other.items[i];
      this.sizeBytes[i] += other.sizeBytes[i];
    }
  }

  stats(): PrefixStat[] {
    return this.items.map((items, i) => ({ items, sizeBytes: this.sizeBytes[i] }));
  }
}

export interface PrefixStatsComponents {
  store: Pick<StorageEngine, 'forEach'>;
  /** Partitions 0..partitionCount (the system partition) exist; others are refused. */
  partitionCount: number;
  /** Whether this node is a replica of the partition: only then is its copy counted. */
  holds(partition: number): boolean;
  log: Logger;
}

const invalid = (message: string) => Object.assign(new Error(message), { grpcCode: grpc.status.INVALID_ARGUMENT });

/**
 * Answers PrefixStats: walks each requested partition this node holds once, tallying every
 * requested prefix in that one pass. A walk reads the partition's whole range, so walks run one at
 * a time: requests from several routers queue instead of adding up on the disk.
 */
export class PrefixStats {
  private queue: Promise<unknown> = Promise.resolve();
  private queued = 0;

  constructor(private readonly c: PrefixStatsComponents) {}

  async stats(request: PrefixStatsRequest): Promise<PrefixStatsReply> {
    if (request.prefixes.length > PREFIX_STATS_PREFIXES_MAX) throw invalid(`at most ${PREFIX_STATS_PREFIXES_MAX} prefixes per request`);
    if (request.prefixes.some((p) => p.length !== STATS_PREFIX_BYTES)) throw invalid(`prefixes are ${STATS_PREFIX_BYTES} bytes long`);
    if (request.partitions.some((p) => !Number.isInteger(p) || p < 0 || p > this.c.partitionCount)) throw invalid('no such partition');
    if (this.queued >= STATS_REQUESTS_QUEUED_MAX) {
      throw Object.assign(new Error('too many statistics requests waiting'), { grpcCode: grpc.status.RESOURCE_EXHAUSTED });
    }
    this.queued++;
    const run = this.queue.then(() => this.count(request)).finally(() => this.queued--);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async count(request: PrefixStatsRequest): Promise<PrefixStatsReply> {
    const started = Date.now();
    const total = PrefixTally.of(request.prefixes);
    const partitionsNotHeld: number[] = [];
    const partitions = new Set(request.partitions);
    let records = 0;
    for (const partition of partitions) {
      if (!this.c.holds(partition)) {
        partitionsNotHeld.push(partition);
        continue;
      }
      const tally = total.empty();
      const prefix = partitionPrefix(partition);
      await this.c.store.forEach({ gte: prefix, lt: prefixEnd(prefix) }, (key, value) => {
        tally.add(key.subarray(prefix.length), value);
        records++;
        return true;
      });
      // Checked again after the walk: a partition that moved away meanwhile may have lost its data.
      if (this.c.holds(partition)) total.merge(tally);
      else partitionsNotHeld.push(partition);
    }
    this.c.log.debug('prefix statistics counted', {
      prefixes: request.prefixes.length,
      partitions: partitions.size - partitionsNotHeld.length,
      records,
      ms: Date.now() - started,
    });
    return { stats: total.stats(), partitionsNotHeld };
  }
}
