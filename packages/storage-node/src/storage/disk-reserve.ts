import type { Environment, TimerHandle } from '@triad/runtime';
import type { Logger } from '@triad/observability';

/**
 * A storage node stops taking client writes while its disk's free space is below a reserve, and
 * says so (a retriable ServiceUnavailableException to the client, "not ready" to its readiness
 * probe), instead of running RocksDB into ENOSPC: a write that fails half-way through a synced
 * batch stops the whole store, and a full disk also stops the replication, hints and compactions
 * that would free it. The reserve is the room those keep: a follower goes on appending what its
 * leader committed, and compaction goes on, while new client writes are refused.
 */

/** Free space checked this often; writes between two checks come out of the reserve. */
export const DISK_CHECK_INTERVAL_MS = 1_000;
/**
 * 1 GiB: several seconds of the fastest group-commit rate at full item size, RocksDB's room for a
 * compaction of the last level's newest files, and the replication log's retained tail.
 */
export const DISK_RESERVE_BYTES_DEFAULT = 1024 ** 3;

export interface DiskSpaceReading {
  freeBytes: number;
  reserveBytes: number;
}

/** Whether writes are refused at this reading (pure). */
export function belowReserve(reading: DiskSpaceReading): boolean {
  return reading.freeBytes < reading.reserveBytes;
}

/** What readiness and the refusal say (pure). */
export function reserveMessage(reading: DiskSpaceReading): string {
  return `free disk space ${reading.freeBytes} bytes is below the reserve of ${reading.reserveBytes} bytes: writes are refused until space is freed`;
}

export class DiskReserve {
  private reading: DiskSpaceReading | undefined;
  private timer: TimerHandle | undefined;
  private checking = false;

  constructor(
    /** Free bytes for the service user on the data directory's filesystem. */
    private readonly freeBytes: () => Promise<number>,
    private readonly reserveBytes: number,
    private readonly env: Environment,
    private readonly log: Logger,
    /** Told each reading (metrics). */
    private readonly onReading: (reading: DiskSpaceReading) => void = () => undefined,
  ) {}

  /** Takes a first reading, then one every DISK_CHECK_INTERVAL_MS. */
  async start(): Promise<void> {
    await this.check();
    this.timer = this.env.setInterval(() => void this.check(), DISK_CHECK_INTERVAL_MS);
  }

  stop(): void {
    this.env.clearInterval(this.timer);
  }

  /** Why writes are refused now; undefined while there is room (or before the first reading). */
  refusal(): string | undefined {
    return this.reading && belowReserve(this.reading) ? reserveMessage(this.reading) : undefined;
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const reading = { freeBytes: await this.freeBytes(), reserveBytes: this.reserveBytes };
      const was = this.reading && belowReserve(this.reading);
      this.reading = reading;
      this.onReading(reading);
      const is = belowReserve(reading);
      if (is && !was) this.log.warn('disk space below the reserve: client writes are refused', { ...reading });
      if (!is && was) this.log.info('disk space above the reserve again: client writes are taken', { ...reading });
    } catch (error) {
      // A failed reading keeps the last one: no reason to start or stop refusing.
      this.log.warn('could not read free disk space', { error: String(error) });
    } finally {
      this.checking = false;
    }
  }
}
