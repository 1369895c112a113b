import { ValidationException } from '@triad/model';
import {
  ACCESS_KEY_ID_CHARS_MAX,
  ACCESS_KEY_ID_CHARS_MIN,
  ACCESS_KEY_NAME_CHARS_MAX,
  SECRET_ACCESS_KEY_CHARS_MAX,
  SECRET_ACCESS_KEY_CHARS_MIN,
} from './auth-limits';
import { secureRandomBytes } from './secure-random';

/** An access key as the catalog holds it: the secret only sealed (see SecretSealer). */
export interface AccessKeyRecord {
  accessKeyId: string;
  name: string;
  enabled: boolean;
  /** An admin key may manage access keys. */
  admin: boolean;
  /** ISO 8601, when the key was created. */
  createdAt: string;
  /** Who made it: `triad keys create` (api), or a credentials file or environment the router read (seed). */
  source: 'api' | 'seed';
  /** The secret sealed under the master key, bound to the key id. */
  sealedSecret: string;
  /**
   * IAM-style identity policies attached to the key (`triad keys policy put`), by name. A key
   * without any may use every DynamoDB operation; with some, only what they allow (docs/security.md).
   */
  policies?: AttachedPolicy[];
}

export interface AttachedPolicy {
  name: string;
  /** The policy document as given (JSON text), checked by `parsePolicyDocument` when attached. */
  document: string;
}

/** What `triad keys list` shows: never the secret, sealed or not. */
export type AccessKeyInfo = Omit<AccessKeyRecord, 'sealedSecret'>;

export function publicInfo(record: AccessKeyRecord): AccessKeyInfo {
  const { sealedSecret: _, ...info } = record;
  return info;
}

/** Key ids as IAM spells them: upper-case letters and digits (and '_', which some tools use in test keys). */
const ACCESS_KEY_ID_PATTERN = /^[A-Za-z0-9_]+$/;
/** Secrets: printable ASCII without spaces (IAM's are base64: letters, digits, '+', '/'). */
const SECRET_PATTERN = /^[\x21-\x7e]+$/;

export function checkAccessKeyId(id: string): void {
  if (id.length < ACCESS_KEY_ID_CHARS_MIN || id.length > ACCESS_KEY_ID_CHARS_MAX || !ACCESS_KEY_ID_PATTERN.test(id)) {
    throw new ValidationException(
      `An access key id is ${ACCESS_KEY_ID_CHARS_MIN} to ${ACCESS_KEY_ID_CHARS_MAX} letters, digits or '_'; got '${id.slice(0, ACCESS_KEY_ID_CHARS_MAX)}'`,
    );
  }
}

export function checkSecret(secret: string): void {
  if (secret.length < SECRET_ACCESS_KEY_CHARS_MIN || secret.length > SECRET_ACCESS_KEY_CHARS_MAX || !SECRET_PATTERN.test(secret)) {
    throw new ValidationException(
      `A secret access key is ${SECRET_ACCESS_KEY_CHARS_MIN} to ${SECRET_ACCESS_KEY_CHARS_MAX} printable characters without spaces`,
    );
  }
}

export function checkName(name: string): void {
  if (name.length === 0 || name.length > ACCESS_KEY_NAME_CHARS_MAX || /[\x00-\x1f]/.test(name)) {
    throw new ValidationException(`A key name is 1 to ${ACCESS_KEY_NAME_CHARS_MAX} characters without control characters`);
  }
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A new key id: "TRIA" and 16 random base-32 characters (20 in all, as IAM's AKIA… ids). */
export function newAccessKeyId(): string {
  return `TRIA${Array.from(secureRandomBytes(16), (b) => BASE32[b % 32]).join('')}`;
}

/** A new secret: 40 base64 characters (30 random bytes), as IAM's. */
export function newSecretAccessKey(): string {
  return secureRandomBytes(30).toString('base64');
}
