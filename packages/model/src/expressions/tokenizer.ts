/**
 * Splits an expression into tokens. Keywords (AND, SET, ...) come out as identifiers; each
 * parser decides which words are keywords where. Whitespace separates tokens and is dropped, but
 * every token keeps its offsets so syntax errors can quote the source around it.
 */

export type TokenType =
  /** `[A-Za-z_][A-Za-z0-9_]*`: attribute names, function names, keywords. */
  | 'identifier'
  /** `#word`: an expression attribute name placeholder. */
  | 'name'
  /** `:word`: an expression attribute value placeholder. */
  | 'value'
  /** `[0-9]+`: a list index. */
  | 'number'
  /** One of `( ) [ ] , . = <> < <= > >= + -`. */
  | 'punct'
  /** A character no token starts with; always a syntax error. */
  | 'unknown'
  | 'eof';

export interface Token {
  type: TokenType;
  text: string;
  /** Offset of the first character in the source. */
  start: number;
  /** Offset after the last character (for EOF: the source length). */
  end: number;
}

function isWordChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || // 0-9
    (code >= 65 && code <= 90) || // A-Z
    (code >= 97 && code <= 122) || // a-z
    code === 95 // _
  );
}

function isWordStart(code: number): boolean {
  return isWordChar(code) && !(code >= 48 && code <= 57);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isWhitespace(char: string): boolean {
  return char === ' ' || char === '\t' || char === '\n' || char === '\r';
}

const SINGLE_PUNCT = new Set(['(', ')', '[', ']', ',', '.', '=', '+', '-']);

/** Tokenizes `source`; the last token is always EOF. Never throws: bad characters become `unknown`. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const length = source.length;
  while (i < length) {
    const char = source[i]!;
    if (isWhitespace(char)) {
      i += 1;
      continue;
    }
    const start = i;
    const code = source.charCodeAt(i);
    if (isWordStart(code)) {
      i += 1;
      while (i < length && isWordChar(source.charCodeAt(i))) i += 1;
      tokens.push({ type: 'identifier', text: source.slice(start, i), start, end: i });
    } else if (isDigit(code)) {
      i += 1;
      while (i < length && isDigit(source.charCodeAt(i))) i += 1;
      tokens.push({ type: 'number', text: source.slice(start, i), start, end: i });
    } else if ((char === '#' || char === ':') && i + 1 < length && isWordChar(source.charCodeAt(i + 1))) {
      i += 1;
      while (i < length && isWordChar(source.charCodeAt(i))) i += 1;
      tokens.push({ type: char === '#' ? 'name' : 'value', text: source.slice(start, i), start, end: i });
    } else if (char === '<' || char === '>') {
      const next = source[i + 1];
      if (next === '=' || (char === '<' && next === '>')) i += 2;
      else i += 1;
      tokens.push({ type: 'punct', text: source.slice(start, i), start, end: i });
    } else if (SINGLE_PUNCT.has(char)) {
      i += 1;
      tokens.push({ type: 'punct', text: char, start, end: i });
    } else {
      // One code point, so a surrogate pair is quoted whole.
      const codePoint = source.codePointAt(i)!;
      i += codePoint > 0xffff ? 2 : 1;
      tokens.push({ type: 'unknown', text: source.slice(start, i), start, end: i });
    }
  }
  tokens.push({ type: 'eof', text: '<EOF>', start: length, end: length });
  return tokens;
}
