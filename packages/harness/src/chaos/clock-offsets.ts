/**
 * Per-process clock offsets: every process of a chaos cluster reads its wall clock shifted by its
 * own TRIAD_CLOCK_OFFSET_MS (see @triad/runtime's real-environment.ts), as machines' clocks differ
 * in a real cluster. A process takes its offset when it starts: a new offset reaches a running
 * process only through a restart (a clock stepped while it was down, as after a reboot).
 */
import type { Prng } from './prng';

/** Offsets at start: within ±this, a clock that NTP keeps roughly right. */
export const START_OFFSET_MS_MAX = 1_000;
/** A clock step (the clock-jump fault): up to this far, either way, from the process's offset. */
export const STEP_OFFSET_MS_MAX = 15_000;

export class ClockOffsets {
  private readonly offsets = new Map<string, number>();

  /** Random start offsets, within ±maxMs, for the given processes (the generator picks them). */
  randomize(processIds: readonly string[], rng: Prng, maxMs = START_OFFSET_MS_MAX): this {
    for (const id of processIds) this.set(id, rng.between(-maxMs, maxMs));
    return this;
  }

  get(processId: string): number {
    return this.offsets.get(processId) ?? 0;
  }

  /** Takes effect at the process's next start. */
  set(processId: string, offsetMs: number): void {
    this.offsets.set(processId, Math.round(offsetMs));
  }

  /** LocalCluster's `envFor` part: read at each start of the process. */
  envFor(processId: string): Record<string, string> {
    return { TRIAD_CLOCK_OFFSET_MS: String(this.get(processId)) };
  }

  /** e.g. "storage-a-1 +312 ms, storage-b-1 -870 ms". */
  describe(): string {
    return [...this.offsets]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, ms]) => `${id} ${ms >= 0 ? '+' : ''}${ms} ms`)
      .join(', ');
  }
}
