/**
 * ExpressionAttributeNames (#n) and ExpressionAttributeValues (:v) of one request, and which of
 * them the request's expressions used. A request may carry several expressions (condition, update,
 * projection, ...): parse them all with one context, then call `assertAllUsed`.
 */
import { ValidationException } from '../errors';
import type { AttributeValue } from '../types';

export type ExpressionAttributeNames = Record<string, string>;
export type ExpressionAttributeValues = Record<string, AttributeValue>;

export class ExpressionContext {
  private readonly usedNames = new Set<string>();
  private readonly usedValues = new Set<string>();

  constructor(
    readonly names: ExpressionAttributeNames | undefined,
    readonly values: ExpressionAttributeValues | undefined,
  ) {}

  /** The attribute name a `#placeholder` stands for (marking it used), or undefined if not defined. */
  resolveName(placeholder: string): string | undefined {
    const names = this.names;
    if (names === undefined || !Object.prototype.hasOwnProperty.call(names, placeholder)) return undefined;
    this.usedNames.add(placeholder);
    return names[placeholder];
  }

  /** The value a `:placeholder` stands for (marking it used), or undefined if not defined. */
  resolveValue(placeholder: string): AttributeValue | undefined {
    const values = this.values;
    if (values === undefined || !Object.prototype.hasOwnProperty.call(values, placeholder)) return undefined;
    this.usedValues.add(placeholder);
    return values[placeholder];
  }

  /** Names defined but not used by any expression parsed with this context, in definition order. */
  unusedNames(): string[] {
    return Object.keys(this.names ?? {}).filter((key) => !this.usedNames.has(key));
  }

  /** Values defined but not used by any expression parsed with this context, in definition order. */
  unusedValues(): string[] {
    return Object.keys(this.values ?? {}).filter((key) => !this.usedValues.has(key));
  }
}

export function createExpressionContext(
  names?: ExpressionAttributeNames,
  values?: ExpressionAttributeValues,
): ExpressionContext {
  return new ExpressionContext(names, values);
}

/**
 * Throws DynamoDB's error when a request defined names or values that none of its expressions
 * used. Names are checked before values, as DynamoDB does.
 */
export function assertAllUsed(ctx: ExpressionContext): void {
  const names = ctx.unusedNames();
  if (names.length > 0) {
    throw new ValidationException(
      `Value provided in ExpressionAttributeNames unused in expressions: keys: {${names.join(', ')}}`,
    );
  }
  const values = ctx.unusedValues();
  if (values.length > 0) {
    throw new ValidationException(
      `Value provided in ExpressionAttributeValues unused in expressions: keys: {${values.join(', ')}}`,
    );
  }
}

const NAME_KEY_PATTERN = /^#[0-9a-zA-Z_]+$/;
const VALUE_KEY_PATTERN = /^:[0-9a-zA-Z_]+$/;

/**
 * Checks the shape of the two maps themselves (not the attribute values, which the caller
 * validates as any attribute value): non-empty, keys of the form `#word` / `:word`.
 */
export function validateExpressionAttributeKeys(
  names: ExpressionAttributeNames | undefined,
  values: ExpressionAttributeValues | undefined,
): void {
  if (names !== undefined) {
    const keys = Object.keys(names);
    if (keys.length === 0) throw new ValidationException('ExpressionAttributeNames must not be empty');
    for (const key of keys) {
      if (!NAME_KEY_PATTERN.test(key)) {
        throw new ValidationException(`ExpressionAttributeNames contains invalid key: Syntax error; key: "${key}"`);
      }
    }
  }
  if (values !== undefined) {
    const keys = Object.keys(values);
    if (keys.length === 0) throw new ValidationException('ExpressionAttributeValues must not be empty');
    for (const key of keys) {
      if (!VALUE_KEY_PATTERN.test(key)) {
        throw new ValidationException(`ExpressionAttributeValues contains invalid key: Syntax error; key: "${key}"`);
      }
    }
  }
}
