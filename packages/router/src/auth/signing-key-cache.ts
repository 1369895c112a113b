import { Sha256HmacKey } from '@triad/encryption';
import { SIGNING_KEY_CACHE_ENTRIES_MAX } from './auth-limits';
import { SCOPE_TERMINATOR, hmac } from './sigv4-encoding';

/** SigV4's derived key: HMAC chain of "AWS4"+secret over date, region, service and "aws4_request". */
export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), SCOPE_TERMINATOR);
}

interface Entry {
  /** The secret the key was derived from: a rotated secret must not meet the old key. */
  secret: string;
  key: Sha256HmacKey;
}

/**
 * Derived signing keys by access key, day, region and service (four HMACs saved per request, as AWS
 * intends: the key changes once a day). Bounded, least recently used dropped first.
 */
export class SigningKeyCache {
  private readonly entries = new Map<string, Entry>();
  /** The id of the entry at the end of `entries` (the most recently used). */
  private lastUsed: string | undefined;
  /** What the last lookup asked and got: a client's run of requests asks the same, and needs no id built. */
  private last: { accessKeyId: string; secret: string; date: string; region: string; service: string; key: Sha256HmacKey } | undefined;

  constructor(private readonly capacity = SIGNING_KEY_CACHE_ENTRIES_MAX) {}

  get size(): number {
    return this.entries.size;
  }

  signingKey(accessKeyId: string, secret: string, date: string, region: string, service: string): Sha256HmacKey {
    const last = this.last;
    if (last && last.accessKeyId === accessKeyId && last.secret === secret && last.date === date && last.region === region && last.service === service) return last.key;
    const key = this.lookUp(accessKeyId, secret, date, region, service);
    this.last = { accessKeyId, secret, date, region, service, key };
    return key;
  }

  private lookUp(accessKeyId: string, secret: string, date: string, region: string, service: string): Sha256HmacKey {
    const id = `${accessKeyId}/${date}/${region}/${service}`;
    const hit = this.entries.get(id);
    if (hit && hit.secret === secret) {
      // Map order is insertion order: moving the entry to the end keeps the least recent first
      // (nothing to move when it is the last used already, as it is for a client's run of requests).
      if (this.lastUsed !== id) {
        this.entries.delete(id);
        this.entries.set(id, hit);
        this.lastUsed = id;
      }
      return hit.key;
    }
    const key = new Sha256HmacKey(deriveSigningKey(secret, date, region, service));
    this.entries.delete(id);
    this.entries.set(id, { secret, key });
    this.lastUsed = id;
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return key;
  }

  /** Forgets a key's derived keys (disabled, deleted, or its secret replaced). */
  forget(accessKeyId: string): void {
    for (const id of [...this.entries.keys()]) if (id.startsWith(`${accessKeyId}/`)) this.entries.delete(id);
    this.lastUsed = undefined;
    this.last = undefined;
  }
}
