/**
 * Attribute maps are plain objects keyed by user-chosen names, and some names are also names on
 * Object.prototype: `__proto__` (whose plain assignment sets the prototype instead of storing a
 * member), `constructor`, `hasOwnProperty`, `toString`... (whose plain read finds the prototype's
 * function when the item has no such attribute). Every read or write of a map by an attribute name
 * goes through these two helpers (issue 13, item 8).
 */

/** Assigns an own, enumerable member even for the key "__proto__". */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** The own member named `key`, never one inherited from Object.prototype. */
export function getOwn<T>(source: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(source, key) ? source[key] : undefined;
}

/** Whether `source` has an own member named `key` (`key in source` also finds `constructor`). */
export function hasOwn(source: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(source, key);
}
