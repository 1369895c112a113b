/**
 * Non-cryptographic hashes for the Merkle trees, built from 32-bit multiply/rotate steps
 * (`Math.imul`) so that they run without BigInt. Replicas never trust each other's digests for
 * security, only to notice accidental divergence, so a well-mixed hash is enough; what matters is
 * that the same bytes give the same digest on every node and every version of this code.
 * Changing anything here changes every persisted digest: treat these constants as a file format.
 */

/**
 * Bound once: a global lookup per call is slow where `Math` sits behind a sandbox's global object
 * (jest's vm contexts), and this runs on every write.
 */
const imul = Math.imul;

/** A digest is four 32-bit lanes (128 bits), kept unsigned. */
export const DIGEST_LANES = 4;

/*
 * Each lane folds 32-bit words in with multiply-rotate-multiply, then rotates and stirs itself.
 * The lanes use different odd multipliers (from the golden ratio and well-known mixing
 * constants), rotations and increments, so that an input difference that cancels in one lane
 * does not cancel in the others. The constants are written inline, one function per lane, so
 * that the JIT compiles each step to a handful of integer instructions.
 */

function mix0(h: number, w: number): number {
  let k = imul(w, 0x9e3779b1);
  k = imul((k << 15) | (k >>> 17), 0x165667b1);
  h ^= k;
  return (imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
}

function mix1(h: number, w: number): number {
  let k = imul(w, 0x85ebca77);
  k = imul((k << 13) | (k >>> 19), 0xcc9e2d51);
  h ^= k;
  return (imul((h << 15) | (h >>> 17), 5) + 0x0bcaa747) | 0;
}

function mix2(h: number, w: number): number {
  let k = imul(w, 0xc2b2ae3d);
  k = imul((k << 17) | (k >>> 15), 0x1b873593);
  h ^= k;
  return (imul((h << 11) | (h >>> 21), 5) + 0x96cd1c35) | 0;
}

function mix3(h: number, w: number): number {
  let k = imul(w, 0x27d4eb2f);
  k = imul((k << 11) | (k >>> 21), 0xe6546b63);
  h ^= k;
  return (imul((h << 17) | (h >>> 15), 5) + 0x32ac3b17) | 0;
}

/** Initial lane values (digits of pi): distinct, so that the four lanes start apart. */
const SEED0 = 0x243f6a88 | 0;
const SEED1 = 0x85a308d3 | 0;
const SEED2 = 0x13198a2e | 0;
const SEED3 = 0x03707344 | 0;

/** Seed of the bucket hash, chosen apart from the lane seeds and from the ring's FNV basis. */
const BUCKET_SEED = 0x6a09e667 | 0;

/** A 32-bit avalanche finaliser: every input bit affects every output bit. */
function avalanche32(h: number): number {
  h ^= h >>> 16;
  h = imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Reads 4 bytes little-endian at `i`, zero-padding past the end. */
function wordAt(bytes: Uint8Array, i: number): number {
  if (i + 4 <= bytes.length) return bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
  let w = 0;
  for (let j = 0; i + j < bytes.length; j++) w |= bytes[i + j] << (8 * j);
  return w;
}

/**
 * The 32-bit hash that assigns keys to buckets. It is deliberately unrelated to the hash that
 * assigns keys to partitions (@triad/ring's FNV-1a): all keys of one partition share the top bits
 * of that hash, so reusing it here would put a whole partition into a single bucket.
 */
export function bucketHash32(key: Uint8Array): number {
  let h = BUCKET_SEED;
  for (let i = 0; i < key.length; i += 4) h = mix1(h, wordAt(key, i));
  h = mix1(h, key.length);
  return avalanche32(h);
}

function splitHigh(x: number): number {
  return (x / 0x100000000) | 0;
}

/**
 * The 128-bit digest of one record version: H(key ‖ term ‖ seq ‖ tombstone ‖ key length), written
 * into `out` (four lanes). The key length closes the zero-padded tail, so distinct inputs never
 * feed the same words.
 */
export function recordDigestInto(key: Uint8Array, term: number, seq: number, tombstone: boolean, out: Uint32Array): Uint32Array {
  let h0 = SEED0;
  let h1 = SEED1;
  let h2 = SEED2;
  let h3 = SEED3;
  const n = key.length;
  for (let i = 0; i < n; i += 4) {
    const w = wordAt(key, i);
    h0 = mix0(h0, w);
    h1 = mix1(h1, w);
    h2 = mix2(h2, w);
    h3 = mix3(h3, w);
  }
  for (let t = 0; t < TRAILER_WORDS; t++) {
    const w = t === 0 ? splitHigh(term) : t === 1 ? term | 0 : t === 2 ? splitHigh(seq) : t === 3 ? seq | 0 : t === 4 ? (tombstone ? 1 : 0) : n;
    h0 = mix0(h0, w);
    h1 = mix1(h1, w);
    h2 = mix2(h2, w);
    h3 = mix3(h3, w);
  }
  finishInto(h0, h1, h2, h3, out);
  return out;
}
/** term high, term low, seq high, seq low, tombstone, key length. */
const TRAILER_WORDS = 6;

/** Cross-mixes the four lanes so that each output lane depends on all of them. */
function finishInto(h0: number, h1: number, h2: number, h3: number, out: Uint32Array): void {
  h0 = (h0 + h1 + h2 + h3) | 0;
  h1 = (h1 + h0) | 0;
  h2 = (h2 + h0) | 0;
  h3 = (h3 + h0) | 0;
  h0 = avalanche32(h0);
  h1 = avalanche32(h1 ^ 0x5be0cd19);
  h2 = avalanche32(h2 ^ 0x1f83d9ab);
  h3 = avalanche32(h3 ^ 0x9b05688c);
  h0 = (h0 + h1 + h2 + h3) | 0;
  out[0] = h0 >>> 0;
  out[1] = (h1 + h0) >>> 0;
  out[2] = (h2 + h0) >>> 0;
  out[3] = (h3 + h0) >>> 0;
}

/**
 * The digest of an internal node from its two children's digests (each four lanes, at `leftAt`
 * and `rightAt` in `children`). An internal node whose children are both empty (all zero) is
 * empty too, so untouched subtrees cost nothing to compare and are recognisable on the wire.
 */
export function combineInto(children: Uint32Array, leftAt: number, rightAt: number, out: Uint32Array, outAt: number): void {
  let empty = true;
  for (let i = 0; i < DIGEST_LANES; i++) {
    if (children[leftAt + i] !== 0 || children[rightAt + i] !== 0) empty = false;
  }
  if (empty) {
    for (let i = 0; i < DIGEST_LANES; i++) out[outAt + i] = 0;
    return;
  }
  let h0 = SEED3;
  let h1 = SEED2;
  let h2 = SEED1;
  let h3 = SEED0;
  for (let i = 0; i < 2 * DIGEST_LANES; i++) {
    const w = i < DIGEST_LANES ? children[leftAt + i] : children[rightAt + i - DIGEST_LANES];
    h0 = mix0(h0, w);
    h1 = mix1(h1, w);
    h2 = mix2(h2, w);
    h3 = mix3(h3, w);
  }
  const scratch = combineScratch;
  finishInto(h0, h1, h2, h3, scratch);
  for (let i = 0; i < DIGEST_LANES; i++) out[outAt + i] = scratch[i];
}
const combineScratch = new Uint32Array(DIGEST_LANES);

/** Two hex digits for every byte value, so that formatting a digest is 16 lookups. */
const BYTE_HEX: string[] = Array.from({ length: 256 }, (_, b) => (b < 16 ? '0' : '') + b.toString(16));

/** Lanes as 32 lowercase hex digits, lane 0 first, each big-endian: the form digests travel in. */
export function digestToHex(lanes: Uint32Array, at: number): string {
  let s = '';
  for (let i = 0; i < DIGEST_LANES; i++) {
    const v = lanes[at + i];
    s += BYTE_HEX[v >>> 24] + BYTE_HEX[(v >>> 16) & 0xff] + BYTE_HEX[(v >>> 8) & 0xff] + BYTE_HEX[v & 0xff];
  }
  return s;
}

/** The digest of an empty leaf or subtree. */
export const EMPTY_DIGEST = '0'.repeat(DIGEST_LANES * 8);
