import winston from 'winston';
import { wallClockMs } from './wall-clock';

export interface ProcessIdentity {
  nodeId: string;
  zone: string;
  role: 'router' | 'storage' | 'launcher';
}

/** One JSON line per event, every line tagged with the process's node id, zone and role, and timed by its wall clock (wall-clock.ts). */
export function createLogger(identity: ProcessIdentity, level = process.env.TRIAD_LOG_LEVEL ?? 'info'): winston.Logger {
  return winston.createLogger({
    level,
    defaultMeta: identity,
    format: winston.format.combine(winston.format.timestamp({ format: () => new Date(wallClockMs()).toISOString() }), winston.format.json()),
    // stderr keeps stdout free for the launcher's "ready" line.
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}

export type Logger = winston.Logger;
