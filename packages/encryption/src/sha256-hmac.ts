import { hash } from 'node:crypto';

/** SHA-256's block size: HMAC pads its key to one block. */
const SHA256_BLOCK_BYTES = 64;
const SHA256_DIGEST_BYTES = 32;
const INNER_PAD = 0x36;
const OUTER_PAD = 0x5c;
/**
 * Messages up to this many bytes are hashed from one buffer reused by every key (SigV4's strings
 * to sign are ~150 bytes); longer ones get a buffer of their own.
 */
const SCRATCH_MESSAGE_BYTES_MAX = 4096;

/**
 * The inner hash's input (padded key, then the message) and the outer one's (padded key, then the
 * inner digest), reused: digests run synchronously on one thread, so no two use them at once.
 */
const innerScratch = Buffer.allocUnsafe(SHA256_BLOCK_BYTES + SCRATCH_MESSAGE_BYTES_MAX);
const outerScratch = Buffer.allocUnsafe(SHA256_BLOCK_BYTES + SHA256_DIGEST_BYTES);
/** The last view of `innerScratch` hashed: a signer's or verifier's strings to sign are all as long for a day. */
let lastInnerView = innerScratch.subarray(0, 0);

function innerView(bytes: number): Buffer {
  if (lastInnerView.length !== bytes) lastInnerView = innerScratch.subarray(0, bytes);
  return lastInnerView;
}

/** The key whose padded keys the scratch buffers start with (a verifier or signer uses one key for a run of requests). */
let scratchKey: Sha256HmacKey | undefined;

/**
 * An HMAC-SHA256 key (RFC 2104) whose padded inner and outer keys are computed once. Node's
 * createHmac builds a key object on every call, which costs several times the two hashes
 * themselves; a SigV4 signer or verifier runs one HMAC per request with a key that changes once a day.
 *
 * The two hashes are one-shot `crypto.hash` calls asked for a latin1 string (one char per byte):
 * in Node 20-22 asking it for a Buffer costs about three times as much (~1.4 µs against ~0.5 µs).
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
    return Buffer.from(this.digestAs(data, 'binary'), 'latin1');
  }

  /** The same, as 64 lower-case hex digits (a SigV4 signature). */
  digestHex(data: string | Buffer): string {
    return this.digestAs(data, 'hex');
  }

  /** 'binary' is Node's other name for latin1 (the one @types/node lists for crypto.hash). */
  private digestAs(data: string | Buffer, encoding: 'hex' | 'binary'): string {
    let inner: string;
    // A string's UTF-8 takes at most 3 bytes per UTF-16 unit: the bound is checked without counting.
    const fits = typeof data === 'string' ? data.length * 3 <= SCRATCH_MESSAGE_BYTES_MAX : data.length <= SCRATCH_MESSAGE_BYTES_MAX;
    if (scratchKey !== this) {
      this.innerKey.copy(innerScratch, 0);
      this.outerKey.copy(outerScratch, 0);
      scratchKey = this;
    }
    if (fits) {
      const length = typeof data === 'string' ? innerScratch.write(data, SHA256_BLOCK_BYTES, 'utf8') : data.copy(innerScratch, SHA256_BLOCK_BYTES);
      inner = hash('sha256', innerView(SHA256_BLOCK_BYTES + length), 'binary');
    } else {
      const message = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      inner = hash('sha256', Buffer.concat([this.innerKey, message]), 'binary');
    }
    outerScratch.write(inner, SHA256_BLOCK_BYTES, 'latin1');
    return hash('sha256', outerScratch, encoding);
  }
}

/** Hex SHA-256 of a string's UTF-8 bytes or of bytes (one call, no Hash object). */
export function sha256Hex(data: string | Buffer): string {
  return hash('sha256', data, 'hex');
}
