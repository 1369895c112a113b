import { randomBytes } from 'node:crypto';
import { gcmOpen, gcmSealInto } from './aes-gcm';
import { NONCE_BYTES, TAG_BYTES } from './limits';

/**
 * A sealed value, as stored:
 *   [magic 0xE5][format 0x01][data key id u32][nonce 12][tag 16][ciphertext]
 * The first two bytes are the version of the value encoding. Values written before encryption was
 * turned on are stored as they were, and no plain value Triad writes starts with 0xE5 (records
 * start with a flags byte of 0 or 1, JSON with ASCII, log entries, peer generations and terms with
 * a big-endian u32 far below 0xE5000000, applied positions and hints with a positive float64 whose
 * first byte is at most 0x7F): so a value that does not start with the magic is a plain one, read
 * as is, and data written before encryption stays readable with no rewrite.
 */
export const SEALED_MAGIC = 0xe5;
export const SEALED_FORMAT_V1 = 0x01;
const KEY_ID_AT = 2;
const NONCE_AT = 6;
const TAG_AT = NONCE_AT + NONCE_BYTES;
/** Bytes sealing adds to a value. */
export const SEALED_OVERHEAD_BYTES = TAG_AT + TAG_BYTES;

/** Whether a stored value is sealed (else it is a value written in plain before encryption). */
export function isSealed(value: Buffer): boolean {
  return value.length >= SEALED_OVERHEAD_BYTES && value[0] === SEALED_MAGIC && value[1] === SEALED_FORMAT_V1;
}

/**
 * Seals and opens stored values under a keyring's data keys (AES-256-GCM), each bound to its
 * storage key as additional data so that a value copied under another key does not open.
 *
 * Nonces are never random: a nonce is [epoch u32][counter u64], where the epoch is the keyring's
 * open count (persisted before the first seal, so two runs of a node never share one) and the
 * counter starts at a random point and counts up. A nonce is thus never reused under a data key,
 * with no bound on how many values one key may seal (random 96-bit nonces would allow only 2^32
 * per key, a few days of a busy node); the random start keeps even a data directory restored from
 * a copy (which replays an epoch) from meeting the same nonces in practice.
 */
export class ValueSealer {
  private counterHigh: number;
  private counterLow: number;
  private readonly activeKey: Buffer;

  constructor(
    private readonly dataKeys: ReadonlyMap<number, Buffer>,
    private readonly activeKeyId: number,
    private readonly epoch: number,
  ) {
    const key = dataKeys.get(activeKeyId);
    if (!key) throw new Error(`the active data key ${activeKeyId} is not in the keyring`);
    this.activeKey = key;
    const start = randomBytes(8);
    this.counterHigh = start.readUInt32BE(0) >>> 1; // room to count for ever before wrapping
    this.counterLow = start.readUInt32BE(4);
  }

  /** The data key new values are sealed under. */
  get activeDataKeyId(): number {
    return this.activeKeyId;
  }

  seal(plaintext: Buffer, aad: Buffer): Buffer {
    const out = Buffer.allocUnsafe(SEALED_OVERHEAD_BYTES + plaintext.length);
    out[0] = SEALED_MAGIC;
    out[1] = SEALED_FORMAT_V1;
    out.writeUInt32BE(this.activeKeyId, KEY_ID_AT);
    const nonce = out.subarray(NONCE_AT, TAG_AT);
    nonce.writeUInt32BE(this.epoch >>> 0, 0);
    nonce.writeUInt32BE(this.counterHigh, 4);
    nonce.writeUInt32BE(this.counterLow, 8);
    if (this.counterLow === 0xffffffff) {
      this.counterLow = 0;
      this.counterHigh = (this.counterHigh + 1) >>> 0;
    } else {
      this.counterLow++;
    }
    gcmSealInto(this.activeKey, nonce, plaintext, aad, out, SEALED_OVERHEAD_BYTES, TAG_AT);
    return out;
  }

  /** The plaintext of a stored value: opened if sealed, as is if plain (written before encryption). Throws on changed or misplaced bytes. */
  open(stored: Buffer, aad: Buffer): Buffer {
    if (!isSealed(stored)) return stored;
    const keyId = stored.readUInt32BE(KEY_ID_AT);
    const key = this.dataKeys.get(keyId);
    if (!key) throw new Error(`a stored value was sealed under data key ${keyId}, which the keyring does not hold`);
    try {
      return gcmOpen(key, stored.subarray(NONCE_AT, TAG_AT), stored.subarray(SEALED_OVERHEAD_BYTES), stored.subarray(TAG_AT, SEALED_OVERHEAD_BYTES), aad);
    } catch {
      throw new Error(`a stored value does not open under data key ${keyId}: its bytes were changed or it was moved from another key`);
    }
  }
}
