import type { Environment } from './environment';

/**
 * `bytes` random bytes as lower-case hex, from the environment's randomness: identifiers that need
 * to be unique (table and index ids), not secret, and that a simulation replays from its seed.
 */
export function randomHex(env: Pick<Environment, 'random'>, bytes: number): string {
  let hex = '';
  for (let i = 0; i < bytes; i++) hex += Math.floor(env.random() * 256).toString(16).padStart(2, '0');
  return hex;
}
