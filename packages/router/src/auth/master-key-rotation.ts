/**
 * Master key rotation of access keys' secrets, as pure decisions (no I/O, no key material): which
 * master key a sealed secret names, whether this router seals, only opens, or cannot open it, and
 * which secrets a refresh should re-seal under the current key. The store does the writing.
 */

/** Sealed values are `v1:<master key id>:<base64>` (master-key-sealer.ts). */
const SEALED_FORMAT = 'v1';

/** The master key id a sealed value names (read from its prefix, no key needed); undefined if it is not a sealed value. */
export function sealedKeyId(sealed: string): string | undefined {
  const [format, keyId, data, ...rest] = sealed.split(':');
  if (format !== SEALED_FORMAT || !keyId || data === undefined || rest.length > 0) return undefined;
  return keyId;
}

/** The master keys a router holds, by id: the current one seals, the previous ones only open. */
export interface HeldMasterKeys {
  keyId: string;
  previousKeyIds: readonly string[];
}

/**
 * Where a secret stands against a router's keys: under its `current` key (nothing to do), under a
 * `previous` one (to re-seal), or under a key it does not hold (`unknown`: it cannot open it).
 */
export type SealState = 'current' | 'previous' | 'unknown';

export const SEAL_STATES: readonly SealState[] = ['current', 'previous', 'unknown'];

export function sealState(sealed: string, keys: HeldMasterKeys | undefined): SealState {
  const id = sealedKeyId(sealed);
  if (!keys || id === undefined) return 'unknown';
  if (id === keys.keyId) return 'current';
  return keys.previousKeyIds.includes(id) ? 'previous' : 'unknown';
}

/** How many secrets stand in each state: the rotation is done when `previous` is 0 on every router. */
export function countBySealState(sealedSecrets: Iterable<string>, keys: HeldMasterKeys | undefined): Record<SealState, number> {
  const counts: Record<SealState, number> = { current: 0, previous: 0, unknown: 0 };
  for (const sealed of sealedSecrets) counts[sealState(sealed, keys)]++;
  return counts;
}

/**
 * The secrets a refresh re-seals under the current key: those under a previous key that this
 * router opened, at most `limit` (sorted by key id, so routers racing pick the same ones and one
 * write wins rather than each rewriting a different batch).
 */
export function secretsToReseal<T extends { accessKeyId: string; sealedSecret: string; opened: boolean }>(
  entries: Iterable<T>,
  keys: HeldMasterKeys | undefined,
  limit: number,
): T[] {
  if (!keys || keys.previousKeyIds.length === 0) return [];
  return [...entries]
    .filter((e) => e.opened && sealState(e.sealedSecret, keys) === 'previous')
    .sort((a, b) => (a.accessKeyId < b.accessKeyId ? -1 : a.accessKeyId > b.accessKeyId ? 1 : 0))
    .slice(0, limit);
}
