/** A small seeded PRNG for property tests (a Weyl sequence through a 32-bit avalanche mixer). */
export interface Prng {
  u32(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  bytes(length: number): Uint8Array;
}

/** Bound once: looking up `Math` on every call is slow inside jest's vm context. */
const imul = Math.imul;
const floor = Math.floor;

export function prng(seed: number): Prng {
  let state = seed >>> 0;
  const u32 = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = imul(z ^ (z >>> 16), 0x85ebca6b);
    z = imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  const int = (n: number): number => floor((u32() / 0x100000000) * n);
  return {
    u32,
    int,
    chance: (p) => u32() / 0x100000000 < p,
    pick: (items) => items[int(items.length)],
    bytes: (length) => {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = u32() & 0xff;
      return out;
    },
  };
}
