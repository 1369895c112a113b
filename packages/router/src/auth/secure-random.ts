import { randomBytes } from 'node:crypto';

/**
 * Unpredictable bytes for secrets: new access keys and AES-GCM nonces. Not the Environment's
 * `random()` (a simulator's is seeded and replayable, which a secret must never be); no decision
 * of the cluster depends on these bytes, so a simulated run stays deterministic.
 */
export function secureRandomBytes(length: number): Buffer {
  return randomBytes(length);
}
