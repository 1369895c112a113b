/**
 * Attribute values as DynamoDB checks them. Checking runs in two passes because DynamoDB does:
 * first the whole request is deserialized (wrong JSON types are a SerializationException), then
 * validated (empty sets, bad numbers, … are a ValidationException). A caller checking several
 * values in one request should run checkItemSerialization / checkAttributeValueSerialization on
 * all of them before validating any, so that the error reported is the one DynamoDB reports.
 *
 * Messages are AWS's, including their oddities ("An string set  may not be empty", "dectected").
 */
import { SerializationException, ValidationException } from './errors';
import { NESTING_DEPTH_MAX } from './limits';
import { canonicalNumber, compareNumbers } from './number';
import type { AttributeValue, Item } from './types';
import { setOwn } from './own-property';

export type AttributeType = 'S' | 'N' | 'B' | 'BOOL' | 'NULL' | 'L' | 'M' | 'SS' | 'NS' | 'BS';

const ATTRIBUTE_TYPES: ReadonlySet<string> = new Set<AttributeType>([
  'S', 'N', 'B', 'BOOL', 'NULL', 'L', 'M', 'SS', 'NS', 'BS',
]);

const MESSAGE_EMPTY =
  'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes';
const MESSAGE_MULTIPLE =
  'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes';
const MESSAGE_NESTING =
  'Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit';
const INVALID_PREFIX = 'One or more parameter values were invalid: ';
const ATTRIBUTE_VALUE_CLASS = 'com.amazonaws.dynamodb.v20120810.AttributeValue';
const NOT_EXPECTED_STRUCTURE = 'Start of structure or map found where not expected';

// ---------------------------------------------------------------------------------------------
// Pass 1: deserialization. Mirrors how DynamoDB's JSON reader names a token of the wrong type.

function jsonNumberToken(value: number): string {
  return Number.isInteger(value) ? 'NUMBER_VALUE' : 'DECIMAL_VALUE';
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkStringMember(value: unknown): void {
  if (typeof value === 'string') return;
  if (typeof value === 'boolean') {
    throw new SerializationException(`${value ? 'TRUE_VALUE' : 'FALSE_VALUE'} cannot be converted to String`);
  }
  if (typeof value === 'number') {
    throw new SerializationException(`${jsonNumberToken(value)} cannot be converted to String`);
  }
  if (Array.isArray(value)) throw new SerializationException('Unrecognized collection type class java.lang.String');
  throw new SerializationException(NOT_EXPECTED_STRUCTURE);
}

const BASE64_ALPHABET = /^[A-Za-z0-9+/]*={0,2}$/;

function checkBlobMember(value: unknown): void {
  if (typeof value === 'boolean' || typeof value === 'number') {
    throw new SerializationException('only base-64-encoded strings are convertible to bytes');
  }
  if (Array.isArray(value)) throw new SerializationException('Unrecognized collection type class java.nio.ByteBuffer');
  if (typeof value !== 'string') throw new SerializationException(NOT_EXPECTED_STRUCTURE);
  if (value.length % 4 !== 0) {
    throw new SerializationException(
      `Base64 encoded length is expected a multiple of 4 bytes but found: ${value.length}`,
    );
  }
  // Node's decoder skips junk silently; re-encoding tells us whether the text was canonical
  // (alphabet, padding only at the end, zero bits after the last character), as Java demands.
  if (!BASE64_ALPHABET.test(value) || Buffer.from(value, 'base64').toString('base64') !== value) {
    throw new SerializationException('Invalid last non-pad Base64 character dectected');
  }
}

/** DynamoDB's reader also takes the strings true/false, 1/0 and yes/no (any case) as booleans. */
function toBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    throw new SerializationException(`${jsonNumberToken(value)} cannot be converted to Boolean`);
  }
  if (typeof value === 'string') {
    const upper = value.toUpperCase();
    if (upper === 'TRUE' || upper === '1' || upper === 'YES') return true;
    if (upper === 'FALSE' || upper === '0' || upper === 'NO') return false;
    throw new SerializationException('Unexpected token received from parser');
  }
  if (Array.isArray(value)) throw new SerializationException('Unrecognized collection type class java.lang.Boolean');
  throw new SerializationException(NOT_EXPECTED_STRUCTURE);
}

function checkListMember(value: unknown): asserts value is unknown[] {
  if (Array.isArray(value)) return;
  if (typeof value === 'object' && value !== null) throw new SerializationException(NOT_EXPECTED_STRUCTURE);
  throw new SerializationException('Unexpected field type');
}

function checkMapMember(value: unknown): asserts value is Record<string, unknown> {
  if (isJsonObject(value)) return;
  if (Array.isArray(value)) {
    throw new SerializationException(
      `Unrecognized collection type java.util.Map<java.lang.String, ${ATTRIBUTE_VALUE_CLASS}>`,
    );
  }
  throw new SerializationException('Unexpected field type');
}

/** Checks the JSON types of one wire value (at nesting `level`); values over the limit are skipped. */
function checkValueSerialization(value: unknown, level: number): void {
  if (value === null || value === undefined) return; // absent: reported as empty when validating
  if (Array.isArray(value)) throw new SerializationException(`Unrecognized collection type class ${ATTRIBUTE_VALUE_CLASS}`);
  if (typeof value !== 'object') throw new SerializationException('Unexpected value type in payload');
  const fields = value as Record<string, unknown>;
  for (const type of Object.keys(fields)) {
    const member = fields[type];
    if (!ATTRIBUTE_TYPES.has(type) || member === null || member === undefined) continue;
    switch (type as AttributeType) {
      case 'S':
      case 'N':
        checkStringMember(member);
        break;
      case 'B':
        checkBlobMember(member);
        break;
      case 'BOOL':
      case 'NULL':
        toBoolean(member);
        break;
      case 'SS':
      case 'NS':
        checkListMember(member);
        for (const element of member) if (element !== null && element !== undefined) checkStringMember(element);
        break;
      case 'BS':
        checkListMember(member);
        for (const element of member) if (element !== null && element !== undefined) checkBlobMember(element);
        break;
      case 'L':
        checkListMember(member);
        // Deeper than the limit is refused when validating; don't walk (or recurse) further.
        if (level < NESTING_DEPTH_MAX) for (const element of member) checkValueSerialization(element, level + 1);
        break;
      case 'M':
        checkMapMember(member);
        if (level < NESTING_DEPTH_MAX) {
          for (const key of Object.keys(member)) checkValueSerialization(member[key], level + 1);
        }
        break;
    }
  }
}

/** Throws the SerializationException DynamoDB gives for one wire attribute value, if any. */
export function checkAttributeValueSerialization(value: unknown): void {
  checkValueSerialization(value, 1);
}

/** Throws the SerializationException DynamoDB gives for an item (a map of attribute values). */
export function checkItemSerialization(item: unknown): void {
  checkMapMember(item);
  for (const name of Object.keys(item)) checkValueSerialization(item[name], 1);
}

// ---------------------------------------------------------------------------------------------
// Pass 2: validation. Input has passed pass 1, so member JSON types are known to be right.

function collectionText(values: readonly string[]): string {
  return `[${values.join(', ')}]`;
}

function hasDuplicate(values: readonly string[]): boolean {
  return new Set(values).size !== values.length;
}

function setMembers(member: unknown[], type: 'SS' | 'NS' | 'BS'): string[] {
  const values: string[] = [];
  for (const element of member) {
    if (element === null || element === undefined) {
      // A JSON null in a number set is an empty number to DynamoDB's number parser.
      if (type === 'NS') throw new ValidationException('The parameter cannot be converted to a numeric value');
      throw new ValidationException(`${INVALID_PREFIX}Set members may not be null`);
    }
    values.push(element as string);
  }
  return values;
}

function validateMember(type: AttributeType, member: unknown, level: number): AttributeValue {
  switch (type) {
    case 'S':
      return { S: member as string };
    case 'N':
      return { N: canonicalNumber(member as string) };
    case 'B':
      return { B: member as string };
    case 'BOOL':
      return { BOOL: toBoolean(member) };
    case 'NULL':
      if (!toBoolean(member)) {
        throw new ValidationException(`${INVALID_PREFIX}Null attribute value types must have the value of true`);
      }
      return { NULL: true };
    case 'SS': {
      const values = setMembers(member as unknown[], 'SS');
      if (values.length === 0) throw new ValidationException(`${INVALID_PREFIX}An string set  may not be empty`);
      if (hasDuplicate(values)) {
        throw new ValidationException(`${INVALID_PREFIX}Input collection ${collectionText(values)} contains duplicates.`);
      }
      return { SS: values };
    }
    case 'NS': {
      const raw = member as unknown[];
      if (raw.length === 0) throw new ValidationException(`${INVALID_PREFIX}An number set  may not be empty`);
      const values = setMembers(raw, 'NS').map(canonicalNumber);
      // Canonical texts are equal exactly when the numbers are, so ["1", "1.0"] is a duplicate.
      if (hasDuplicate(values)) throw new ValidationException('Input collection contains duplicates');
      return { NS: values };
    }
    case 'BS': {
      const values = setMembers(member as unknown[], 'BS');
      if (values.length === 0) throw new ValidationException(`${INVALID_PREFIX}Binary sets should not be empty`);
      // Pass 1 admitted only canonical base64, so equal texts are exactly equal bytes.
      if (hasDuplicate(values)) {
        throw new ValidationException(
          `${INVALID_PREFIX}Input collection ${collectionText(values)}of type BS contains duplicates.`,
        );
      }
      return { BS: values };
    }
    case 'L': {
      const elements = member as unknown[];
      if (elements.length > 0 && level >= NESTING_DEPTH_MAX) throw new ValidationException(MESSAGE_NESTING);
      return { L: elements.map((element) => validateValue(element, level + 1)) };
    }
    case 'M': {
      const fields = member as Record<string, unknown>;
      const keys = Object.keys(fields);
      if (keys.length > 0 && level >= NESTING_DEPTH_MAX) throw new ValidationException(MESSAGE_NESTING);
      const out: Record<string, AttributeValue> = {};
      for (const key of keys) setOwn(out, key, validateValue(fields[key], level + 1));
      return { M: out };
    }
  }
}

/** Validates one value at nesting `level` (1 = an attribute's own value). */
function validateValue(value: unknown, level: number): AttributeValue {
  if (value === null || value === undefined) throw new ValidationException(MESSAGE_EMPTY);
  const fields = value as Record<string, unknown>;
  let result: AttributeValue | undefined;
  let count = 0;
  // Each member is checked in the order given before the count is, as DynamoDB does:
  // {"S": "a", "N": "x"} reports the bad number, not the two types.
  for (const type of Object.keys(fields)) {
    const member = fields[type];
    if (!ATTRIBUTE_TYPES.has(type) || member === null || member === undefined) continue;
    result = validateMember(type as AttributeType, member, level);
    count++;
  }
  if (count === 0 || result === undefined) throw new ValidationException(MESSAGE_EMPTY);
  if (count > 1) throw new ValidationException(MESSAGE_MULTIPLE);
  return result;
}

/**
 * Checks one wire attribute value as DynamoDB does (serialization, then validation) and returns
 * a fresh copy with numbers in canonical text.
 */
export function validateAttributeValue(value: unknown): AttributeValue {
  checkAttributeValueSerialization(value);
  return validateValue(value, 1);
}

/** Checks a wire item (a map of attribute values) and returns a canonical copy. */
export function validateItem(item: unknown): Item {
  checkItemSerialization(item);
  const fields = item as Record<string, unknown>;
  const out: Item = {};
  for (const name of Object.keys(fields)) setOwn(out, name, validateValue(fields[name], 1));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Comparison. These take validated values (numbers valid, base64 canonical).

/** The type of a validated value. */
export function attributeType(value: AttributeValue): AttributeType {
  for (const key of Object.keys(value)) {
    if (ATTRIBUTE_TYPES.has(key)) return key as AttributeType;
  }
  throw new Error('attributeType: not an attribute value');
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function isSurrogate(codeUnit: number): boolean {
  return codeUnit >= 0xd800 && codeUnit <= 0xdfff;
}

/**
 * Compares strings by their UTF-8 bytes, which is DynamoDB's order and the order of our storage
 * keys. That is code point order, not JS's UTF-16 order: U+1F600 (a surrogate pair in JS) sorts
 * after U+FFFD here but before it with `<`.
 */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Below the surrogates, code unit order is code point order. Surrogates are rare: let the
    // encoder decide, which also treats lone surrogates exactly as the key encoding does.
    if (isSurrogate(x) || isSurrogate(y)) return sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    return x < y ? -1 : 1;
  }
  return sign(a.length - b.length);
}

function compareBinary(a: string, b: string): number {
  if (a === b) return 0;
  return sign(Buffer.compare(Buffer.from(a, 'base64'), Buffer.from(b, 'base64')));
}

/**
 * DynamoDB's ordering of scalars (for comparisons, BETWEEN and sort keys): S by UTF-8 bytes,
 * N numerically, B by unsigned bytes. Undefined when the types differ or are not S, N or B.
 */
export function compareScalar(a: AttributeValue, b: AttributeValue): number | undefined {
  if ('S' in a && 'S' in b) return compareUtf8(a.S, b.S);
  if ('N' in a && 'N' in b) return compareNumbers(a.N, b.N);
  if ('B' in a && 'B' in b) return compareBinary(a.B, b.B);
  return undefined;
}

function sameStringSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const members = new Set(a);
  return b.every((value) => members.has(value));
}

/**
 * DynamoDB equality: same type and value. Numbers compare by value, sets as unordered sets,
 * lists in order, maps by key.
 */
export function attributeValuesEqual(a: AttributeValue, b: AttributeValue): boolean {
  if ('S' in a) return 'S' in b && a.S === b.S;
  if ('N' in a) return 'N' in b && compareNumbers(a.N, b.N) === 0;
  if ('B' in a) return 'B' in b && compareBinary(a.B, b.B) === 0;
  if ('BOOL' in a) return 'BOOL' in b && a.BOOL === b.BOOL;
  if ('NULL' in a) return 'NULL' in b;
  if ('SS' in a) return 'SS' in b && sameStringSet(a.SS, b.SS);
  if ('NS' in a) return 'NS' in b && sameStringSet(a.NS.map(canonicalNumber), b.NS.map(canonicalNumber));
  if ('BS' in a) {
    return 'BS' in b && sameStringSet(
      a.BS.map((v) => Buffer.from(v, 'base64').toString('base64')),
      b.BS.map((v) => Buffer.from(v, 'base64').toString('base64')),
    );
  }
  if ('L' in a) {
    return 'L' in b && a.L.length === b.L.length && a.L.every((element, i) => attributeValuesEqual(element, b.L[i]));
  }
  if ('M' in a) {
    if (!('M' in b)) return false;
    const keys = Object.keys(a.M);
    if (keys.length !== Object.keys(b.M).length) return false;
    return keys.every((key) => Object.prototype.hasOwnProperty.call(b.M, key) && attributeValuesEqual(a.M[key], b.M[key]));
  }
  throw new Error('attributeValuesEqual: not an attribute value');
}

/** A deep copy of one value, so that an update can change it without touching the original. */
export function cloneAttributeValue(value: AttributeValue): AttributeValue {
  if ('L' in value) return { L: value.L.map(cloneAttributeValue) };
  if ('M' in value) return { M: cloneItem(value.M) };
  if ('SS' in value) return { SS: [...value.SS] };
  if ('NS' in value) return { NS: [...value.NS] };
  if ('BS' in value) return { BS: [...value.BS] };
  return { ...value } as AttributeValue;
}

/** A deep copy of an item. */
export function cloneItem(item: Item): Item {
  const out: Item = {};
  for (const name of Object.keys(item)) setOwn(out, name, cloneAttributeValue(item[name]));
  return out;
}
