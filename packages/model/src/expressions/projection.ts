/**
 * Projecting an item onto document paths (ProjectionExpression, UPDATED_* return values).
 * Nested paths keep their nesting: `a.b` yields `{a: {M: {b: ...}}}`; list elements are kept in
 * index order and packed (`l[3], l[1]` yields a two-element list). Paths that do not exist
 * contribute nothing, not even an empty container.
 */
import { cloneAttributeValue } from '../attribute-value';
import type { AttributeValue, Item } from '../types';
import type { DocumentPath } from './ast';
import { setOwn } from '../own-property';

interface ProjectionNode {
  /** The whole value at this node is projected. */
  whole: boolean;
  keys: Map<string, ProjectionNode>;
  indexes: Map<number, ProjectionNode>;
}

function newNode(): ProjectionNode {
  return { whole: false, keys: new Map(), indexes: new Map() };
}

function buildTree(paths: readonly DocumentPath[]): ProjectionNode {
  const root = newNode();
  for (const path of paths) {
    let node = root;
    for (const element of path) {
      const children: Map<string | number, ProjectionNode> =
        typeof element === 'number' ? (node.indexes as Map<string | number, ProjectionNode>) : (node.keys as Map<string | number, ProjectionNode>);
      let child = children.get(element);
      if (child === undefined) {
        child = newNode();
        children.set(element, child);
      }
      node = child;
    }
    node.whole = true;
  }
  return root;
}

function project(value: AttributeValue, node: ProjectionNode): AttributeValue | undefined {
  if (node.whole) return cloneAttributeValue(value);
  if ('M' in value && node.keys.size > 0) {
    const out: Record<string, AttributeValue> = {};
    let any = false;
    for (const [key, child] of node.keys) {
      if (!Object.prototype.hasOwnProperty.call(value.M, key)) continue;
      const projected = project(value.M[key]!, child);
      if (projected !== undefined) {
        setOwn(out, key, projected);
        any = true;
      }
    }
    return any ? { M: out } : undefined;
  }
  if ('L' in value && node.indexes.size > 0) {
    const out: AttributeValue[] = [];
    for (const index of [...node.indexes.keys()].sort((a, b) => a - b)) {
      if (index >= value.L.length) continue;
      const projected = project(value.L[index]!, node.indexes.get(index)!);
      if (projected !== undefined) out.push(projected);
    }
    return out.length > 0 ? { L: out } : undefined;
  }
  return undefined;
}

/** The parts of `item` at `paths`, as a new item. */
export function projectItem(item: Item, paths: readonly DocumentPath[]): Item {
  const tree = buildTree(paths);
  const out: Item = {};
  for (const [name, node] of tree.keys) {
    if (!Object.prototype.hasOwnProperty.call(item, name)) continue;
    const projected = project(item[name]!, node);
    if (projected !== undefined) setOwn(out, name, projected);
  }
  return out;
}
