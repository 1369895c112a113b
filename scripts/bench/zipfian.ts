/**
 * Key choosers for the YCSB-style benchmark.
 *
 * The zipfian generator follows the algorithm YCSB uses ("Quickly Generating
 * Billion-Record Synthetic Databases", Gray et al., SIGMOD 1994): constant
 * theta = 0.99, closed-form inverse with the precomputed zeta(n, theta).
 *
 * The scrambled variant mirrors YCSB's ScrambledZipfianGenerator: it draws from
 * a zipfian over a huge fixed item space (10^10 items, whose zeta for theta =
 * 0.99 YCSB hard-codes) and maps the draw onto [0, itemCount) with a 64-bit
 * FNV-1 hash modulo itemCount. The popularity skew is kept, but the hot keys are
 * spread across the key space instead of being the lowest-numbered ones.
 *
 * Everything here runs once per operation, so it is written to avoid BigInt
 * and allocations: the 64-bit FNV arithmetic is done on two 32-bit halves.
 */

export const YCSB_ZIPFIAN_CONSTANT = 0.99;
/** Item space of YCSB's ScrambledZipfianGenerator. */
export const SCRAMBLED_ITEM_SPACE = 10_000_000_000;
/** zeta(10^10, 0.99), as hard-coded by YCSB. */
export const SCRAMBLED_ZETAN = 26.46902820178302;

export interface KeyChooser {
  /** Next key index in [0, itemCount). */
  next(): number;
  readonly description: string;
}

/** zeta(n, theta) = sum_{i=1..n} 1 / i^theta. O(n): only for modest n. */
export function zeta(n: number, theta: number): number {
  let sum = 0;
  for (let i = 1; i <= n; i++) sum += 1 / Math.pow(i, theta);
  return sum;
}

/** Zipfian over the integers [base, base + items). Item `base` is the most popular. */
export class ZipfianGenerator {
  private readonly alpha: number;
  private readonly eta: number;
  private readonly zetan: number;
  private readonly half: number;

  constructor(
    private readonly base: number,
    private readonly items: number,
    private readonly theta: number = YCSB_ZIPFIAN_CONSTANT,
    zetan?: number,
    private readonly random: () => number = Math.random,
  ) {
    if (!(items >= 1)) throw new Error(`zipfian: items must be >= 1, got ${items}`);
    if (!(theta > 0 && theta < 1)) throw new Error(`zipfian: theta must be in (0, 1), got ${theta}`);
    this.zetan = zetan ?? zeta(items, theta);
    const zeta2theta = zeta(2, theta);
    this.alpha = 1 / (1 - theta);
    this.eta = (1 - Math.pow(2 / items, 1 - theta)) / (1 - zeta2theta / this.zetan);
    this.half = 1 + Math.pow(0.5, theta);
  }

  next(): number {
    const u = this.random();
    const uz = u * this.zetan;
    if (uz < 1) return this.base;
    if (uz < this.half) return this.base + 1;
    const v = this.base + Math.floor(this.items * Math.pow(this.eta * u - this.eta + 1, this.alpha));
    // Guard against floating point landing exactly on the upper bound.
    return v < this.base + this.items ? v : this.base + this.items - 1;
  }
}

const TWO_32 = 4294967296;

/**
 * YCSB's Utils.fnvhash64(val) % modulus, for 0 <= val < 2^53 and 1 <= modulus < 2^26
 * (so every intermediate product stays exact in a double).
 *
 * YCSB: h = 0xCBF29CE484222325; 8 times { h ^= val & 0xff; h *= 1099511628211; val >>= 8 };
 * return Math.abs(h). The FNV prime is 2^40 + 0x1b3, so h * prime = (h << 40) + h * 0x1b3 (mod 2^64).
 */
export function fnvHash64Mod(val: number, modulus: number): number {
  let lo = 0x84222325;
  let hi = 0xcbf29ce4;
  let vlo = val >>> 0;
  let vhi = Math.floor(val / TWO_32) >>> 0;
  for (let i = 0; i < 8; i++) {
    let octet: number;
    if (i < 4) {
      octet = vlo & 0xff;
      vlo >>>= 8;
    } else {
      octet = vhi & 0xff;
      vhi >>>= 8;
    }
    lo = (lo ^ octet) >>> 0;
    // multiply (hi:lo) by 2^40 + 0x1b3, mod 2^64
    const loProd = lo * 0x1b3; // < 2^41, exact
    const carry = Math.floor(loProd / TWO_32);
    const newLo = loProd >>> 0; // ToUint32 is modulo 2^32
    const newHi = (hi * 0x1b3 + carry + ((lo << 8) >>> 0)) >>> 0; // sum < 2^43, exact; then mod 2^32
    lo = newLo;
    hi = newHi;
  }
  // Math.abs of the signed 64-bit value (two's complement negate when the sign bit is set).
  if (hi & 0x80000000) {
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  // (hi * 2^32 + lo) % modulus without losing precision.
  const r32 = TWO_32 % modulus;
  return (((hi % modulus) * r32) % modulus + (lo % modulus)) % modulus;
}

/** YCSB ScrambledZipfianGenerator over [0, itemCount). */
export class ScrambledZipfian implements KeyChooser {
  private readonly gen: ZipfianGenerator;
  readonly description: string;

  constructor(private readonly itemCount: number, random: () => number = Math.random) {
    if (!(itemCount >= 1 && itemCount < 2 ** 26)) {
      throw new Error(`scrambled zipfian: item count must be in [1, 2^26), got ${itemCount}`);
    }
    // YCSB: new ZipfianGenerator(0, ITEM_COUNT, 0.99, ZETAN) -> items = ITEM_COUNT + 1.
    this.gen = new ZipfianGenerator(0, SCRAMBLED_ITEM_SPACE + 1, YCSB_ZIPFIAN_CONSTANT, SCRAMBLED_ZETAN, random);
    this.description = `scrambled zipfian (theta ${YCSB_ZIPFIAN_CONSTANT}, YCSB ScrambledZipfianGenerator)`;
  }

  next(): number {
    return fnvHash64Mod(this.gen.next(), this.itemCount);
  }
}

export class UniformChooser implements KeyChooser {
  readonly description = 'uniform';
  constructor(private readonly itemCount: number, private readonly random: () => number = Math.random) {}
  next(): number {
    return Math.floor(this.random() * this.itemCount);
  }
}

export type Distribution = 'zipfian' | 'uniform';

export function makeKeyChooser(distribution: Distribution, itemCount: number): KeyChooser {
  return distribution === 'uniform' ? new UniformChooser(itemCount) : new ScrambledZipfian(itemCount);
}

/** Sample a chooser to describe its skew (share of requests hitting the hottest keys). */
export function describeSkew(chooser: KeyChooser, itemCount: number, samples = 200_000): string {
  const counts = new Uint32Array(itemCount);
  for (let i = 0; i < samples; i++) counts[chooser.next()]++;
  const sorted = Array.from(counts).sort((a, b) => b - a);
  const share = (k: number): string => {
    let s = 0;
    for (let i = 0; i < Math.min(k, sorted.length); i++) s += sorted[i];
    return `${((100 * s) / samples).toFixed(1)}%`;
  };
  const onePct = Math.max(1, Math.round(itemCount / 100));
  let touched = 0;
  for (const c of sorted) if (c > 0) touched++;
  return (
    `hottest key ${share(1)}, top 10 keys ${share(10)}, top 1% (${onePct}) keys ${share(onePct)} of requests; ` +
    `${touched}/${itemCount} keys touched in ${samples} draws`
  );
}
