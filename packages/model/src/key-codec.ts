/**
 * Order-preserving, self-delimiting encodings of key attribute values, so that a storage key can
 * be the concatenation [partition][table][partition key][sort key] and a range scan over the
 * sort key visits items in DynamoDB's order.
 *
 * S (UTF-8 bytes) and B (raw bytes) are escaped: 0x00 becomes 0x00 0xFF, and the value ends with
 * 0x00 0x01. Then byte order of encodings is byte order of values (the terminator's 0x01 sorts
 * below both an escaped 0x00, 0xFF, and any other byte, so a prefix sorts first), and since a
 * 0x00 inside a value is always followed by 0xFF, no encoding is a prefix of another.
 * N uses encodeNumberKey, which has the same two properties.
 */
import { binaryBytes, numberSizeBytes, utf8Bytes } from './item-size';
import { decodeNumberKey, encodeNumberKey } from './number';
import type { AttributeValue, ScalarAttributeType } from './types';

const ESCAPED = 0x00;
const ESCAPE_MARK = 0xff;
const TERMINATOR_MARK = 0x01;

function encodeBytes(raw: Buffer): Buffer {
  let zeros = 0;
  for (let i = 0; i < raw.length; i++) if (raw[i] === ESCAPED) zeros++;
  const out = Buffer.alloc(raw.length + zeros + 2);
  let j = 0;
  for (let i = 0; i < raw.length; i++) {
    out[j++] = raw[i];
    if (raw[i] === ESCAPED) out[j++] = ESCAPE_MARK;
  }
  out[j++] = ESCAPED;
  out[j] = TERMINATOR_MARK;
  return out;
}

function decodeBytes(buf: Buffer, offset: number): { bytes: Buffer; next: number } {
  const parts: Buffer[] = [];
  let start = offset;
  for (let i = offset; i < buf.length; i++) {
    if (buf[i] !== ESCAPED) continue;
    const mark = buf[i + 1];
    if (mark === TERMINATOR_MARK) {
      parts.push(buf.subarray(start, i));
      return { bytes: Buffer.concat(parts), next: i + 2 };
    }
    if (mark !== ESCAPE_MARK) throw new Error(`decodeKeyValue: bad escape at offset ${i}`);
    parts.push(buf.subarray(start, i + 1)); // keep the 0x00, drop the mark
    start = i + 2;
    i++;
  }
  throw new Error('decodeKeyValue: missing terminator');
}

function mismatch(type: ScalarAttributeType): Error {
  // The router checks key types against the schema first; reaching this is a programming error.
  return new Error(`key value is not of type ${type}`);
}

/** Encodes a key attribute value of the given type; see the file comment for the format. */
export function encodeKeyValue(type: ScalarAttributeType, value: AttributeValue): Buffer {
  switch (type) {
    case 'S':
      if (!('S' in value)) throw mismatch(type);
      return encodeBytes(Buffer.from(value.S, 'utf8'));
    case 'B':
      if (!('B' in value)) throw mismatch(type);
      return encodeBytes(Buffer.from(value.B, 'base64'));
    case 'N':
      if (!('N' in value)) throw mismatch(type);
      return encodeNumberKey(value.N);
  }
}

/** Decodes one encodeKeyValue encoding at `offset`; `next` is the offset just past it. */
export function decodeKeyValue(
  type: ScalarAttributeType,
  buf: Buffer,
  offset: number,
): { value: AttributeValue; next: number } {
  switch (type) {
    case 'S': {
      const { bytes, next } = decodeBytes(buf, offset);
      return { value: { S: bytes.toString('utf8') }, next };
    }
    case 'B': {
      const { bytes, next } = decodeBytes(buf, offset);
      return { value: { B: bytes.toString('base64') }, next };
    }
    case 'N': {
      const { text, next } = decodeNumberKey(buf, offset);
      return { value: { N: text }, next };
    }
  }
}

/**
 * The size DynamoDB counts against the key limits (PARTITION_KEY_BYTES_MAX, SORT_KEY_BYTES_MAX):
 * UTF-8 length of S, raw length of B, stored size of N (at most 22 bytes, so never over a limit).
 */
export function keyValueBytes(type: ScalarAttributeType, value: AttributeValue): number {
  switch (type) {
    case 'S':
      if (!('S' in value)) throw mismatch(type);
      return utf8Bytes(value.S);
    case 'B':
      if (!('B' in value)) throw mismatch(type);
      return binaryBytes(value.B);
    case 'N':
      if (!('N' in value)) throw mismatch(type);
      return numberSizeBytes(value.N);
  }
}

/**
 * The smallest byte string greater than every string that starts with `prefix`: the exclusive
 * upper bound of a prefix range (a table, an item collection, a begins_with on the sort key).
 */
export function prefixEnd(prefix: Uint8Array): Buffer {
  const out = Buffer.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) {
      out[i]++;
      return out.subarray(0, i + 1);
    }
  }
  throw new Error('a prefix of only 0xff bytes has no upper bound');
}
