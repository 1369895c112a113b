import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { MASTER_KEY_BYTES } from '@triad/encryption';
import { secureRandomBytes } from './secure-random';
import type { SecretSealer } from './secret-sealer';

/** AES-256-GCM: a 32-byte key, a 12-byte nonce (NIST SP 800-38D's recommended size), a 16-byte tag. */
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Sealed values start with this, so that a later format can be told apart. */
const FORMAT = 'v1';

/**
 * A SecretSealer under one master key with AES-256-GCM: `v1:<key id>:<base64 nonce|tag|ciphertext>`,
 * the context as additional authenticated data.
 */
export class MasterKeySealer implements SecretSealer {
  readonly keyId: string;

  constructor(private readonly masterKey: Buffer) {
    if (masterKey.length !== MASTER_KEY_BYTES) throw new Error(`a master key is ${MASTER_KEY_BYTES} bytes, got ${masterKey.length}`);
    // A fingerprint, not the key: names the key without helping anyone guess it.
    this.keyId = createHash('sha256').update('triad master key id\n').update(masterKey).digest('hex').slice(0, 16);
  }

  seal(plaintext: Buffer, context: string): string {
    const nonce = secureRandomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return `${FORMAT}:${this.keyId}:${Buffer.concat([nonce, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  open(sealed: string, context: string): Buffer {
    const [format, keyId, data] = sealed.split(':');
    if (format !== FORMAT || data === undefined) throw new Error('not a sealed value');
    if (keyId !== this.keyId) throw new Error(`sealed under master key ${keyId}, not ${this.keyId}`);
    const bytes = Buffer.from(data, 'base64');
    if (bytes.length < NONCE_BYTES + TAG_BYTES) throw new Error('sealed value too short');
    const decipher = createDecipheriv('aes-256-gcm', this.masterKey, bytes.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(bytes.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]);
  }
}
