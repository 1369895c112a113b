import {
  attributeValueSizeBytes,
  ITEM_SIZE_BYTES_MAX,
  itemSizeBytes,
  numberSizeBytes,
  type AttributeValue,
} from '@triad/model';

describe('numberSizeBytes', () => {
  // Sizes measured against AWS DynamoDB (eu-west-2, 2026) at the 400 KB item boundary, where
  // one byte decides acceptance; published by the dynamodb-conformance project.
  it.each([
    ['0', 1],
    ['1', 2],
    ['12', 2],
    ['123', 3],
    ['1234', 3],
    ['12345678901234567890123456789012345678', 20],
    ['0042', 2],
    ['100', 2],
    ['1010', 3],
    ['0.0000001', 2],
    ['1E125', 2],
    ['1E-100', 2],
    ['1.5', 3],
    ['15', 2],
    ['1.2', 3],
    ['1.200', 3],
    ['1.234', 4],
    ['3.14159', 5],
    ['123456', 4],
    ['100.5', 4],
    ['0.15', 2],
    ['-42', 3],
    ['-0', 1],
  ])('%s costs %i bytes, as measured against AWS', (text, bytes) => {
    expect(numberSizeBytes(text)).toBe(bytes);
  });

  it('pairs digits around the decimal point', () => {
    expect(numberSizeBytes('120')).toBe(3); // 01|20
    expect(numberSizeBytes('1200')).toBe(2); // 12|00
    expect(numberSizeBytes('0.012')).toBe(3); // .01|20
    expect(numberSizeBytes('0.12')).toBe(2); // .12
    expect(numberSizeBytes('-99999999999999999999999999999999999999')).toBe(21);
    expect(numberSizeBytes('9.9999999999999999999999999999999999999')).toBe(21);
    expect(numberSizeBytes('-9.9999999999999999999999999999999999999')).toBe(22);
  });

  it('is the same however the number is spelled', () => {
    expect(numberSizeBytes('1.5e2')).toBe(numberSizeBytes('150'));
    expect(numberSizeBytes('+0.00150')).toBe(numberSizeBytes('15e-4'));
  });
});

describe('attributeValueSizeBytes', () => {
  it.each([
    [{ S: '' }, 0],
    [{ S: 'abc' }, 3],
    [{ S: 'é' }, 2],
    [{ S: '\u{1F600}' }, 4],
    [{ B: '' }, 0],
    [{ B: 'AAECAw==' }, 4],
    [{ B: 'AAEC' }, 3],
    [{ N: '27' }, 2],
    [{ N: '-27' }, 3],
    [{ BOOL: false }, 1],
    [{ NULL: true }, 1],
    [{ SS: ['a', 'bc', 'é'] }, 5],
    [{ NS: ['1', '-1', '1.5'] }, 2 + 3 + 3],
    [{ BS: ['AA==', 'AAE='] }, 3],
    [{ L: [] }, 3],
    [{ M: {} }, 3],
    [{ L: [{ S: 'ab' }, { N: '1' }] }, 3 + (1 + 2) + (1 + 2)],
    [{ M: { ab: { S: 'xyz' }, c: { BOOL: true } } }, 3 + (1 + 2 + 3) + (1 + 1 + 1)],
    [{ L: [{ M: { a: { L: [] } } }] }, 3 + 1 + (3 + 1 + 1 + 3)],
  ] as [AttributeValue, number][])('%j is %i bytes', (value, bytes) => {
    expect(attributeValueSizeBytes(value)).toBe(bytes);
  });
});

describe('itemSizeBytes', () => {
  it('adds UTF-8 attribute names to value sizes', () => {
    expect(itemSizeBytes({})).toBe(0);
    expect(itemSizeBytes({ id: { S: 'abc' } })).toBe(2 + 3);
    expect(itemSizeBytes({ id: { S: 'abc' }, n: { N: '12345' }, 'é': { BOOL: true } })).toBe(5 + (1 + 4) + (2 + 1));
  });

  it('reaches the 400 KB limit exactly where expected', () => {
    const padding = ITEM_SIZE_BYTES_MAX - itemSizeBytes({ pk: { S: 'k' } }) - 1;
    const item = { pk: { S: 'k' }, p: { S: 'x'.repeat(padding) } };
    expect(itemSizeBytes(item)).toBe(409600);
  });
});
