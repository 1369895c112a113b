import { isReservedWord, RESERVED_WORDS } from '../../src/expressions';
import { tokenize } from '../../src/expressions/tokenizer';

describe('tokenize', () => {
  it('splits identifiers, placeholders, numbers and punctuation, keeping offsets', () => {
    const tokens = tokenize(' a.b[12] <>#n_1 :v2,(<=>=)+-');
    expect(tokens.map((t) => [t.type, t.text])).toEqual([
      ['identifier', 'a'],
      ['punct', '.'],
      ['identifier', 'b'],
      ['punct', '['],
      ['number', '12'],
      ['punct', ']'],
      ['punct', '<>'],
      ['name', '#n_1'],
      ['value', ':v2'],
      ['punct', ','],
      ['punct', '('],
      ['punct', '<='],
      ['punct', '>='],
      ['punct', ')'],
      ['punct', '+'],
      ['punct', '-'],
      ['eof', '<EOF>'],
    ]);
    expect(tokens[0]).toMatchObject({ start: 1, end: 2 });
    expect(tokens[tokens.length - 1]).toMatchObject({ start: 28, end: 28 });
  });

  it('turns stray characters into unknown tokens, whole code points', () => {
    expect(tokenize('a $ # : \u{1F600}').map((t) => [t.type, t.text])).toEqual([
      ['identifier', 'a'],
      ['unknown', '$'],
      ['unknown', '#'],
      ['unknown', ':'],
      ['unknown', '\u{1F600}'],
      ['eof', '<EOF>'],
    ]);
  });

  it('keeps digits after a letter in one identifier and splits a leading number', () => {
    expect(tokenize('a1 1a _x').map((t) => t.text)).toEqual(['a1', '1', 'a', '_x', '<EOF>']);
  });
});

describe('reserved words', () => {
  it('holds DynamoDB\'s 573 words, matched case-insensitively', () => {
    expect(RESERVED_WORDS.size).toBe(573);
    for (const word of ['name', 'NAME', 'Status', 'data', 'size', 'key', 'value', 'ttl', 'timestamp', 'zone', 'abort']) {
      expect(isReservedWord(word)).toBe(true);
    }
    for (const word of ['contains', 'pk', 'sk', 'title', 'price', 'color', 'attribute_exists', 'begins_with']) {
      expect(isReservedWord(word)).toBe(false);
    }
  });
});
