/**
 * Applies a parsed UpdateExpression to an item, as the partition leader does under the key's lock.
 *
 * Every operand is read from the item as it was before the update (so `SET a = b, b = a` swaps),
 * and every list index refers to the list as it was: SETs replace in place or append (several
 * appends to one list land in index order), REMOVEs of list elements are applied from the highest
 * index down. Order of application: SET, ADD, DELETE, then REMOVE (including sets DELETE emptied).
 */
import { attributeValuesEqual, cloneAttributeValue, cloneItem } from '../attribute-value';
import { ValidationException } from '../errors';
import { addNumbers, compareNumbers, subtractNumbers } from '../number';
import type { AttributeValue, Item } from '../types';
import type { DocumentPath, PathElement, UpdateExpression, UpdateValue } from './ast';
import { valueAtPath } from './document-path';
import { projectItem } from './projection';
import { setOwn } from '../own-property';

export const INVALID_UPDATE_PATH_MESSAGE = 'The document path provided in the update expression is invalid for update';
export const INCORRECT_OPERAND_TYPE_MESSAGE = 'An operand in the update expression has an incorrect data type';
export const MISSING_ATTRIBUTE_MESSAGE = 'The provided expression refers to an attribute that does not exist in the item';

export interface UpdateResult {
  /** The item after the update (a new object; the input is not modified). */
  item: Item;
  /** Every path the update wrote or removed, in clause order: SET, REMOVE, ADD, DELETE. */
  updatedPaths: DocumentPath[];
  /** The distinct top-level attribute names among `updatedPaths`, in first-seen order. */
  updatedNames: string[];
}

const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

/** The value of a SET right-hand side, read from the original item. */
function evaluateUpdateValue(value: UpdateValue, item: Item): AttributeValue {
  switch (value.type) {
    case 'value':
      return value.value;
    case 'path': {
      const found = valueAtPath(item, value.path);
      if (found === undefined) throw new ValidationException(MISSING_ATTRIBUTE_MESSAGE);
      return found;
    }
    case 'if_not_exists':
      return valueAtPath(item, value.path) ?? evaluateUpdateValue(value.fallback, item);
    case 'list_append': {
      const first = evaluateUpdateValue(value.first, item);
      if (!('L' in first)) throw new ValidationException(INCORRECT_OPERAND_TYPE_MESSAGE);
      const second = evaluateUpdateValue(value.second, item);
      if (!('L' in second)) throw new ValidationException(INCORRECT_OPERAND_TYPE_MESSAGE);
      return { L: [...first.L, ...second.L] };
    }
    case 'plus':
    case 'minus': {
      const left = evaluateUpdateValue(value.left, item);
      if (!('N' in left)) throw new ValidationException(INCORRECT_OPERAND_TYPE_MESSAGE);
      const right = evaluateUpdateValue(value.right, item);
      if (!('N' in right)) throw new ValidationException(INCORRECT_OPERAND_TYPE_MESSAGE);
      return { N: value.type === 'plus' ? addNumbers(left.N, right.N) : subtractNumbers(left.N, right.N) };
    }
  }
}

/**
 * A total order on paths in which, within one list, lower indices come first. (Only that part
 * matters; names just need some consistent order for the sort to be well defined.)
 */
function comparePathsForApply(a: DocumentPath, b: DocumentPath): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : 1;
    return typeof x === 'number' ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * The container that holds the last element of `path` in `item` (the item itself for a
 * top-level path), checked to be of the kind the last element needs.
 */
type Parent = { kind: 'item'; item: Item } | { kind: 'map'; map: Record<string, AttributeValue> } | { kind: 'list'; list: AttributeValue[] };

function parentOf(item: Item, path: DocumentPath): Parent {
  if (path.length === 1) return { kind: 'item', item };
  const holder = valueAtPath(item, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (holder !== undefined) {
    if (typeof last === 'number' && 'L' in holder) return { kind: 'list', list: holder.L };
    if (typeof last === 'string' && 'M' in holder) return { kind: 'map', map: holder.M };
  }
  throw new ValidationException(INVALID_UPDATE_PATH_MESSAGE);
}

function getIn(parent: Parent, last: PathElement): AttributeValue | undefined {
  switch (parent.kind) {
    case 'item':
      return hasOwn(parent.item, last as string) ? parent.item[last as string] : undefined;
    case 'map':
      return hasOwn(parent.map, last as string) ? parent.map[last as string] : undefined;
    case 'list':
      return (last as number) < parent.list.length ? parent.list[last as number] : undefined;
  }
}

/** Writes at `last`; a list index past the end appends. */
function putIn(parent: Parent, last: PathElement, value: AttributeValue): void {
  switch (parent.kind) {
    case 'item':
      setOwn(parent.item, last as string, value);
      return;
    case 'map':
      setOwn(parent.map, last as string, value);
      return;
    case 'list':
      if ((last as number) < parent.list.length) parent.list[last as number] = value;
      else parent.list.push(value);
  }
}

function removeIn(parent: Parent, last: PathElement): void {
  switch (parent.kind) {
    case 'item':
      delete parent.item[last as string];
      return;
    case 'map':
      delete parent.map[last as string];
      return;
    case 'list':
      if ((last as number) < parent.list.length) parent.list.splice(last as number, 1);
  }
}

function lastOf(path: DocumentPath): PathElement {
  return path[path.length - 1]!;
}

/** Members of `extra` not already in `members`, by DynamoDB equality for the set's type. */
function union(type: 'SS' | 'NS' | 'BS', members: string[], extra: string[]): string[] {
  const out = [...members];
  for (const candidate of extra) {
    if (!out.some((member) => sameMember(type, member, candidate))) out.push(candidate);
  }
  return out;
}

function sameMember(type: 'SS' | 'NS' | 'BS', a: string, b: string): boolean {
  if (type === 'NS') return compareNumbers(a, b) === 0;
  if (type === 'BS') return attributeValuesEqual({ B: a }, { B: b });
  return a === b;
}

function setType(value: AttributeValue): 'SS' | 'NS' | 'BS' | undefined {
  if ('SS' in value) return 'SS';
  if ('NS' in value) return 'NS';
  if ('BS' in value) return 'BS';
  return undefined;
}

function setMembers(value: AttributeValue, type: 'SS' | 'NS' | 'BS'): string[] {
  return (value as Record<string, string[]>)[type]!;
}

function makeSet(type: 'SS' | 'NS' | 'BS', members: string[]): AttributeValue {
  return { [type]: members } as unknown as AttributeValue;
}

/** ADD: number addition or set union; a missing attribute takes the operand's value. */
function added(existing: AttributeValue | undefined, operand: AttributeValue): AttributeValue {
  if (existing === undefined) return cloneAttributeValue(operand);
  if ('N' in operand) {
    if (!('N' in existing)) throw new ValidationException(INCORRECT_OPERAND_TYPE_MESSAGE);
    return { N: addNumbers(existing.N, operand.N) };
  }
  const type = setType(operand);
  if (type === undefined || setType(existing) !== type) throw new ValidationException(INCORRECT_OPERAND_TYPE_MESSAGE);
  return makeSet(type, union(type, setMembers(existing, type), setMembers(operand, type)));
}

/** DELETE: set difference; undefined when nothing is left (the attribute goes away). */
function deleted(existing: AttributeValue, operand: AttributeValue): AttributeValue | undefined {
  const type = setType(operand);
  if (type === undefined || setType(existing) !== type) throw new ValidationException(INCORRECT_OPERAND_TYPE_MESSAGE);
  const removing = setMembers(operand, type);
  const left = setMembers(existing, type).filter((member) => !removing.some((other) => sameMember(type, member, other)));
  return left.length > 0 ? makeSet(type, left) : undefined;
}

/** Every path the update targets, in clause order. */
export function updateTargetPaths(update: UpdateExpression): DocumentPath[] {
  return [
    ...update.set.map((action) => action.path),
    ...update.remove,
    ...update.add.map((action) => action.path),
    ...update.delete.map((action) => action.path),
  ];
}

/** The distinct top-level attribute names an update writes or removes, in first-seen order. */
export function updatedAttributeNames(update: UpdateExpression): string[] {
  const names: string[] = [];
  for (const path of updateTargetPaths(update)) {
    const name = path[0] as string;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * Applies `update` to `item`. For an item that does not exist yet, pass its key attributes (or
 * undefined, read as an empty item). Throws ValidationException for errors only the item reveals.
 */
export function applyUpdate(update: UpdateExpression, item: Item | undefined): UpdateResult {
  const original: Item = item ?? {};
  const result = cloneItem(original);

  // Every SET operand is read before anything is written.
  const sets = update.set.map((action) => ({ path: action.path, value: evaluateUpdateValue(action.value, original) }));
  const ordered = sets.map((_, index) => index).sort((a, b) => comparePathsForApply(sets[a]!.path, sets[b]!.path) || a - b);
  for (const index of ordered) {
    const { path, value } = sets[index]!;
    putIn(parentOf(result, path), lastOf(path), cloneAttributeValue(value));
  }

  for (const action of update.add) {
    const parent = parentOf(result, action.path);
    const last = lastOf(action.path);
    putIn(parent, last, added(getIn(parent, last), action.value));
  }

  const removals: DocumentPath[] = [...update.remove];
  for (const action of update.delete) {
    const parent = parentOf(result, action.path);
    const last = lastOf(action.path);
    const existing = getIn(parent, last);
    if (existing === undefined) continue;
    const remaining = deleted(existing, action.value);
    if (remaining === undefined) removals.push(action.path);
    else putIn(parent, last, remaining);
  }

  // Highest list index first, so earlier removals do not shift later ones.
  const removalOrder = removals.map((_, index) => index).sort((a, b) => comparePathsForApply(removals[b]!, removals[a]!) || a - b);
  const parents = removalOrder.map((index) => parentOf(result, removals[index]!));
  removalOrder.forEach((index, i) => removeIn(parents[i]!, lastOf(removals[index]!)));

  return { item: result, updatedPaths: updateTargetPaths(update), updatedNames: updatedAttributeNames(update) };
}

/**
 * What ReturnValues UPDATED_OLD / UPDATED_NEW return: the parts of `item` (the item before or
 * after the update) that the update targeted, nested paths projected as nested structures.
 */
export function projectUpdated(item: Item | undefined, update: UpdateExpression): Item {
  if (item === undefined) return {};
  return projectItem(item, updateTargetPaths(update));
}
