import {
  canonicalNumber,
  compareScalar,
  decodeKeyValue,
  encodeKeyValue,
  keyValueBytes,
  type AttributeValue,
  type ScalarAttributeType,
} from '@triad/model';

/** A small seeded PRNG (xorshift32), so a failing case reproduces from the seed. */
function prng(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1;
  return (n) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % n;
  };
}

const STRING_POOL = ['', 'a', 'b', 'z', '\u0000', '\u0001', '\u007f', 'é', '\u07ff', '\u0800', '\uFFFD',
  '\uE000', '\uFFFF', '\u{10000}', '\u{1F600}', '\u{10FFFF}', '\u00ff'];

function randomString(next: (n: number) => number): string {
  return Array.from({ length: next(6) }, () => STRING_POOL[next(STRING_POOL.length)]).join('');
}

function randomBinary(next: (n: number) => number): string {
  // Bias towards 0x00, 0x01 and 0xff: the escape bytes.
  const special = [0x00, 0x01, 0xff, 0xfe, 0x7f];
  const bytes = Array.from({ length: next(6) }, () => (next(2) === 0 ? special[next(special.length)] : next(256)));
  return Buffer.from(bytes).toString('base64');
}

function randomNumber(next: (n: number) => number): string {
  const digits = String(1 + next(9)) + Array.from({ length: next(12) }, () => String(next(10))).join('');
  const exponent = next(4) === 0 ? next(256) - 130 : next(10) - 5;
  const sign = next(2) === 0 ? '-' : '';
  return next(20) === 0 ? '0' : canonicalNumber(`${sign}${digits[0]}.${digits.slice(1)}e${exponent}`);
}

function randomValue(type: ScalarAttributeType, next: (n: number) => number): AttributeValue {
  if (type === 'S') return { S: randomString(next) };
  if (type === 'B') return { B: randomBinary(next) };
  return { N: randomNumber(next) };
}

describe.each(['S', 'B', 'N'] as ScalarAttributeType[])('key values of type %s', (type) => {
  it('sort bytewise as compareScalar orders them', () => {
    const next = prng(type.charCodeAt(0) * 7919);
    for (let i = 0; i < 4000; i++) {
      const a = randomValue(type, next);
      const b = randomValue(type, next);
      const bytewise = Math.sign(Buffer.compare(encodeKeyValue(type, a), encodeKeyValue(type, b)));
      expect([a, b, bytewise]).toEqual([a, b, compareScalar(a, b)]);
    }
  });

  it('round-trip, also when concatenated with other keys', () => {
    const next = prng(type.charCodeAt(0) * 104729);
    const values = Array.from({ length: 300 }, () => randomValue(type, next));
    const joined = Buffer.concat(values.flatMap((v) => [encodeKeyValue(type, v), encodeKeyValue('S', { S: 'sep' })]));
    let offset = 0;
    for (const value of values) {
      const decoded = decodeKeyValue(type, joined, offset);
      expect(decoded.value).toEqual(value);
      const separator = decodeKeyValue('S', joined, decoded.next);
      expect(separator.value).toEqual({ S: 'sep' });
      offset = separator.next;
    }
    expect(offset).toBe(joined.length);
  });

  it('never make one encoding a proper prefix of another', () => {
    const next = prng(type.charCodeAt(0) * 31);
    const encodings = Array.from({ length: 300 }, () => encodeKeyValue(type, randomValue(type, next)));
    const prefixes: string[] = [];
    for (const x of encodings) {
      for (const y of encodings) {
        if (x.length < y.length && y.subarray(0, x.length).equals(x)) prefixes.push(`${x.toString('hex')} ${y.toString('hex')}`);
      }
    }
    expect(prefixes).toEqual([]);
  });
});

describe('encodeKeyValue', () => {
  it('escapes 0x00 and terminates with 0x00 0x01', () => {
    expect(encodeKeyValue('S', { S: 'a' })).toEqual(Buffer.from([0x61, 0x00, 0x01]));
    expect(encodeKeyValue('S', { S: 'a\u0000b' })).toEqual(Buffer.from([0x61, 0x00, 0xff, 0x62, 0x00, 0x01]));
    expect(encodeKeyValue('B', { B: Buffer.from([0, 0]).toString('base64') })).toEqual(Buffer.from([0x00, 0xff, 0x00, 0xff, 0x00, 0x01]));
    expect(encodeKeyValue('S', { S: '' })).toEqual(Buffer.from([0x00, 0x01]));
  });

  it('sorts a value before its extensions, including by a NUL byte', () => {
    const enc = (s: string): Buffer => encodeKeyValue('S', { S: s });
    expect(Buffer.compare(enc('a'), enc('a\u0000'))).toBe(-1);
    expect(Buffer.compare(enc('a\u0000'), enc('a\u0001'))).toBe(-1);
    expect(Buffer.compare(enc('a'), enc('ab'))).toBe(-1);
    expect(Buffer.compare(enc('\u{1F600}'), enc('\uE000'))).toBe(1); // code point order, not UTF-16
  });

  it('refuses a value of the wrong type (a programming error: the router checks schemas first)', () => {
    expect(() => encodeKeyValue('S', { N: '1' })).toThrow();
    expect(() => encodeKeyValue('N', { S: '1' })).toThrow();
    expect(() => keyValueBytes('B', { S: '1' })).toThrow();
  });

  it('detects corrupt encodings', () => {
    expect(() => decodeKeyValue('S', Buffer.from([0x61, 0x00, 0x02]), 0)).toThrow();
    expect(() => decodeKeyValue('S', Buffer.from([0x61, 0x62]), 0)).toThrow();
  });
});

describe('keyValueBytes', () => {
  it('counts what DynamoDB counts against the key limits', () => {
    expect(keyValueBytes('S', { S: 'abc' })).toBe(3);
    expect(keyValueBytes('S', { S: 'é\u{1F600}' })).toBe(6);
    expect(keyValueBytes('B', { B: 'AAECAw==' })).toBe(4);
    expect(keyValueBytes('N', { N: '1.5' })).toBe(3);
    expect(keyValueBytes('N', { N: '-12345678901234567890123456789012345678' })).toBe(21);
  });
});
