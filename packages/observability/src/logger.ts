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
  return winston.createLogger({
    level,
    defaultMeta: identity,
    format: winston.format.combine(winston.format.timestamp({ format: () => new Date(clock.nowMs()).toISOString() }), winston.format.json()),
    // stderr keeps stdout free for the launcher's "ready" line.
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}

export type Logger = winston.Logger;
