import { ValidationException } from '../../src/errors';
import type { AttributeValue } from '../../src/types';
import { createExpressionContext, type ExpressionContext } from '../../src/expressions';

/** Asserts that `fn` throws a ValidationException with exactly `message`. */
export function expectValidation(fn: () => unknown, message: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ValidationException);
  expect((caught as Error).message).toBe(message);
}

/** A context with some names and values most tests use. */
export function ctx(
  names: Record<string, string> = {},
  values: Record<string, AttributeValue> = {},
): ExpressionContext {
  return createExpressionContext(
    { '#n': 'name', '#a': 'a', '#b': 'b', '#dot': 'x.y', ...names },
    {
      ':zero': { N: '0' },
      ':one': { N: '1' },
      ':five': { N: '5' },
      ':ten': { N: '10' },
      ':s': { S: 'ab' },
      ':t': { S: 'abc' },
      ':b': { B: 'AQI=' },
      ':bool': { BOOL: true },
      ':null': { NULL: true },
      ':l': { L: [{ N: '1' }] },
      ':m': { M: { k: { S: 'v' } } },
      ':ss': { SS: ['x', 'y'] },
      ':ns': { NS: ['1', '2'] },
      ':bs': { BS: ['AQ=='] },
      ':typeS': { S: 'S' },
      ...values,
    },
  );
}
