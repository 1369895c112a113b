import type { Environment, TimerHandle } from './environment';
import { NO_FAULTS, type FaultPoints } from './fault-points';
import { EventQueue } from './event-queue';
import { SIM_CLOCK_DRIFT_RATE_MAX, SIM_RUN_EVENTS_MAX, TIMER_DELAY_MS_MAX } from './limits';
import { Prng } from './prng';
import { realEnvironment } from './real-environment';

/**
 * Virtual time for many simulated processes in one real one, from one seed. The `Simulator` keeps
 * true (virtual) time and one ordered queue of every process's timers and deferred work; each
 * process gets a `SimulatedEnvironment` — its own view of time (an offset and a rate drift, as
 * real machines' clocks have) and its own random sequence. Nothing happens until a driver says
 * so: `step()` runs the next event, `advanceTo(ms)` / `advanceBy(ms)` run everything due by then,
 * `runUntilIdle()` runs until only unreferenced timers are left (the point at which a Node process
 * would exit).
 *
 * Determinism: events run in order of true time, ties in the order they were scheduled. Promise
 * continuations started by an event run before the next event (the async drivers let them settle
 * between events), as they would in Node before the next timer; so one seed and one sequence of
 * driver calls give the same run, event for event.
 */

/** Wall-clock time at true time 0: a fixed instant, so that runs (and the versions they stamp) replay exactly. */
export const SIMULATION_EPOCH_MS = Date.UTC(2026, 0, 1);

/** How one simulated process's clocks differ from true time. */
export interface SimulatedClockOptions {
  /** Shown in errors and traces. */
  name?: string;
  /** Added to its wall clock (`nowMs`), as TRIAD_CLOCK_OFFSET_MS is in a real process. @default 0 */
  offsetMs?: number;
  /**
   * Its clocks run at `1 + driftRate` times true time (5e-5 is 50 ppm fast; negative is slow): its
   * timers fire early or late by as much, as measured in true time. @default 0
   */
  driftRate?: number;
  /** Seed of its random sequence. @default the next number of the simulator's own sequence */
  seed?: number;
}

/** A timer, an interval or deferred work, in the simulator's queue. */
class SimulatedTimer implements TimerHandle {
  /** True time it fires at next (while queued). */
  atMs = 0;
  queued = false;
  cancelled = false;
  referenced = true;

  constructor(
    private readonly simulator: Simulator,
    readonly owner: SimulatedEnvironment,
    readonly callback: () => void,
    /** An interval's period in true ms; undefined for a one-off. */
    readonly repeatMs: number | undefined,
  ) {}

  unref(): this {
    if (this.referenced) {
      this.referenced = false;
      if (this.queued) this.simulator.referencedPending--;
    }
    return this;
  }

  ref(): this {
    if (!this.referenced) {
      this.referenced = true;
      if (this.queued) this.simulator.referencedPending++;
    }
    return this;
  }
}

export class Simulator {
  /** The simulator's own randomness (network delays, fault choices); each environment forks its own from it. */
  readonly random: Prng;
  private readonly queue = new EventQueue<SimulatedTimer>();
  private timeMs = 0;
  private eventsRun = 0;
  /** Queued, live, referenced events: `runUntilIdle` runs while there are any. */
  referencedPending = 0;

  constructor(readonly seed: number) {
    this.random = new Prng(seed);
  }

  /** True time, ms since the simulation started. */
  get nowMs(): number {
    return this.timeMs;
  }

  /** Events run so far. */
  get eventCount(): number {
    return this.eventsRun;
  }

  /** A new process's view of time and randomness (see SimulatedClockOptions). */
  environment(options: SimulatedClockOptions = {}): SimulatedEnvironment {
    const driftRate = options.driftRate ?? 0;
    if (!(Math.abs(driftRate) <= SIM_CLOCK_DRIFT_RATE_MAX)) throw new Error(`clock drift rate ${driftRate} is beyond ±${SIM_CLOCK_DRIFT_RATE_MAX}`);
    const seed = options.seed ?? this.random.nextUint32();
    return new SimulatedEnvironment(this, options.name ?? `process-${seed}`, options.offsetMs ?? 0, 1 + driftRate, seed);
  }

  /** Queues `callback` at true time `atMs` (not before now) for `owner`; used by the environments. */
  schedule(owner: SimulatedEnvironment, atMs: number, callback: () => void, repeatMs?: number): SimulatedTimer {
    const timer = new SimulatedTimer(this, owner, callback, repeatMs);
    this.enqueue(timer, atMs);
    return timer;
  }

  cancel(timer: SimulatedTimer): void {
    if (timer.cancelled) return;
    timer.cancelled = true;
    if (timer.queued) this.dequeued(timer);
  }

  /**
   * Runs the next event (moving true time to it), whether referenced or not. False when nothing is
   * queued. Promise continuations it starts run only when the caller yields (see `settle`).
   */
  step(): boolean {
    for (;;) {
      const next = this.queue.pop();
      if (!next) return false;
      const timer = next.value;
      if (timer.cancelled) continue;
      this.dequeued(timer);
      this.timeMs = next.atMs;
      this.eventsRun++;
      timer.callback();
      if (timer.repeatMs !== undefined && !timer.cancelled && !timer.owner.stopped) this.enqueue(timer, this.timeMs + timer.repeatMs);
      return true;
    }
  }

  /** Lets the promise continuations started so far run (one turn of the real event loop). */
  settle(): Promise<void> {
    return new Promise((resolve) => realEnvironment.defer(resolve));
  }

  /**
   * Calls `turn` once per turn of the real event loop, the first after the promise continuations
   * started so far have run, until it returns false (then resolves) or throws (then rejects with
   * that). A driver's `turn` runs one event (`step`): the continuations that event starts all run
   * before the next turn, as with `await settle()` between steps, without a promise and an async
   * resumption per event (a few percent of a simulated run's CPU).
   */
  drive(turn: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const next = () => {
        let more: boolean;
        try {
          more = turn();
        } catch (error) {
          reject(error);
          return;
        }
        if (more) realEnvironment.defer(next);
        else resolve();
      };
      realEnvironment.defer(next);
    });
  }

  /** Runs every event due by true time `ms`, in order, then leaves true time at `ms`. */
  async advanceTo(ms: number): Promise<void> {
    await this.drive(() => this.queue.peekTime() <= ms && this.step());
    if (ms > this.timeMs) this.timeMs = ms;
  }

  /** `advanceTo(nowMs + ms)`. */
  advanceBy(ms: number): Promise<void> {
    return this.advanceTo(this.timeMs + ms);
  }

  /**
   * Runs events until only unreferenced ones are left (or none): where a Node process with the
   * same timers would exit. Throws after `eventsMax` events, which means something reschedules
   * itself for ever.
   */
  runUntilIdle(eventsMax = SIM_RUN_EVENTS_MAX): Promise<void> {
    let run = 0;
    return this.drive(() => {
      if (this.referencedPending === 0) return false;
      if (run++ >= eventsMax) throw new Error(`still busy after ${eventsMax} events at ${this.timeMs} ms: something reschedules itself for ever`);
      this.step();
      return true;
    });
  }

  private enqueue(timer: SimulatedTimer, atMs: number): void {
    timer.atMs = Math.max(atMs, this.timeMs);
    timer.queued = true;
    if (timer.referenced) this.referencedPending++;
    timer.owner.live.add(timer);
    this.queue.push(timer.atMs, timer);
  }

  /** Bookkeeping when a queued timer leaves the queue (it fires, or is cancelled: then it is skipped when popped). */
  private dequeued(timer: SimulatedTimer): void {
    timer.queued = false;
    if (timer.referenced) this.referencedPending--;
    timer.owner.live.delete(timer);
  }
}

/**
 * One simulated process's Environment. Its clocks run at `rate` times true time: the monotonic
 * clock from 0 when it was made (a process start), the wall clock from SIMULATION_EPOCH_MS plus
 * its offset (the machine's clock, which a restarted process on the same machine shares: make the
 * new environment with the same offset and drift). Delays are in its own ms.
 */
export class SimulatedEnvironment implements Environment {
  /** Set by `stop`: the process is gone. */
  stopped = false;
  /** Its queued timers, so that `stop` can drop them. */
  readonly live = new Set<SimulatedTimer>();
  private readonly createdAtMs: number;
  private readonly prng: Prng;

  constructor(
    private readonly simulator: Simulator,
    readonly name: string,
    private offsetMs: number,
    /** Local ms per true ms. */
    readonly rate: number,
    readonly seed: number,
  ) {
    this.createdAtMs = simulator.nowMs;
    this.prng = new Prng(seed);
  }

  readonly nowMs = (): number => Math.floor(SIMULATION_EPOCH_MS + this.offsetMs + this.simulator.nowMs * this.rate);

  readonly monotonicMs = (): number => (this.simulator.nowMs - this.createdAtMs) * this.rate;

  readonly setTimeout = (callback: () => void, delayMs: number): TimerHandle => this.schedule(callback, delayMs, false);

  readonly setInterval = (callback: () => void, intervalMs: number): TimerHandle => this.schedule(callback, intervalMs, true);

  readonly clearTimeout = (handle: TimerHandle | undefined): void => {
    if (handle instanceof SimulatedTimer) this.simulator.cancel(handle);
  };

  readonly clearInterval = this.clearTimeout;

  readonly defer = (callback: () => void): void => {
    if (!this.stopped) this.simulator.schedule(this, this.simulator.nowMs, callback);
  };

  readonly random = (): number => this.prng.next();

  /**
   * Its fault points: none unless the simulation sets them (a run's seeded choices), before the
   * process's code starts, so that what the code asks is answered from one seed.
   */
  faults: FaultPoints = NO_FAULTS;

  /**
   * What `exit` does besides stopping the process: the simulation that started it sets this (to
   * take the process down as a crash and record why). Without one, `exit` only stops it.
   */
  onExit: (code: number, reason: string) => void = () => undefined;

  /** The code and reason of its `exit`, once it exited on its own. */
  exited: { code: number; reason: string } | undefined;

  readonly exit = (code: number, reason: string): void => {
    if (this.stopped) return;
    this.exited = { code, reason };
    this.stop();
    this.onExit(code, reason);
  };

  /** Steps the wall clock (an operator or NTP setting it): `nowMs` jumps, the monotonic clock and timers do not. */
  setOffsetMs(offsetMs: number): void {
    this.offsetMs = offsetMs;
  }

  get clockOffsetMs(): number {
    return this.offsetMs;
  }

  /**
   * The process dies: its queued timers, intervals and deferred work never run, and whatever it
   * schedules from now on (a promise continuation still settling) is dropped.
   */
  stop(): void {
    this.stopped = true;
    for (const timer of [...this.live]) this.simulator.cancel(timer);
  }

  private schedule(callback: () => void, delayMs: number, repeat: boolean): SimulatedTimer {
    // Node's clamp: anything but a delay in [1, 2^31 - 1] ms is 1 ms.
    const localMs = delayMs >= 1 && delayMs <= TIMER_DELAY_MS_MAX ? delayMs : 1;
    const trueMs = localMs / this.rate;
    const timer = this.simulator.schedule(this, this.simulator.nowMs + trueMs, callback, repeat ? trueMs : undefined);
    if (this.stopped) this.simulator.cancel(timer);
    return timer;
  }
}
