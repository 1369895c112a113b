import { FAULT_POINTS, type FaultPoint, type FaultPoints, type Prng } from '@triad/runtime';

/**
 * How often an enabled fault point strikes (per time the code passes it) and, for a delay, how
 * long. Rare on purpose (FoundationDB's BUGGIFY): the code passes these points thousands of times a
 * run, and a run must still make progress. Delays of the write path reach past an election timeout
 * (1.5–3 s), so that a leadership change can happen inside the window.
 */
export const FAULT_POINT_RATES: Record<FaultPoint, { probability: number; delayMs?: [number, number] }> = {
  'write.afterLeaseCheck': { probability: 0.1, delayMs: [20, 3_000] },
  'replica.beforeAck': { probability: 0.005, delayMs: [5, 800] },
  'replica.slowApply': { probability: 0.005, delayMs: [5, 1_500] },
  'replica.dropReply': { probability: 0.01 },
  'store.syncFails': { probability: 0.0003 },
  'store.slowSync': { probability: 0.003, delayMs: [5, 300] },
};

/** A point's chance of being enabled in a run: each run exercises a seeded subset, as FoundationDB's do. */
const ENABLED_PROBABILITY = 0.5;

/**
 * The fault points of one simulated run: which are enabled (seeded, or given), and every answer
 * drawn from one seeded sequence of its own (so that enabling points does not shift the draws of
 * the network or the schedule). Counts what fired, by point, for the report.
 */
export class SeededFaultPoints {
  readonly enabled: ReadonlySet<FaultPoint>;
  readonly fired = new Map<FaultPoint, number>();

  constructor(
    private readonly prng: Prng,
    /** The points enabled; default: a seeded half of them. */
    enabled?: readonly FaultPoint[],
  ) {
    this.enabled = new Set(enabled ?? FAULT_POINTS.filter(() => prng.chance(ENABLED_PROBABILITY)));
  }

  private strikes(point: FaultPoint): boolean {
    if (!this.enabled.has(point) || !this.prng.chance(FAULT_POINT_RATES[point].probability)) return false;
    this.fired.set(point, (this.fired.get(point) ?? 0) + 1);
    return true;
  }

  /** What a process asks (every process of the run shares the points and their sequence: the simulator orders their calls). */
  readonly points: FaultPoints = {
    fires: (point) => this.strikes(point),
    delayMs: (point) => {
      const range = FAULT_POINT_RATES[point].delayMs;
      if (!range || !this.strikes(point)) return 0;
      return this.prng.real(range[0], range[1]);
    },
  };
}
