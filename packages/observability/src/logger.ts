import winston from 'winston';
import { realEnvironment, type Environment } from '@triad/runtime';

export interface ProcessIdentity {
  nodeId: string;
  zone: string;
  role: 'router' | 'storage' | 'launcher';
}

/**
 * One JSON line per event, every line tagged with the process's node id, zone and role, and timed
 * by its wall clock (`clock.nowMs()`: TRIAD_CLOCK_OFFSET_MS shifts it in chaos runs; a simulated
 * process's clock in the simulator).
 */
export function createLogger(
  identity: ProcessIdentity,
  level = process.env.TRIAD_LOG_LEVEL ?? 'info',
  clock: Pick<Environment, 'nowMs'> = realEnvironment,
): winston.Logger {
  const logger = winston.createLogger({
    level,
    defaultMeta: identity,
    format: winston.format.combine(winston.format.timestamp({ format: () => new Date(clock.nowMs()).toISOString() }), winston.format.json()),
    // stderr keeps stdout free for the launcher's "ready" line.
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
  skipDisabledLevels(logger);
  return logger;
}

/**
 * winston timestamps and serializes every line, through two streams, before its transport drops
 * one below the level: `log.debug(...)` on a hot path cost as much as writing it (a twentieth of
 * a simulated seed's CPU). Each level's method now asks `isLevelEnabled` first (which follows later
 * changes of `level`, and child loggers, whose prototype is this logger).
 */
function skipDisabledLevels(logger: winston.Logger): void {
  const methods = logger as unknown as Record<string, (...args: unknown[]) => winston.Logger>;
  for (const level of Object.keys(logger.levels)) {
    const write = methods[level];
    if (typeof write !== 'function') continue;
    methods[level] = function (this: winston.Logger | undefined, ...args: unknown[]) {
      const self = this ?? logger;
      return self.isLevelEnabled(level) ? write.apply(self, args) : self;
    };
  }
}

export type Logger = winston.Logger;
