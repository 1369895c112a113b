import { randomBytes } from 'node:crypto';
import { gcmOpen, gcmSeal } from './aes-gcm';
import type { KeyProvider, WrappedKey } from './key-provider';
import { NONCE_BYTES, TAG_BYTES } from './limits';
import { masterKeyId, readMasterKeyFile } from './master-key';

/**
 * The default key provider: master keys in local files (a Kubernetes Secret mounted as a file, or
 * the local cluster's `data/master.key`). Wraps with AES-256-GCM under the current key; unwraps
 * with whichever of its keys wrapped (the current one, or previous ones given for a rotation).
 * Wrapped form: base64 of nonce ‖ tag ‖ ciphertext, the context as additional data.
 */
export class FileKeyProvider implements KeyProvider {
  readonly description: string;
  readonly currentKeyId: string;
  private readonly keys = new Map<string, Buffer>();

  constructor(current: Buffer, previous: readonly Buffer[] = [], description = 'a master key') {
    this.description = description;
    this.currentKeyId = masterKeyId(current);
    for (const key of [current, ...previous]) this.keys.set(masterKeyId(key), key);
  }

  /** A provider over key files: `current` wraps, `previous` (old keys during a rotation) only unwrap. */
  static fromFiles(current: string, previous: readonly string[] = []): FileKeyProvider {
    return new FileKeyProvider(readMasterKeyFile(current), previous.map(readMasterKeyFile), `key file ${current}`);
  }

  async wrap(dataKey: Buffer, context: string): Promise<WrappedKey> {
    const nonce = randomBytes(NONCE_BYTES);
    const { ciphertext, tag } = gcmSeal(this.keys.get(this.currentKeyId)!, nonce, dataKey, Buffer.from(context, 'utf8'));
    return { masterKeyId: this.currentKeyId, ciphertext: Buffer.concat([nonce, tag, ciphertext]).toString('base64') };
  }

  async unwrap(wrapped: WrappedKey, context: string): Promise<Buffer> {
    const key = this.keys.get(wrapped.masterKeyId);
    if (!key) throw new Error(`the data key was wrapped by master key ${wrapped.masterKeyId}, which ${this.description} is not (it is ${this.currentKeyId})`);
    const bytes = Buffer.from(wrapped.ciphertext, 'base64');
    if (bytes.length < NONCE_BYTES + TAG_BYTES) throw new Error('a wrapped data key is too short');
    try {
      return gcmOpen(key, bytes.subarray(0, NONCE_BYTES), bytes.subarray(NONCE_BYTES + TAG_BYTES), bytes.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES), Buffer.from(context, 'utf8'));
    } catch {
      throw new Error(`a wrapped data key does not open under master key ${wrapped.masterKeyId}: changed bytes or another context`);
    }
  }
}
