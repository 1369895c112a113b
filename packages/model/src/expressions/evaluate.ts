/**
 * Evaluates a parsed condition against an item. A missing item behaves as an empty one. An
 * operand that does not exist, or operands of different types, make a comparison false (and
 * `<>` true), as in DynamoDB; evaluation itself never throws.
 */
import { attributeType, attributeValuesEqual, compareScalar } from '../attribute-value';
import { binaryBytes, utf8Bytes } from '../item-size';
import { compareNumbers } from '../number';
import type { AttributeValue, Item } from '../types';
import type { Condition, Operand } from './ast';
import { valueAtPath } from './document-path';

/** size(): string and binary lengths in bytes, element counts of sets, lists and maps. */
export function sizeOf(value: AttributeValue): number | undefined {
  if ('S' in value) return utf8Bytes(value.S);
  if ('B' in value) return binaryBytes(value.B);
  if ('SS' in value) return value.SS.length;
  if ('NS' in value) return value.NS.length;
  if ('BS' in value) return value.BS.length;
  if ('L' in value) return value.L.length;
  if ('M' in value) return Object.keys(value.M).length;
  return undefined;
}

/** The value of an operand for `item`, or undefined when it does not exist. */
export function operandValue(operand: Operand, item: Item | undefined): AttributeValue | undefined {
  switch (operand.type) {
    case 'value':
      return operand.value;
    case 'path':
      return valueAtPath(item, operand.path);
    case 'size': {
      const value = operandValue(operand.operand, item);
      const size = value === undefined ? undefined : sizeOf(value);
      return size === undefined ? undefined : { N: String(size) };
    }
  }
}

function bytesOf(base64: string): Buffer {
  return Buffer.from(base64, 'base64');
}

function beginsWith(value: AttributeValue, prefix: AttributeValue): boolean {
  if ('S' in value && 'S' in prefix) return value.S.startsWith(prefix.S);
  if ('B' in value && 'B' in prefix) {
    const bytes = bytesOf(value.B);
    const start = bytesOf(prefix.B);
    return start.length <= bytes.length && bytes.subarray(0, start.length).equals(start);
  }
  return false;
}

function contains(value: AttributeValue, member: AttributeValue): boolean {
  if ('S' in value) return 'S' in member && value.S.includes(member.S);
  if ('B' in value) return 'B' in member && bytesOf(value.B).includes(bytesOf(member.B));
  if ('SS' in value) return 'S' in member && value.SS.includes(member.S);
  if ('NS' in value) return 'N' in member && value.NS.some((n) => compareNumbers(n, member.N) === 0);
  if ('BS' in value) return 'B' in member && value.BS.some((b) => bytesOf(b).equals(bytesOf(member.B)));
  if ('L' in value) return value.L.some((element) => attributeValuesEqual(element, member));
  return false;
}

function compare(op: string, left: AttributeValue | undefined, right: AttributeValue | undefined): boolean {
  if (left === undefined || right === undefined) return op === '<>';
  if (op === '=') return attributeValuesEqual(left, right);
  if (op === '<>') return !attributeValuesEqual(left, right);
  const order = compareScalar(left, right);
  if (order === undefined) return false;
  switch (op) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    default:
      return order >= 0;
  }
}

/** Whether `item` (undefined: no item) satisfies `condition`. */
export function evaluateCondition(condition: Condition, item: Item | undefined): boolean {
  switch (condition.type) {
    case 'and':
      return evaluateCondition(condition.left, item) && evaluateCondition(condition.right, item);
    case 'or':
      return evaluateCondition(condition.left, item) || evaluateCondition(condition.right, item);
    case 'not':
      return !evaluateCondition(condition.condition, item);
    case 'compare':
      return compare(condition.op, operandValue(condition.left, item), operandValue(condition.right, item));
    case 'between': {
      const value = operandValue(condition.operand, item);
      const low = operandValue(condition.low, item);
      const high = operandValue(condition.high, item);
      if (value === undefined || low === undefined || high === undefined) return false;
      const fromLow = compareScalar(value, low);
      const toHigh = compareScalar(value, high);
      return fromLow !== undefined && toHigh !== undefined && fromLow >= 0 && toHigh <= 0;
    }
    case 'in': {
      const value = operandValue(condition.operand, item);
      if (value === undefined) return false;
      return condition.list.some((candidate) => {
        const other = operandValue(candidate, item);
        return other !== undefined && attributeValuesEqual(value, other);
      });
    }
    case 'attribute_exists':
      return valueAtPath(item, condition.path) !== undefined;
    case 'attribute_not_exists':
      return valueAtPath(item, condition.path) === undefined;
    case 'attribute_type': {
      const value = valueAtPath(item, condition.path);
      return value !== undefined && attributeType(value) === condition.attributeType;
    }
    case 'begins_with': {
      const value = operandValue(condition.operand, item);
      const prefix = operandValue(condition.prefix, item);
      return value !== undefined && prefix !== undefined && beginsWith(value, prefix);
    }
    case 'contains': {
      const value = operandValue(condition.operand, item);
      const member = operandValue(condition.value, item);
      return value !== undefined && member !== undefined && contains(value, member);
    }
  }
}
