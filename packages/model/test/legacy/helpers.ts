import { ValidationException } from '../../src/errors';
import type { Item } from '../../src/types';

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

export const INVALID = 'One or more parameter values were invalid: ';

/** An item with one attribute of most types. */
export const sample = (): Item => ({
  pk: { S: 'k' },
  n: { N: '5' },
  s: { S: 'hello' },
  b: { B: Buffer.from('hi there').toString('base64') },
  bool: { BOOL: true },
  nul: { NULL: true },
  l: { L: [{ N: '2' }, { N: '4' }, { N: '7' }] },
  m: { M: { k: { S: 'v' } } },
  ss: { SS: ['cat', 'dog'] },
  ns: { NS: ['2', '4', '7'] },
  'a.b': { S: 'dotted' },
});
