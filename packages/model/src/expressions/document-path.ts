/**
 * Reading a document path out of an item. A path that runs into a missing attribute, a map key
 * on a non-map, or an index on a non-list or past its end, yields undefined ("does not exist").
 */
import type { AttributeValue, Item } from '../types';
import type { DocumentPath } from './ast';

const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

/** The value one step below `value`, if there is one. */
export function childOf(value: AttributeValue, element: string | number): AttributeValue | undefined {
  if (typeof element === 'number') {
    if (!('L' in value)) return undefined;
    return element < value.L.length ? value.L[element] : undefined;
  }
  if (!('M' in value)) return undefined;
  return hasOwn(value.M, element) ? value.M[element] : undefined;
}

/** The value at `path` in `item`, or undefined if it does not exist. */
export function valueAtPath(item: Item | undefined, path: DocumentPath): AttributeValue | undefined {
  if (item === undefined || path.length === 0) return undefined;
  const head = path[0];
  if (typeof head !== 'string' || !hasOwn(item, head)) return undefined;
  let value: AttributeValue | undefined = item[head];
  for (let i = 1; i < path.length && value !== undefined; i++) value = childOf(value, path[i]!);
  return value;
}
