import { SerializationException, ValidationException, setOwn, validateAttributeValue } from '@triad/model';

/**
 * Declarative request checks, in DynamoDB's order: first every field's JSON type (a
 * SerializationException, as AWS's deserialiser reports it), then the members' constraints, which
 * DynamoDB gathers into one "N validation errors detected: ..." message (at most 10).
 */
export type FieldType =
  | 'String'
  | 'Boolean'
  | 'Integer'
  | 'Long'
  | 'AttributeValue'
  /** An attribute value as a structure's member (Expected's and AttributeUpdates' Value). */
  | 'AttributeValueField'
  /** An attribute value whose content is checked later by the operation, with its own message. */
  | 'AttributeValueUnchecked'
  | { list: FieldSpec }
  /** `valueClass`: the Java class of the values, which DynamoDB names when a JSON array stands for the map. */
  | { map: FieldSpec; keyConstraints?: Constraints; valueClass?: string }
  /** `className`: the structure's simple class name, as DynamoDB names it in type errors. */
  | { struct: Schema; className?: string };

const MODEL_PACKAGE = 'com.amazonaws.dynamodb.v20120810';

export interface Constraints {
  notNull?: boolean;
  /** "The parameter 'X' is required but was not present in the request" (checked before the others). */
  required?: boolean;
  pattern?: string;
  lengthMin?: number;
  lengthMax?: number;
  valueMin?: number;
  valueMax?: number;
  enumValues?: string[];
}

export interface FieldSpec extends Constraints {
  type: FieldType;
}

export type Schema = Record<string, FieldSpec>;

/**
 * The numbers an Integer (Java's int) or a Long field can hold. A Long is held exactly only up to
 * 2^53 in JavaScript, so larger ones are refused rather than rounded.
 */
const INTEGER_RANGES = {
  Integer: [-(2 ** 31), 2 ** 31 - 1],
  Long: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
} as const;

/** DynamoDB reports at most this many constraint violations in one message. */
const VIOLATIONS_REPORTED_MAX = 10;

function serialization(message: string): SerializationException {
  return new SerializationException(message);
}

function describeJsonType(value: unknown, target: string): never {
  if (typeof value === 'boolean') throw serialization(`${value ? 'TRUE_VALUE' : 'FALSE_VALUE'} cannot be converted to ${target}`);
  if (typeof value === 'number') {
    throw serialization(`${Number.isInteger(value) ? 'NUMBER_VALUE' : 'DECIMAL_VALUE'} cannot be converted to ${target}`);
  }
  if (typeof value === 'string') throw serialization(`STRING_VALUE cannot be converted to ${target}`);
  if (Array.isArray(value)) throw serialization(`Unrecognized collection type class java.lang.${target}`);
  throw serialization('Start of structure or map found where not expected');
}

/** The Java class DynamoDB names for the values of a map field. */
function mapValueClass(type: { map: FieldSpec; valueClass?: string }): string {
  if (type.valueClass !== undefined) return type.valueClass;
  const inner = type.map.type;
  if (inner === 'AttributeValue' || inner === 'AttributeValueUnchecked') return `${MODEL_PACKAGE}.AttributeValue`;
  if (typeof inner === 'object' && 'struct' in inner) return `${MODEL_PACKAGE}.${inner.className ?? 'Structure'}`;
  return 'java.lang.String';
}

/**
 * A structure standing as a map's value: a JSON scalar there is "Unexpected value type in
 * payload" (as for an attribute value), an array names the structure's class.
 */
function checkMapValue(value: unknown, type: FieldType): unknown {
  if (value !== null && value !== undefined && typeof type === 'object' && 'struct' in type) {
    if (typeof value !== 'object') throw serialization('Unexpected value type in payload');
    if (Array.isArray(value)) throw serialization(`Unrecognized collection type class ${MODEL_PACKAGE}.${type.className ?? 'Structure'}`);
  }
  return checkType(value, type);
}

/** Checks JSON types; returns the value with attribute values validated (numbers canonical). */
function checkType(value: unknown, type: FieldType): unknown {
  if (value === null || value === undefined) return undefined;
  if (type === 'String') {
    if (typeof value !== 'string') describeJsonType(value, 'String');
    return value;
  }
  if (type === 'Boolean') {
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string') {
      const upper = value.toUpperCase();
      if (['TRUE', '1', 'YES'].includes(upper)) return true;
      if (['FALSE', '0', 'NO'].includes(upper)) return false;
      throw serialization('Unexpected token received from parser');
    }
    describeJsonType(value, 'Boolean');
  }
  if (type === 'Integer' || type === 'Long') {
    if (typeof value === 'number') {
      // Not truncated: a Limit of 1.5 or 4294967297 (1 once cut to 32 bits further on) is a mistake to report.
      if (!Number.isInteger(value)) throw serialization(`DECIMAL_VALUE cannot be converted to ${type}`);
      const [min, max] = INTEGER_RANGES[type];
      if (value < min || value > max) throw serialization(`NUMBER_VALUE cannot be converted to ${type}`);
      return value;
    }
    if (typeof value === 'string') throw serialization(`STRING_VALUE cannot be converted to ${type}`);
    describeJsonType(value, type);
  }
  if (type === 'AttributeValue') return validateAttributeValue(value);
  if (type === 'AttributeValueField') {
    // A structure's Value member: DynamoDB's reader names a scalar or an array differently here.
    if (typeof value !== 'object') throw serialization('Unexpected field type');
    if (Array.isArray(value)) throw serialization(`Unrecognized collection type class ${MODEL_PACKAGE}.AttributeValue`);
    return validateAttributeValue(value);
  }
  if (type === 'AttributeValueUnchecked') {
    if (Array.isArray(value)) throw serialization(`Unrecognized collection type class ${MODEL_PACKAGE}.AttributeValue`);
    if (typeof value !== 'object') throw serialization('Unexpected value type in payload');
    return value;
  }
  if ('list' in type) {
    if (!Array.isArray(value)) {
      if (typeof value === 'object') throw serialization('Start of structure or map found where not expected');
      throw serialization('Unexpected field type');
    }
    return value.map((child) => checkType(child, type.list.type));
  }
  if ('map' in type) {
    if (typeof value !== 'object') throw serialization('Unexpected field type');
    if (Array.isArray(value)) throw serialization(`Unrecognized collection type java.util.Map<java.lang.String, ${mapValueClass(type)}>`);
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const checked = checkMapValue(child, type.map.type);
      if (checked !== undefined) setOwn(out, key, checked);
    }
    return out;
  }
  if (typeof value !== 'object') throw serialization('Unexpected field type');
  if (Array.isArray(value)) throw serialization(`Unrecognized collection type class ${MODEL_PACKAGE}.${type.className ?? 'Structure'}`);
  return checkStructTypes(value as Record<string, unknown>, type.struct);
}

const lowerFirst = (name: string) => name[0].toLowerCase() + name.slice(1);

/** A schema's fields in order, with the name DynamoDB's messages give each (lower camel case). */
interface SchemaField {
  name: string;
  spec: FieldSpec;
  messageName: string;
}

/** Schemas are static: their fields are listed once, not on every request. */
const schemaFieldLists = new WeakMap<Schema, SchemaField[]>();
function schemaFields(schema: Schema): SchemaField[] {
  let fields = schemaFieldLists.get(schema);
  if (!fields) {
    fields = Object.entries(schema).map(([name, spec]) => ({ name, spec, messageName: lowerFirst(name) }));
    schemaFieldLists.set(schema, fields);
  }
  return fields;
}

function checkStructTypes(value: Record<string, unknown>, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Fields the schema does not know are dropped, as DynamoDB's deserialiser ignores them.
  for (const { name, spec } of schemaFields(schema)) {
    const checked = checkType(value[name], spec.type);
    if (checked !== undefined) out[name] = checked;
  }
  return out;
}

const compiledPatterns = new Map<string, RegExp>();
function fullMatch(pattern: string, value: string): boolean {
  let regex = compiledPatterns.get(pattern);
  if (!regex) {
    regex = new RegExp(`^(?:${pattern})$`);
    compiledPatterns.set(pattern, regex);
  }
  return regex.test(value);
}

function formatValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  // Java's List.toString: `[a, b]`, not JSON.
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function violate(violations: string[], path: string, value: unknown, message: string): void {
  if (violations.length < VIOLATIONS_REPORTED_MAX) {
    violations.push(`Value ${value === undefined ? 'null' : `'${formatValue(value)}'`} at '${path}' failed to satisfy constraint: ${message}`);
  }
}

/** Whether checkConstraints can find anything wrong with a value of this spec (else it is skipped). */
const specsWithConstraints = new WeakMap<FieldSpec, boolean>();
function hasConstraints(spec: FieldSpec): boolean {
  let has = specsWithConstraints.get(spec);
  if (has === undefined) {
    has =
      typeof spec.type === 'object' ||
      spec.notNull !== undefined ||
      spec.pattern !== undefined ||
      spec.lengthMin !== undefined ||
      spec.lengthMax !== undefined ||
      spec.valueMin !== undefined ||
      spec.valueMax !== undefined ||
      spec.enumValues !== undefined;
    specsWithConstraints.set(spec, has);
  }
  return has;
}

function lengthOf(value: unknown): number | undefined {
  return typeof value === 'string' ? value.length : Array.isArray(value) ? value.length : typeof value === 'object' ? Object.keys(value as object).length : undefined;
}

function checkConstraints(path: string, value: unknown, spec: FieldSpec, violations: string[]): void {
  if (value === undefined) {
    if (spec.notNull) violate(violations, path, value, 'Member must not be null');
    return;
  }
  const length = spec.lengthMin !== undefined || spec.lengthMax !== undefined ? lengthOf(value) : undefined;
  if (spec.pattern !== undefined && typeof value === 'string' && !fullMatch(spec.pattern, value)) {
    violate(violations, path, value, `Member must satisfy regular expression pattern: ${spec.pattern}`);
  }
  if (spec.lengthMin !== undefined && length !== undefined && length < spec.lengthMin) {
    violate(violations, path, value, `Member must have length greater than or equal to ${spec.lengthMin}`);
  }
  if (spec.lengthMax !== undefined && length !== undefined && length > spec.lengthMax) {
    violate(violations, path, value, `Member must have length less than or equal to ${spec.lengthMax}`);
  }
  if (spec.valueMin !== undefined && typeof value === 'number' && value < spec.valueMin) {
    violate(violations, path, value, `Member must have value greater than or equal to ${spec.valueMin}`);
  }
  if (spec.valueMax !== undefined && typeof value === 'number' && value > spec.valueMax) {
    violate(violations, path, value, `Member must have value less than or equal to ${spec.valueMax}`);
  }
  if (spec.enumValues && typeof value === 'string' && !spec.enumValues.includes(value)) {
    violate(violations, path, value, `Member must satisfy enum value set: [${spec.enumValues.join(', ')}]`);
  }
  const type = spec.type;
  if (typeof type === 'object') {
    // Members whose spec has no constraints are not visited (nor their paths built): nothing to find.
    if ('list' in type && Array.isArray(value)) {
      if (hasConstraints(type.list)) value.forEach((child, i) => checkConstraints(`${path}.${i + 1}.member`, child, type.list, violations));
    } else if ('map' in type) {
      if (hasConstraints(type.map)) {
        for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
          checkConstraints(`${path}.${key}.member`, child, type.map, violations);
        }
      }
    } else if ('struct' in type) {
      for (const { name, spec: child, messageName } of schemaFields(type.struct)) {
        if (hasConstraints(child)) checkConstraints(`${path}.${messageName}`, (value as Record<string, unknown>)[name], child, violations);
      }
    }
  }
}

/**
 * Checks a request against its operation's schema and returns the typed request. Throws
 * SerializationException for wrong JSON types and ValidationException for constraint violations.
 */
export function checkRequest<T>(request: Record<string, unknown>, schema: Schema): T {
  const typed = checkStructTypes(request, schema);
  const fields = schemaFields(schema);
  for (const { name, spec } of fields) {
    if (spec.required && typed[name] === undefined) {
      throw new ValidationException(`The parameter '${name}' is required but was not present in the request`);
    }
  }
  const violations: string[] = [];
  for (const { name, spec, messageName } of fields) {
    if (hasConstraints(spec)) checkConstraints(messageName, typed[name], spec, violations);
  }
  if (violations.length > 0) {
    throw new ValidationException(
      `${violations.length} validation error${violations.length > 1 ? 's' : ''} detected: ${violations.join('; ')}`,
    );
  }
  return typed as T;
}
