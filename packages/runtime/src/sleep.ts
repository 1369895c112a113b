import type { Environment } from './environment';

/** Resolves after `ms` on the environment's clock (a pause between retries, polls and the like). */
export function sleep(env: Pick<Environment, 'setTimeout'>, ms: number): Promise<void> {
  return new Promise((resolve) => void env.setTimeout(resolve, ms));
}
