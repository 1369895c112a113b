import {
  attributeType,
  attributeValuesEqual,
  checkItemSerialization,
  cloneItem,
  compareScalar,
  compareUtf8,
  SerializationException,
  validateAttributeValue,
  validateItem,
  ValidationException,
  type AttributeValue,
} from '@triad/model';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

function expectValidation(value: unknown, message: string): void {
  const error = errorOf(() => validateAttributeValue(value));
  expect(error).toBeInstanceOf(ValidationException);
  expect(error.message).toBe(message);
}

function expectSerialization(value: unknown, message: string): void {
  const error = errorOf(() => validateAttributeValue(value));
  expect(error).toBeInstanceOf(SerializationException);
  expect(error.message).toBe(message);
}

const INVALID = 'One or more parameter values were invalid: ';
const EMPTY = 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes';
const MULTIPLE = 'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes';
const NESTING = 'Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit';

/** `value` inside `wrappers` alternating lists and maps. */
function nest(wrappers: number, value: AttributeValue): AttributeValue {
  let out = value;
  for (let i = 0; i < wrappers; i++) out = i % 2 === 0 ? { L: [out] } : { M: { k: out } };
  return out;
}

describe('validateAttributeValue: serialization (wrong JSON types)', () => {
  it.each([
    [{ S: 5 }, 'NUMBER_VALUE cannot be converted to String'],
    [{ S: 34.56 }, 'DECIMAL_VALUE cannot be converted to String'],
    [{ S: true }, 'TRUE_VALUE cannot be converted to String'],
    [{ S: false }, 'FALSE_VALUE cannot be converted to String'],
    [{ S: [] }, 'Unrecognized collection type class java.lang.String'],
    [{ S: {} }, 'Start of structure or map found where not expected'],
    [{ N: 123 }, 'NUMBER_VALUE cannot be converted to String'],
    [{ B: true }, 'only base-64-encoded strings are convertible to bytes'],
    [{ B: 23 }, 'only base-64-encoded strings are convertible to bytes'],
    [{ B: [] }, 'Unrecognized collection type class java.nio.ByteBuffer'],
    [{ B: {} }, 'Start of structure or map found where not expected'],
    [{ B: '23456' }, 'Base64 encoded length is expected a multiple of 4 bytes but found: 5'],
    [{ B: '=+/=' }, 'Invalid last non-pad Base64 character dectected'],
    [{ B: '+/+=' }, 'Invalid last non-pad Base64 character dectected'],
    [{ BOOL: 23 }, 'NUMBER_VALUE cannot be converted to Boolean'],
    [{ BOOL: 34.56 }, 'DECIMAL_VALUE cannot be converted to Boolean'],
    [{ BOOL: '23' }, 'Unexpected token received from parser'],
    [{ BOOL: [] }, 'Unrecognized collection type class java.lang.Boolean'],
    [{ NULL: {} }, 'Start of structure or map found where not expected'],
    [{ SS: '23' }, 'Unexpected field type'],
    [{ SS: 23 }, 'Unexpected field type'],
    [{ SS: {} }, 'Start of structure or map found where not expected'],
    [{ SS: [1] }, 'NUMBER_VALUE cannot be converted to String'],
    [{ NS: [true] }, 'TRUE_VALUE cannot be converted to String'],
    [{ BS: ['23456'] }, 'Base64 encoded length is expected a multiple of 4 bytes but found: 5'],
    [{ L: true }, 'Unexpected field type'],
    [{ L: {} }, 'Start of structure or map found where not expected'],
    [{ L: ['23'] }, 'Unexpected value type in payload'],
    [{ L: [[]] }, 'Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue'],
    [{ L: [{ BS: [5] }] }, 'only base-64-encoded strings are convertible to bytes'],
    [{ M: 23 }, 'Unexpected field type'],
    [{ M: [] }, 'Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>'],
    [{ M: { a: 23 } }, 'Unexpected value type in payload'],
    [{ M: { a: { BS: [true] } } }, 'only base-64-encoded strings are convertible to bytes'],
    ['23', 'Unexpected value type in payload'],
    [[], 'Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue'],
  ])('%j -> %s', (value, message) => {
    expectSerialization(value, message);
  });

  it('reports a serialization error before a validation error found earlier in the value', () => {
    expectSerialization({ L: [{ SS: [] }, { S: 5 }] }, 'NUMBER_VALUE cannot be converted to String');
  });
});

describe('validateAttributeValue: validation', () => {
  it.each([
    [{}, EMPTY],
    [{ a: '' }, EMPTY],
    [{ S: null }, EMPTY],
    [{ M: { a: {} } }, EMPTY],
    [{ L: [{}] }, EMPTY],
    [{ L: [{ a: {} }] }, EMPTY],
    [{ L: [null] }, EMPTY],
    [{ S: 'a', N: '1' }, MULTIPLE],
    [{ S: '', N: '' }, 'The parameter cannot be converted to a numeric value'],
    [{ S: 'a', N: 'b' }, 'The parameter cannot be converted to a numeric value: b'],
    [{ NS: ['1', ''] }, 'The parameter cannot be converted to a numeric value'],
    [{ NS: ['1', 'b'] }, 'The parameter cannot be converted to a numeric value: b'],
    [{ NS: ['1', '1'] }, 'Input collection contains duplicates'],
    [{ NS: ['1', '1.0'] }, 'Input collection contains duplicates'],
    [{ NS: ['100', '1e2'] }, 'Input collection contains duplicates'],
    [{ N: '123456789012345678901234567890123456789' }, 'Attempting to store more than 38 significant digits in a Number'],
    [{ N: '1e126' }, 'Number overflow. Attempting to store a number with magnitude larger than supported range'],
    [{ N: '-1e-131' }, 'Number underflow. Attempting to store a number with magnitude smaller than supported range'],
    [{ NULL: false }, `${INVALID}Null attribute value types must have the value of true`],
    [{ NULL: 'no' }, `${INVALID}Null attribute value types must have the value of true`],
    [{ SS: [] }, `${INVALID}An string set  may not be empty`],
    [{ NS: [] }, `${INVALID}An number set  may not be empty`],
    [{ BS: [] }, `${INVALID}Binary sets should not be empty`],
    [{ SS: ['a', 'a'] }, `${INVALID}Input collection [a, a] contains duplicates.`],
    [{ SS: ['b', 'a', 'b'] }, `${INVALID}Input collection [b, a, b] contains duplicates.`],
    [{ BS: ['Yg==', 'Yg=='] }, `${INVALID}Input collection [Yg==, Yg==]of type BS contains duplicates.`],
    [{ M: { a: { L: [{ NS: [] }] } } }, `${INVALID}An number set  may not be empty`],
  ])('%j -> %s', (value, message) => {
    expectValidation(value, message);
  });

  it('returns a canonical copy: numbers canonical everywhere, nothing else changed', () => {
    const input = {
      M: {
        n: { N: '1.50' },
        l: { L: [{ N: '-0' }, { NS: ['1e3', '+2'] }, { S: '' }, { B: '' }] },
        s: { SS: ['x', 'y'] },
        b: { BS: ['AAE='] },
        t: { BOOL: true },
        z: { NULL: true },
      },
    };
    const before = JSON.stringify(input);
    expect(validateAttributeValue(input)).toEqual({
      M: {
        n: { N: '1.5' },
        l: { L: [{ N: '0' }, { NS: ['1000', '2'] }, { S: '' }, { B: '' }] },
        s: { SS: ['x', 'y'] },
        b: { BS: ['AAE='] },
        t: { BOOL: true },
        z: { NULL: true },
      },
    });
    expect(JSON.stringify(input)).toBe(before);
  });

  it('ignores unknown members and takes the boolean spellings DynamoDB reads', () => {
    expect(validateAttributeValue({ S: 'a', X: 5 })).toEqual({ S: 'a' });
    expect(validateAttributeValue({ BOOL: 'yes' })).toEqual({ BOOL: true });
    expect(validateAttributeValue({ BOOL: 'False' })).toEqual({ BOOL: false });
    expect(validateAttributeValue({ NULL: '1' })).toEqual({ NULL: true });
  });

  it('allows 31 levels of maps and lists around a value, refuses 32', () => {
    expect(validateAttributeValue(nest(31, { S: 'x' }))).toEqual(nest(31, { S: 'x' }));
    expectValidation(nest(32, { S: 'x' }), NESTING);
    expectValidation(nest(31, { M: { a: { N: '1' } } }), NESTING);
    // An empty map or list at the deepest level is itself the leaf.
    expect(validateAttributeValue(nest(31, { L: [] }))).toEqual(nest(31, { L: [] }));
    expect(validateAttributeValue(nest(31, { M: {} }))).toEqual(nest(31, { M: {} }));
  });

  it('refuses absurd nesting without deep recursion', () => {
    let value: unknown = { S: 'x' };
    for (let i = 0; i < 100000; i++) value = { L: [value] };
    expectValidation(value, NESTING);
  });
});

describe('validateItem', () => {
  it('validates every attribute and returns a canonical copy', () => {
    expect(validateItem({ id: { S: 'a' }, n: { N: '001' } })).toEqual({ id: { S: 'a' }, n: { N: '1' } });
    expect(validateItem({})).toEqual({});
  });

  it('refuses non-maps with DynamoDB serialization messages', () => {
    for (const [item, message] of [
      ['23', 'Unexpected field type'],
      [true, 'Unexpected field type'],
      [[], 'Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>'],
      [{ a: 5 }, 'Unexpected value type in payload'],
    ] as const) {
      const error = errorOf(() => validateItem(item));
      expect(error).toBeInstanceOf(SerializationException);
      expect(error.message).toBe(message);
    }
  });

  it('checks serialization of all attributes before validating any', () => {
    const item = { a: { SS: [] }, b: { S: 1 } };
    expect(errorOf(() => validateItem(item))).toBeInstanceOf(SerializationException);
    expect(() => checkItemSerialization({ a: { SS: [] } })).not.toThrow();
  });

  it('keeps an attribute named __proto__ as an ordinary attribute', () => {
    const item = validateItem(JSON.parse('{"__proto__": {"S": "x"}, "a": {"M": {"__proto__": {"N": "1.0"}}}}'));
    expect(Object.keys(item)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(item)).toBe(Object.prototype);
    const inner = (item.a as { M: Record<string, AttributeValue> }).M;
    expect(Object.keys(inner)).toEqual(['__proto__']);
    expect(JSON.stringify(item)).toBe('{"__proto__":{"S":"x"},"a":{"M":{"__proto__":{"N":"1"}}}}');
  });
});

describe('attributeValuesEqual', () => {
  it.each([
    [{ S: 'a' }, { S: 'a' }, true],
    [{ S: 'a' }, { S: 'b' }, false],
    [{ S: '1' }, { N: '1' }, false],
    [{ N: '1.50' }, { N: '1.5' }, true],
    [{ N: '100' }, { N: '1e2' }, true],
    [{ B: 'AAE=' }, { B: 'AAE=' }, true],
    [{ B: 'AAE=' }, { B: 'AAI=' }, false],
    [{ BOOL: true }, { BOOL: true }, true],
    [{ BOOL: true }, { BOOL: false }, false],
    [{ NULL: true }, { NULL: true }, true],
    [{ SS: ['a', 'b'] }, { SS: ['b', 'a'] }, true],
    [{ SS: ['a', 'b'] }, { SS: ['a', 'c'] }, false],
    [{ SS: ['a'] }, { SS: ['a', 'b'] }, false],
    [{ NS: ['1', '2.0'] }, { NS: ['2', '1.00'] }, true],
    [{ BS: ['AA==', 'AQ=='] }, { BS: ['AQ==', 'AA=='] }, true],
    [{ L: [{ S: 'a' }, { N: '1' }] }, { L: [{ S: 'a' }, { N: '1.0' }] }, true],
    [{ L: [{ S: 'a' }, { N: '1' }] }, { L: [{ N: '1' }, { S: 'a' }] }, false],
    [{ M: { a: { N: '1' }, b: { S: 'x' } } }, { M: { b: { S: 'x' }, a: { N: '1.0' } } }, true],
    [{ M: { a: { N: '1' } } }, { M: { a: { N: '1' }, b: { S: 'x' } } }, false],
    [{ M: { a: { N: '1' } } }, { M: { b: { N: '1' } } }, false],
    [{ L: [] }, { M: {} }, false],
  ] as [AttributeValue, AttributeValue, boolean][])('%j == %j is %s', (a, b, expected) => {
    expect(attributeValuesEqual(a, b)).toBe(expected);
    expect(attributeValuesEqual(b, a)).toBe(expected);
  });
});

describe('compareScalar', () => {
  it('orders numbers numerically and binaries by unsigned bytes', () => {
    expect(compareScalar({ N: '9' }, { N: '10' })).toBe(-1);
    expect(compareScalar({ N: '-1.5' }, { N: '-1.50' })).toBe(0);
    expect(compareScalar({ B: Buffer.from([0x7f]).toString('base64') }, { B: Buffer.from([0x80]).toString('base64') })).toBe(-1);
    expect(compareScalar({ B: Buffer.from([1]).toString('base64') }, { B: Buffer.from([1, 0]).toString('base64') })).toBe(-1);
  });

  it('orders strings by UTF-8 bytes, not UTF-16 code units', () => {
    const emoji = '\u{1F600}'; // a surrogate pair in JS, 4 bytes F0 9F 98 80 in UTF-8
    const privateUse = '\uE000'; // EE 80 80
    expect(emoji < privateUse).toBe(true); // JS order
    expect(compareScalar({ S: emoji }, { S: privateUse })).toBe(1); // DynamoDB order
    expect(compareScalar({ S: 'a' }, { S: 'b' })).toBe(-1);
    expect(compareScalar({ S: 'ab' }, { S: 'a' })).toBe(1);
    expect(compareScalar({ S: 'Z' }, { S: 'a' })).toBe(-1);
    expect(compareScalar({ S: 'é' }, { S: 'z' })).toBe(1);
    expect(compareScalar({ S: '' }, { S: '' })).toBe(0);
  });

  it('agrees with Buffer.compare of UTF-8 on random strings', () => {
    let state = 17;
    const next = (n: number): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    const pool = ['a', 'b', '\u0000', '\u007f', 'é', '\u07ff', '\u0800', '\uFFFD', '\uE000', '\uFFFF', '\u{10000}', '\u{1F600}', '\u{10FFFF}'];
    const randomString = (): string => Array.from({ length: next(5) }, () => pool[next(pool.length)]).join('');
    for (let i = 0; i < 5000; i++) {
      const a = randomString();
      const b = randomString();
      expect(compareUtf8(a, b)).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
    }
  });

  it('is undefined across types and for non-scalars', () => {
    expect(compareScalar({ S: '1' }, { N: '1' })).toBeUndefined();
    expect(compareScalar({ BOOL: true }, { BOOL: true })).toBeUndefined();
    expect(compareScalar({ L: [] }, { L: [] })).toBeUndefined();
  });
});

describe('attributeType and cloneItem', () => {
  it('names the type', () => {
    const cases: [AttributeValue, string][] = [
      [{ S: 'a' }, 'S'], [{ N: '1' }, 'N'], [{ B: '' }, 'B'], [{ BOOL: false }, 'BOOL'], [{ NULL: true }, 'NULL'],
      [{ L: [] }, 'L'], [{ M: {} }, 'M'], [{ SS: ['a'] }, 'SS'], [{ NS: ['1'] }, 'NS'], [{ BS: ['AA=='] }, 'BS'],
    ];
    for (const [value, type] of cases) expect(attributeType(value)).toBe(type);
  });

  it('copies deeply', () => {
    const item = { a: { M: { b: { L: [{ SS: ['x'] }] } } } } as Record<string, AttributeValue>;
    const copy = cloneItem(item);
    expect(copy).toEqual(item);
    ((((copy.a as { M: Record<string, AttributeValue> }).M.b as { L: AttributeValue[] }).L[0]) as { SS: string[] }).SS.push('y');
    expect(item).toEqual({ a: { M: { b: { L: [{ SS: ['x'] }] } } } });
  });
});
