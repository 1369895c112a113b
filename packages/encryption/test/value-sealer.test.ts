import { randomBytes } from 'node:crypto';
import { SEALED_OVERHEAD_BYTES, ValueSealer, isSealed } from '../src';

const key = (byte: number) => Buffer.alloc(32, byte);
const aad = Buffer.from('d\x00\x07table-1/pk');

describe('ValueSealer', () => {
  test('a sealed value opens to its plaintext and does not contain it', () => {
    const sealer = new ValueSealer(new Map([[1, key(1)]]), 1, 1);
    const plain = Buffer.from('card number 4111-1111-1111-1111');
    const sealed = sealer.seal(plain, aad);
    expect(isSealed(sealed)).toBe(true);
    expect(sealed.length).toBe(plain.length + SEALED_OVERHEAD_BYTES);
    expect(sealed.includes(Buffer.from('4111'))).toBe(false);
    expect(sealer.open(sealed, aad)).toEqual(plain);
  });

  test('an empty value seals and opens', () => {
    const sealer = new ValueSealer(new Map([[1, key(1)]]), 1, 1);
    expect(sealer.open(sealer.seal(Buffer.alloc(0), aad), aad)).toEqual(Buffer.alloc(0));
  });

  test('sealing the same value twice gives different bytes (no nonce is reused)', () => {
    const sealer = new ValueSealer(new Map([[1, key(1)]]), 1, 1);
    const nonces = new Set<string>();
    for (let i = 0; i < 10_000; i++) nonces.add(sealer.seal(Buffer.from('same'), aad).subarray(6, 18).toString('hex'));
    expect(nonces.size).toBe(10_000);
  });

  test('nonces carry the open count, so two runs never share one', () => {
    const a = new ValueSealer(new Map([[1, key(1)]]), 1, 7).seal(Buffer.from('x'), aad);
    const b = new ValueSealer(new Map([[1, key(1)]]), 1, 8).seal(Buffer.from('x'), aad);
    expect(a.readUInt32BE(6)).toBe(7);
    expect(b.readUInt32BE(6)).toBe(8);
  });

  test('a changed byte, another key or another storage key fails to open', () => {
    const sealer = new ValueSealer(new Map([[1, key(1)]]), 1, 1);
    const sealed = sealer.seal(Buffer.from('value'), aad);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1] ^= 1;
    expect(() => sealer.open(flipped, aad)).toThrow(/changed or it was moved/);
    expect(() => sealer.open(sealed, Buffer.from('another key'))).toThrow(/changed or it was moved/);
    const otherKeys = new ValueSealer(new Map([[1, key(2)]]), 1, 1);
    expect(() => otherKeys.open(sealed, aad)).toThrow(/does not open under data key 1/);
    const missingKey = new ValueSealer(new Map([[2, key(1)]]), 2, 1);
    expect(() => missingKey.open(sealed, aad)).toThrow(/data key 1, which the keyring does not hold/);
  });

  test('after a data key rotation, old values open under their key and new ones use the new key', () => {
    const keys = new Map([[1, key(1)], [2, key(2)]]);
    const old = new ValueSealer(new Map([[1, key(1)]]), 1, 1).seal(Buffer.from('old'), aad);
    const rotated = new ValueSealer(keys, 2, 2);
    const fresh = rotated.seal(Buffer.from('new'), aad);
    expect(fresh.readUInt32BE(2)).toBe(2);
    expect(rotated.open(old, aad).toString()).toBe('old');
    expect(rotated.open(fresh, aad).toString()).toBe('new');
  });

  test('values written before encryption (plain) read as they are', () => {
    const sealer = new ValueSealer(new Map([[1, key(1)]]), 1, 1);
    for (const plain of [Buffer.from([0, 0, 0, 1, 2, 3]), Buffer.from('{"term":1}'), Buffer.alloc(0), Buffer.from([0, 0, 0, 5])]) {
      expect(isSealed(plain)).toBe(false);
      expect(sealer.open(plain, aad)).toBe(plain);
    }
  });

  test('a random key seals and opens large values', () => {
    const sealer = new ValueSealer(new Map([[9, randomBytes(32)]]), 9, 1);
    const big = randomBytes(400 * 1024);
    expect(sealer.open(sealer.seal(big, aad), aad)).toEqual(big);
  });
});
