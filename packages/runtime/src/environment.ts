import type { FaultPoints } from './fault-points';

/**
 * What a process takes from the machine it runs on: its clocks, its timers and its randomness.
 * Production code reads none of Node's globals for these (`Date.now`, `performance.now`,
 * `setTimeout`, `setInterval`, `setImmediate`, `Math.random`); it is handed an `Environment` at
 * construction instead: `realEnvironment` in a process, a `SimulatedEnvironment` when a simulator
 * runs many processes in one, on virtual time and from one seed.
 *
 * Every method may be called detached from its object (`const now = env.monotonicMs`), as Node's
 * globals can: implementations do not rely on `this`.
 */
export interface Environment {
  /**
   * Milliseconds since the epoch on this process's wall clock (Date.now semantics: may jump when
   * the clock is set, may differ between processes). For what is stamped into data or logs and
   * compared across processes: versions, hint times, creation dates.
   */
  nowMs(): number;
  /**
   * Milliseconds on a monotonic clock (performance.now semantics: fractional, never goes back,
   * starts near 0 when the process starts, unrelated between processes). For durations, deadlines,
   * timeouts and leases.
   */
  monotonicMs(): number;
  /** Runs `callback` once, `delayMs` from now on the monotonic clock (at least 1 ms, as Node does). */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  /** Cancels a timeout (or an interval); nothing happens for an undefined or a finished one. */
  clearTimeout(handle: TimerHandle | undefined): void;
  /** Runs `callback` every `intervalMs` (at least 1 ms) until cleared. */
  setInterval(callback: () => void, intervalMs: number): TimerHandle;
  /** Cancels an interval (or a timeout). */
  clearInterval(handle: TimerHandle | undefined): void;
  /**
   * Runs `callback` soon, after the work in hand and the promise continuations it started
   * (setImmediate semantics): lets requests that arrive together be handled together.
   */
  defer(callback: () => void): void;
  /** Uniform in [0, 1) (Math.random semantics; not for secrets). */
  random(): number;
  /**
   * The process's fault points (fault-points.ts): `NO_FAULTS` in a real process, the seed's
   * choices in a simulated one. Not a method: read it as `env.faults.delayMs(point)`.
   */
  readonly faults: FaultPoints;
  /**
   * Ends the process at once (process.exit semantics), after a failure it cannot recover from and
   * has logged: memory ahead of its disk, a committed entry it cannot apply. In a simulator the
   * simulated process dies as with kill -9 and the run fails, naming `reason`: a process that
   * exits on its own is always a finding there, never the end of the simulation.
   */
  exit(code: number, reason: string): void;
}

/** A pending timer, as Node's `Timeout` is one. */
export interface TimerHandle {
  /**
   * Does not keep the process alive (Node), or a simulator's `runUntilIdle` running: for
   * background work that has no reason of its own to keep a process up.
   */
  unref(): this;
  /** Undoes `unref`. */
  ref(): this;
}
