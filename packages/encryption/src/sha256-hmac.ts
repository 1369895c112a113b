import { hash } from 'node:crypto';

/** SHA-256's block size: HMAC pads its key to one block. */
const SHA256_BLOCK_BYTES = 64;
const INNER_PAD = 0x36;
const OUTER_PAD = 0x5c;

/**
 * An HMAC-SHA256 key (RFC 2104) whose padded inner and outer keys are computed once. Node's
 * createHmac builds a key object on every call, which costs several times the two hashes
 * themselves; a SigV4 signer or verifier runs one HMAC per request with a key that changes once a day.
 */
export class Sha256HmacKey {
  private readonly innerKey = Buffer.alloc(SHA256_BLOCK_BYTES, INNER_PAD);
  private readonly outerKey = Buffer.alloc(SHA256_BLOCK_BYTES, OUTER_PAD);

  constructor(key: Buffer | string) {
    let bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
    if (bytes.length > SHA256_BLOCK_BYTES) bytes = hash('sha256', bytes, 'buffer');
    for (let i = 0; i < bytes.length; i++) {
      this.innerKey[i] ^= bytes[i];
      this.outerKey[i] ^= bytes[i];
    }
  }

  /** HMAC-SHA256 of the UTF-8 bytes of `data` (or the bytes given). */
  digest(data: string | Buffer): Buffer {
    const message = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const inner = hash('sha256', Buffer.concat([this.innerKey, message]), 'buffer');
    return hash('sha256', Buffer.concat([this.outerKey, inner]), 'buffer');
  }
}

/** Hex SHA-256 of a string's UTF-8 bytes or of bytes (one call, no Hash object). */
export function sha256Hex(data: string | Buffer): string {
  return hash('sha256', data, 'hex');
}
