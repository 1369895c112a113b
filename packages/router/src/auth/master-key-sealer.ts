import { createCipheriv, createDecipheriv } from 'node:crypto';
import { MASTER_KEY_BYTES, masterKeyId } from '@triad/encryption';
import { secureRandomBytes } from './secure-random';
import { sealedKeyId } from './master-key-rotation';
import type { SecretSealer } from './secret-sealer';

/** AES-256-GCM: a 32-byte key, a 12-byte nonce (NIST SP 800-38D's recommended size), a 16-byte tag. */
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Sealed values start with this, so that a later format can be told apart (master-key-rotation.ts reads it too). */
const FORMAT = 'v1';

/** The parts of `v1:<key id>:<base64>`, or undefined when the text is not in that format. */
function parseSealed(sealed: string): { keyId: string; data: string } | undefined {
  const keyId = sealedKeyId(sealed);
  return keyId === undefined ? undefined : { keyId, data: sealed.slice(FORMAT.length + keyId.length + 2) };
}

/**
 * A SecretSealer with AES-256-GCM: `v1:<key id>:<base64 nonce|tag|ciphertext>`, the context as
 * additional authenticated data. Seals under the current master key; opens under the current one
 * or any previous one given (a rotation under way: `--previous-master-key-file`), chosen by the key
 * id stored in the value. The id is the key's fingerprint (`masterKeyId`, the same id encryption at
 * rest shows for the same file), not the key.
 */
export class MasterKeySealer implements SecretSealer {
  readonly keyId: string;
  readonly previousKeyIds: readonly string[];
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly masterKey: Buffer, previous: readonly Buffer[] = []) {
    for (const key of [masterKey, ...previous]) {
      if (key.length !== MASTER_KEY_BYTES) throw new Error(`a master key is ${MASTER_KEY_BYTES} bytes, got ${key.length}`);
    }
    this.keyId = masterKeyId(masterKey);
    this.keys.set(this.keyId, masterKey);
    for (const key of previous) {
      const id = masterKeyId(key);
      // The current key given again as previous (a half-finished Secret update) is harmless: it stays current.
      if (!this.keys.has(id)) this.keys.set(id, key);
    }
    this.previousKeyIds = [...this.keys.keys()].filter((id) => id !== this.keyId);
  }

  sealedKeyId(sealed: string): string | undefined {
    return sealedKeyId(sealed);
  }

  seal(plaintext: Buffer, context: string): string {
    const nonce = secureRandomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return `${FORMAT}:${this.keyId}:${Buffer.concat([nonce, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  open(sealed: string, context: string): Buffer {
    const parts = parseSealed(sealed);
    if (!parts) throw new Error('not a sealed value');
    const key = this.keys.get(parts.keyId);
    if (!key) {
      const held = [this.keyId, ...this.previousKeyIds].join(', ');
      throw new Error(`sealed under master key ${parts.keyId}, which this router does not hold (it holds ${held})`);
    }
    const bytes = Buffer.from(parts.data, 'base64');
    if (bytes.length < NONCE_BYTES + TAG_BYTES) throw new Error('sealed value too short');
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(bytes.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]);
  }
}
