/**
 * DynamoDB numbers: decimals of up to 38 significant digits whose first significant digit sits
 * between 10^-130 and 10^125, or zero. They are never held in JS floats (which keep ~16 digits);
 * we keep the digit string and the exponent, and use BigInt for exact arithmetic.
 *
 * Behaviour follows what DynamoDB does with the text it is given:
 * - accepted: an optional sign (`+` too), digits with an optional point (`1.`, `.5`), an optional
 *   exponent (`1e+5`, `1E-3`); no whitespace, no `NaN`/`Infinity`;
 * - stored and returned in plain notation without redundant zeros: `1.50` -> `1.5`,
 *   `1e3` -> `1000`, `-0` -> `0`, `+100` -> `100`;
 * - leading and trailing zeros are not significant digits (`1` followed by 40 zeros is fine).
 */
import { ValidationException } from './errors';
import { NUMBER_EXPONENT_MAX, NUMBER_EXPONENT_MIN, NUMBER_PRECISION_DIGITS_MAX } from './limits';

/** A parsed number: value = sign × 0.d1d2d3… × 10^(exponent + 1), i.e. d1.d2d3… × 10^exponent. */
export interface DecimalNumber {
  readonly sign: -1 | 0 | 1;
  /** Significant digits: no leading or trailing zeros; '' for zero. */
  readonly digits: string;
  /** Power of ten of the first significant digit (the scientific-notation exponent); 0 for zero. */
  readonly exponent: number;
}

const MESSAGE_NOT_NUMERIC = 'The parameter cannot be converted to a numeric value';
const MESSAGE_PRECISION = 'Attempting to store more than 38 significant digits in a Number';
const MESSAGE_OVERFLOW =
  'Number overflow. Attempting to store a number with magnitude larger than supported range';
const MESSAGE_UNDERFLOW =
  'Number underflow. Attempting to store a number with magnitude smaller than supported range';

const ZERO: DecimalNumber = { sign: 0, digits: '', exponent: 0 };

/** Java's BigDecimal, which DynamoDB parses with, refuses exponents outside an int. */
const EXPONENT_LITERAL_MAX = 2147483647;

const NUMBER_SYNTAX = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parses the syntax only; undefined if `text` is not a number at all. */
function parseSyntax(text: string): DecimalNumber | undefined {
  const match = NUMBER_SYNTAX.exec(text);
  if (match === null) return undefined;
  const signText = match[1];
  const integerPart = match[2];
  const fractionPart = match[3] ?? '';
  const exponentText = match[4];
  if (integerPart === '' && fractionPart === '') return undefined;

  let literalExponent = 0;
  if (exponentText !== undefined) {
    const negative = exponentText.startsWith('-');
    const magnitudeText = exponentText.replace(/^[+-]?0*/, '');
    // Ten digits is enough for any int; longer texts are out of range without converting them.
    if (magnitudeText.length > 10) return undefined;
    const magnitude = magnitudeText === '' ? 0 : Number(magnitudeText);
    if (magnitude > EXPONENT_LITERAL_MAX) return undefined;
    literalExponent = negative ? -magnitude : magnitude;
  }

  const allDigits = integerPart + fractionPart;
  let start = 0;
  while (start < allDigits.length && allDigits.charCodeAt(start) === 0x30) start++;
  if (start === allDigits.length) return ZERO;
  let end = allDigits.length;
  while (allDigits.charCodeAt(end - 1) === 0x30) end--;

  return {
    sign: signText === '-' ? -1 : 1,
    digits: allDigits.slice(start, end),
    exponent: integerPart.length - 1 - start + literalExponent,
  };
}

/** The range and precision error for a nonzero value, if any (DynamoDB checks in this order). */
function rangeError(value: DecimalNumber): string | undefined {
  if (value.sign === 0) return undefined;
  if (value.exponent > NUMBER_EXPONENT_MAX) return MESSAGE_OVERFLOW;
  if (value.exponent < NUMBER_EXPONENT_MIN) return MESSAGE_UNDERFLOW;
  if (value.digits.length > NUMBER_PRECISION_DIGITS_MAX) return MESSAGE_PRECISION;
  return undefined;
}

/**
 * Parses and validates a number as DynamoDB does, throwing its ValidationException messages.
 * Exported for code that needs the digits (sizes, encodings); most callers want canonicalNumber.
 */
export function parseNumber(text: string): DecimalNumber {
  const value = parseSyntax(text);
  if (value === undefined) {
    throw new ValidationException(text === '' ? MESSAGE_NOT_NUMERIC : `${MESSAGE_NOT_NUMERIC}: ${text}`);
  }
  const error = rangeError(value);
  if (error !== undefined) throw new ValidationException(error);
  return value;
}

/** Plain-notation text without redundant zeros: the form DynamoDB stores and returns. */
export function formatNumber(value: DecimalNumber): string {
  if (value.sign === 0) return '0';
  const { digits, exponent } = value;
  let body: string;
  if (exponent >= digits.length - 1) {
    body = digits + '0'.repeat(exponent - digits.length + 1);
  } else if (exponent >= 0) {
    body = `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
  } else {
    body = `0.${'0'.repeat(-exponent - 1)}${digits}`;
  }
  return value.sign < 0 ? `-${body}` : body;
}

/** Validates `text` and returns DynamoDB's canonical text for it. */
export function canonicalNumber(text: string): string {
  return formatNumber(parseNumber(text));
}

function compareMagnitudes(a: DecimalNumber, b: DecimalNumber): number {
  if (a.exponent !== b.exponent) return a.exponent < b.exponent ? -1 : 1;
  // Same leading power of ten: digit strings compare lexicographically, and since neither has
  // trailing zeros, a proper prefix is the smaller value.
  if (a.digits === b.digits) return 0;
  return a.digits < b.digits ? -1 : 1;
}

function compareParsed(a: DecimalNumber, b: DecimalNumber): number {
  if (a.sign !== b.sign) return a.sign < b.sign ? -1 : 1;
  if (a.sign === 0) return 0;
  const magnitude = compareMagnitudes(a, b);
  return magnitude === 0 ? 0 : a.sign * magnitude; // never -0
}

/** Exact numeric comparison of two valid number texts: -1, 0 or 1. */
export function compareNumbers(a: string, b: string): number {
  return compareParsed(parseNumber(a), parseNumber(b));
}

/** Power of ten of the last significant digit. */
function lastDigitExponent(value: DecimalNumber): number {
  return value.exponent - value.digits.length + 1;
}

function toScaledBigInt(value: DecimalNumber, scaleExponent: number): bigint {
  if (value.sign === 0) return 0n;
  const shift = lastDigitExponent(value) - scaleExponent;
  const magnitude = BigInt(value.digits) * 10n ** BigInt(shift);
  return value.sign < 0 ? -magnitude : magnitude;
}

function fromScaledBigInt(scaled: bigint, scaleExponent: number): DecimalNumber {
  if (scaled === 0n) return ZERO;
  const negative = scaled < 0n;
  const text = (negative ? -scaled : scaled).toString();
  let end = text.length;
  while (text.charCodeAt(end - 1) === 0x30) end--;
  const digits = text.slice(0, end);
  const lastExponent = scaleExponent + (text.length - end);
  return { sign: negative ? -1 : 1, digits, exponent: lastExponent + digits.length - 1 };
}

/**
 * a + sign·b exactly. DynamoDB does not round results: one that needs more than 38 digits is
 * refused, and (as observed against AWS, e.g. 1e50 + 1) with the overflow message.
 */
function addSigned(a: string, b: string, bSign: 1 | -1): string {
  const x = parseNumber(a);
  const y = parseNumber(b);
  // Both operands are in range, so the alignment shift is at most ~300 digits.
  const scale = Math.min(
    x.sign === 0 ? Infinity : lastDigitExponent(x),
    y.sign === 0 ? Infinity : lastDigitExponent(y),
  );
  if (scale === Infinity) return '0';
  const sum = toScaledBigInt(x, scale) + BigInt(bSign) * toScaledBigInt(y, scale);
  const result = fromScaledBigInt(sum, scale);
  if (result.sign !== 0) {
    if (result.exponent > NUMBER_EXPONENT_MAX) throw new ValidationException(MESSAGE_OVERFLOW);
    if (result.exponent < NUMBER_EXPONENT_MIN) throw new ValidationException(MESSAGE_UNDERFLOW);
    if (result.digits.length > NUMBER_PRECISION_DIGITS_MAX) throw new ValidationException(MESSAGE_OVERFLOW);
  }
  return formatNumber(result);
}

/** Exact a + b in canonical text (UpdateExpression `+`, `ADD` on a number). */
export function addNumbers(a: string, b: string): string {
  return addSigned(a, b, 1);
}

/** Exact a - b in canonical text (UpdateExpression `-`). */
export function subtractNumbers(a: string, b: string): string {
  return addSigned(a, b, -1);
}

// Order-preserving key encoding. Three classes sort negative < zero < positive by their first
// byte. Within a class: the exponent (2 bytes, biased), then one byte per significant digit, then
// a terminator that sorts below every digit byte (positives: a shorter digit string is smaller) or
// above it (negatives, where every byte after the class byte is complemented so larger magnitudes
// sort first). Digit bytes are 1..10, never a terminator, so no encoding is a prefix of another.
const CLASS_NEGATIVE = 0x7f;
const CLASS_ZERO = 0x80;
const CLASS_POSITIVE = 0x81;
const TERMINATOR_POSITIVE = 0x00;
const TERMINATOR_NEGATIVE = 0xff;
const EXPONENT_BIAS = 0x8000;

/** Encodes a valid number so that Buffer.compare order is numeric order. */
export function encodeNumberKey(text: string): Buffer {
  const value = parseNumber(text);
  if (value.sign === 0) return Buffer.from([CLASS_ZERO]);
  const { digits } = value;
  const out = Buffer.alloc(digits.length + 4);
  const biased = value.exponent + EXPONENT_BIAS;
  const negative = value.sign < 0;
  out[0] = negative ? CLASS_NEGATIVE : CLASS_POSITIVE;
  out.writeUInt16BE(negative ? 0xffff - biased : biased, 1);
  for (let i = 0; i < digits.length; i++) {
    const digit = digits.charCodeAt(i) - 0x30;
    out[3 + i] = negative ? 10 - digit : digit + 1;
  }
  out[3 + digits.length] = negative ? TERMINATOR_NEGATIVE : TERMINATOR_POSITIVE;
  return out;
}

/** Decodes one encodeNumberKey encoding at `offset`; `next` is the offset just past it. */
export function decodeNumberKey(buf: Buffer, offset: number): { text: string; next: number } {
  const kind = buf[offset];
  if (kind === CLASS_ZERO) return { text: '0', next: offset + 1 };
  if (kind !== CLASS_POSITIVE && kind !== CLASS_NEGATIVE) {
    throw new Error(`decodeNumberKey: bad class byte ${String(kind)} at offset ${offset}`);
  }
  const negative = kind === CLASS_NEGATIVE;
  if (offset + 3 > buf.length) throw new Error('decodeNumberKey: truncated exponent');
  const stored = buf.readUInt16BE(offset + 1);
  const exponent = (negative ? 0xffff - stored : stored) - EXPONENT_BIAS;
  const terminator = negative ? TERMINATOR_NEGATIVE : TERMINATOR_POSITIVE;
  let digits = '';
  let i = offset + 3;
  for (; i < buf.length && buf[i] !== terminator; i++) {
    const digit = negative ? 10 - buf[i] : buf[i] - 1;
    if (digit < 0 || digit > 9) throw new Error(`decodeNumberKey: bad digit byte at offset ${i}`);
    digits += String.fromCharCode(0x30 + digit);
  }
  if (i >= buf.length) throw new Error('decodeNumberKey: missing terminator');
  if (digits === '') throw new Error('decodeNumberKey: no digits');
  const text = formatNumber({ sign: negative ? -1 : 1, digits, exponent });
  return { text, next: i + 1 };
}
