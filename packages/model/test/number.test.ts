import {
  addNumbers,
  canonicalNumber,
  compareNumbers,
  decodeNumberKey,
  encodeNumberKey,
  subtractNumbers,
  ValidationException,
} from '@triad/model';

const NOT_NUMERIC = 'The parameter cannot be converted to a numeric value';
const PRECISION = 'Attempting to store more than 38 significant digits in a Number';
const OVERFLOW = 'Number overflow. Attempting to store a number with magnitude larger than supported range';
const UNDERFLOW = 'Number underflow. Attempting to store a number with magnitude smaller than supported range';

function expectValidation(fn: () => unknown, message: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ValidationException);
  expect((caught as Error).message).toBe(message);
}

/** A small seeded PRNG (xorshift32), so a failing case reproduces from the seed. */
function prng(seed: number): { next(): number; int(lo: number, hi: number): number } {
  let state = seed >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) };
}

/** A number as the generator builds it: sign × d1.d2… × 10^exponent. */
interface Sample {
  sign: -1 | 0 | 1;
  digits: string;
  exponent: number;
}

const ORACLE_SCALE = 200; // every valid number × 10^200 is an integer (last digit >= 10^-167)

/** Independent oracle: the exact value as a scaled BigInt. */
function oracle(sample: Sample): bigint {
  if (sample.sign === 0) return 0n;
  const shift = sample.exponent - sample.digits.length + 1 + ORACLE_SCALE;
  return BigInt(sample.sign) * BigInt(sample.digits) * 10n ** BigInt(shift);
}

/** Parses plain-notation text (what canonicalNumber returns) into the oracle's scaled BigInt. */
function plainToScaled(text: string): bigint {
  expect(text).toMatch(/^-?(0|[1-9]\d*)(\.\d*[1-9])?$/);
  const negative = text.startsWith('-');
  const [integer, fraction = ''] = text.replace('-', '').split('.');
  const scaled = BigInt(integer + fraction.padEnd(ORACLE_SCALE, '0'));
  return negative ? -scaled : scaled;
}

function randomSample(rand: ReturnType<typeof prng>): Sample {
  if (rand.next() < 0.05) return { sign: 0, digits: '', exponent: 0 };
  const length = rand.next() < 0.5 ? rand.int(1, 4) : rand.int(1, 38);
  let digits = String(rand.int(1, 9));
  for (let i = 1; i < length; i++) digits += String(rand.int(0, 9));
  digits = digits.replace(/0+$/, '');
  const exponent = rand.next() < 0.6 ? rand.int(-4, 6) : rand.int(-130, 125);
  return { sign: rand.next() < 0.5 ? -1 : 1, digits, exponent };
}

/** A neighbour of `s`, so that comparisons often hit equal exponents and shared digit prefixes. */
function nearSample(s: Sample, rand: ReturnType<typeof prng>): Sample {
  if (s.sign === 0) return randomSample(rand);
  const choice = rand.int(0, 4);
  if (choice === 0) return { ...s, sign: s.sign === 1 ? -1 : 1 };
  if (choice === 1 && s.digits.length < 38) {
    return { ...s, digits: s.digits + String(rand.int(1, 9)) };
  }
  if (choice === 2 && s.digits.length > 1) {
    return { ...s, digits: s.digits.slice(0, -1).replace(/0+$/, '') };
  }
  if (choice === 3) {
    const exponent = Math.max(-130, Math.min(125, s.exponent + rand.int(-1, 1)));
    return { ...s, exponent };
  }
  const i = rand.int(0, s.digits.length - 1);
  const replaced = s.digits.slice(0, i) + String(rand.int(i === 0 ? 1 : 0, 9)) + s.digits.slice(i + 1);
  return { ...s, digits: replaced.replace(/0+$/, '') || '1' };
}

/** Writes a sample in one of several accepted spellings, to exercise the parser. */
function spell(s: Sample, rand: ReturnType<typeof prng>): string {
  if (s.sign === 0) return ['0', '-0', '0.000', '+0e5', '.0'][rand.int(0, 4)];
  const sign = s.sign < 0 ? '-' : rand.next() < 0.2 ? '+' : '';
  const pad = rand.next() < 0.2 ? '00' : '';
  const trail = rand.next() < 0.2 ? '000' : '';
  const e = rand.next() < 0.5 ? 'e' : 'E';
  if (rand.next() < 0.5) {
    // d.ddd × 10^exponent
    const mantissa = s.digits.length > 1 ? `${s.digits[0]}.${s.digits.slice(1)}${trail}` : s.digits;
    return `${sign}${pad}${mantissa}${e}${s.exponent}`;
  }
  // integer mantissa × 10^(exponent - length + 1)
  return `${sign}${pad}${s.digits}${e}${s.exponent - s.digits.length + 1}`;
}

describe('canonicalNumber', () => {
  it.each([
    ['1.50', '1.5'],
    ['1e3', '1000'],
    ['-0', '0'],
    ['0.0', '0'],
    ['+0', '0'],
    ['-1e-3', '-0.001'],
    ['+100', '100'],
    ['+1.5', '1.5'],
    ['+1e2', '100'],
    ['1e+2', '100'],
    ['1.5E+3', '1500'],
    ['-7', '-7'],
    ['00042', '42'],
    ['0042.1200', '42.12'],
    ['1.0', '1'],
    ['1.5E2', '150'],
    ['.123', '0.123'],
    ['1.', '1'],
    ['0001.23', '1.23'],
    ['-17e5', '-1700000'],
    ['-17.4E37', `-174${'0'.repeat(36)}`],
    ['0e1000', '0'],
    ['1E125', `1${'0'.repeat(125)}`],
    ['1e-130', `0.${'0'.repeat(129)}1`],
    ['-9.9999999999999999999999999999999999999e125', `-99999999999999999999999999999999999999${'0'.repeat(88)}`],
    [`1${'0'.repeat(60)}`, `1${'0'.repeat(60)}`], // trailing zeros are not significant digits
    [`0.${'0'.repeat(60)}1e10`, `0.${'0'.repeat(50)}1`],
  ])('canonicalNumber(%j) is %j', (text, expected) => {
    expect(canonicalNumber(text)).toBe(expected);
  });

  it('refuses text that is not a number, quoting it', () => {
    for (const text of ['NaN', 'Infinity', '-Infinity', '-NaN', 'dog', '-dog', ' 1', '1 ', '.', '-', '+',
      'e5', '1e', '1e+', '+-1', '--1', '1.2.3', '1+2', '0x10', '1_000', '1,5', '١', '1e2147483648',
      `1e${'9'.repeat(30)}`]) {
      expectValidation(() => canonicalNumber(text), `${NOT_NUMERIC}: ${text}`);
    }
  });

  it('refuses the empty string without quoting it', () => {
    expectValidation(() => canonicalNumber(''), NOT_NUMERIC);
  });

  it('allows 38 significant digits and refuses 39', () => {
    expect(canonicalNumber('12345678901234567890123456789012345678')).toBe('12345678901234567890123456789012345678');
    expect(canonicalNumber('3.1415926535897932384626433832795028841')).toBe('3.1415926535897932384626433832795028841');
    expect(canonicalNumber('31415926535897932384626433832795028841e30'))
      .toBe(`31415926535897932384626433832795028841${'0'.repeat(30)}`);
    for (const text of ['123456789012345678901234567890123456789', '-1.23456789012345678901234567890123456789',
      '3.14159265358979323846264338327950288419', '314159265358979323846.264338327950288419',
      '314159265358979323846264338327950288419e30']) {
      expectValidation(() => canonicalNumber(text), PRECISION);
    }
  });

  it('refuses magnitudes outside 1E-130 .. 9.99…E+125', () => {
    for (const text of ['1e126', '-1e126', '11e125', '10e125', '1e2147483647']) expectValidation(() => canonicalNumber(text), OVERFLOW);
    for (const text of ['1e-131', '-1e-131', '0.9e-130', '1e-2147483647']) expectValidation(() => canonicalNumber(text), UNDERFLOW);
    expect(canonicalNumber('9.99999999e125')).toBe(`999999999${'0'.repeat(117)}`);
  });

  it('reports range before precision', () => {
    expectValidation(() => canonicalNumber(`1.${'1'.repeat(40)}e200`), OVERFLOW);
    expectValidation(() => canonicalNumber(`1.${'1'.repeat(40)}e-200`), UNDERFLOW);
  });

  it('is exact for generated numbers in every spelling', () => {
    const rand = prng(20240601);
    for (let i = 0; i < 3000; i++) {
      const sample = randomSample(rand);
      const text = spell(sample, rand);
      const canonical = canonicalNumber(text);
      expect(plainToScaled(canonical)).toBe(oracle(sample));
      expect(canonicalNumber(canonical)).toBe(canonical);
    }
  });
});

describe('compareNumbers', () => {
  it('orders simple cases', () => {
    expect(compareNumbers('1', '2')).toBe(-1);
    expect(compareNumbers('1.50', '1.5')).toBe(0);
    expect(compareNumbers('-0', '0')).toBe(0);
    expect(compareNumbers('-1', '0')).toBe(-1);
    expect(compareNumbers('-1', '-2')).toBe(1);
    expect(compareNumbers('12', '123')).toBe(-1);
    expect(compareNumbers('-12', '-123')).toBe(1);
    expect(compareNumbers('9', '10')).toBe(-1);
    expect(compareNumbers('0.001', '1e-3')).toBe(0);
    expect(compareNumbers('1e-130', '0')).toBe(1);
  });

  it('agrees with an exact BigInt oracle', () => {
    const rand = prng(7);
    for (let i = 0; i < 5000; i++) {
      const a = randomSample(rand);
      const b = rand.next() < 0.6 ? nearSample(a, rand) : randomSample(rand);
      const difference = oracle(a) - oracle(b);
      const expected = difference > 0n ? 1 : difference < 0n ? -1 : 0;
      expect(compareNumbers(spell(a, rand), spell(b, rand))).toBe(expected);
    }
  });
});

describe('addNumbers / subtractNumbers', () => {
  it('is exact where floats are not', () => {
    expect(addNumbers('0.1', '0.2')).toBe('0.3');
    expect(subtractNumbers('0.3', '0.1')).toBe('0.2');
    expect(addNumbers('1', '10000000000000000000000')).toBe('10000000000000000000001');
    expect(subtractNumbers('10000000000000000000000', '1')).toBe('9999999999999999999999');
    expect(subtractNumbers('100000000000000000000.00000001', '1')).toBe('99999999999999999999.00000001');
    expect(addNumbers('9007199254740993', '1')).toBe('9007199254740994');
    expect(addNumbers('-5', '5')).toBe('0');
    expect(subtractNumbers('0', '0')).toBe('0');
    expect(addNumbers('0', '-1.50')).toBe('-1.5');
    expect(addNumbers('1e125', '0')).toBe(`1${'0'.repeat(125)}`);
  });

  it('refuses results out of range, with DynamoDB messages', () => {
    expectValidation(() => addNumbers('9e125', '9e125'), OVERFLOW);
    expectValidation(() => subtractNumbers('9e125', '-9e125'), OVERFLOW);
    expectValidation(() => subtractNumbers('1.1e-130', '1e-130'), UNDERFLOW);
  });

  it('refuses results needing more than 38 digits with the overflow message, as DynamoDB does', () => {
    expectValidation(() => addNumbers('1e50', '1'), OVERFLOW);
    expectValidation(() => subtractNumbers('1e50', '1'), OVERFLOW);
    expectValidation(() => addNumbers('1', '1e-50'), OVERFLOW);
  });

  it('validates its operands', () => {
    expectValidation(() => addNumbers('x', '1'), `${NOT_NUMERIC}: x`);
    expectValidation(() => addNumbers('1', '1e126'), OVERFLOW);
  });

  it('agrees with an exact BigInt oracle', () => {
    const rand = prng(99);
    let checked = 0;
    for (let i = 0; i < 3000; i++) {
      const a = randomSample(rand);
      const b = rand.next() < 0.5 ? nearSample(a, rand) : randomSample(rand);
      for (const [op, expected] of [[addNumbers, oracle(a) + oracle(b)], [subtractNumbers, oracle(a) - oracle(b)]] as const) {
        let result: string;
        try {
          result = op(spell(a, rand), spell(b, rand));
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationException);
          continue;
        }
        expect(plainToScaled(result)).toBe(expected);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(2000);
  });
});

describe('encodeNumberKey', () => {
  it('encodes zero as one byte and round-trips canonical text', () => {
    expect(encodeNumberKey('-0.000')).toEqual(Buffer.from([0x80]));
    for (const text of ['0', '1', '-1', '1.5', '-0.001', `1${'0'.repeat(125)}`, `0.${'0'.repeat(129)}1`,
      '12345678901234567890123456789012345678', '-99999999999999999999999999999999999999']) {
      const encoded = encodeNumberKey(text);
      expect(decodeNumberKey(encoded, 0)).toEqual({ text: canonicalNumber(text), next: encoded.length });
    }
  });

  it('sorts bytewise in numeric order (property, against the oracle)', () => {
    const rand = prng(12345);
    for (let i = 0; i < 5000; i++) {
      const a = randomSample(rand);
      const b = rand.next() < 0.6 ? nearSample(a, rand) : randomSample(rand);
      const difference = oracle(a) - oracle(b);
      const expected = difference > 0n ? 1 : difference < 0n ? -1 : 0;
      const ta = spell(a, rand);
      const tb = spell(b, rand);
      expect(Math.sign(Buffer.compare(encodeNumberKey(ta), encodeNumberKey(tb)))).toBe(expected);
      expect(compareNumbers(ta, tb)).toBe(expected);
    }
  });

  it('is self-delimiting: concatenations decode back, and no encoding is a prefix of another', () => {
    const rand = prng(4242);
    const texts = Array.from({ length: 400 }, () => canonicalNumber(spell(randomSample(rand), rand)));
    const encodings = texts.map(encodeNumberKey);
    const joined = Buffer.concat(encodings);
    let offset = 0;
    for (const text of texts) {
      const decoded = decodeNumberKey(joined, offset);
      expect(decoded.text).toBe(text);
      offset = decoded.next;
    }
    expect(offset).toBe(joined.length);
    const prefixPairs: string[] = [];
    for (const x of encodings) {
      for (const y of encodings) {
        if (x.length < y.length && y.subarray(0, x.length).equals(x)) prefixPairs.push(`${x.toString('hex')} ${y.toString('hex')}`);
      }
    }
    expect(prefixPairs).toEqual([]);
  });

  it('refuses invalid numbers and malformed encodings', () => {
    expectValidation(() => encodeNumberKey('abc'), `${NOT_NUMERIC}: abc`);
    expect(() => decodeNumberKey(Buffer.from([0x42]), 0)).toThrow();
    expect(() => decodeNumberKey(Buffer.from([0x81, 0x80, 0x00, 0x02]), 0)).toThrow(); // no terminator
  });
});
