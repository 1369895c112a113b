/**
 * Checks of expressions against a table's key attributes, which the router makes once it knows
 * the table: updates may not touch key attributes, a Query's filter may not read them, and no
 * expression may reach inside one with `.` or `[]`.
 */
import { ValidationException } from '../errors';
import type { KeySchema } from '../types';
import type { Condition, DocumentPath, Operand, UpdateExpression, UpdateValue } from './ast';
import { updatedAttributeNames } from './apply-update';

function operandPaths(operand: Operand, out: DocumentPath[]): void {
  if (operand.type === 'path') out.push(operand.path);
  else if (operand.type === 'size') operandPaths(operand.operand, out);
}

/** Every document path a condition reads, in source order (duplicates kept). */
export function conditionPaths(condition: Condition): DocumentPath[] {
  const out: DocumentPath[] = [];
  const visit = (node: Condition): void => {
    switch (node.type) {
      case 'and':
      case 'or':
        visit(node.left);
        visit(node.right);
        return;
      case 'not':
        visit(node.condition);
        return;
      case 'compare':
        operandPaths(node.left, out);
        operandPaths(node.right, out);
        return;
      case 'between':
        [node.operand, node.low, node.high].forEach((o) => operandPaths(o, out));
        return;
      case 'in':
        [node.operand, ...node.list].forEach((o) => operandPaths(o, out));
        return;
      case 'attribute_exists':
      case 'attribute_not_exists':
      case 'attribute_type':
        out.push(node.path);
        return;
      case 'begins_with':
        operandPaths(node.operand, out);
        operandPaths(node.prefix, out);
        return;
      case 'contains':
        operandPaths(node.operand, out);
        operandPaths(node.value, out);
        return;
    }
  };
  visit(condition);
  return out;
}

function updateValuePaths(value: UpdateValue, out: DocumentPath[]): void {
  switch (value.type) {
    case 'path':
      out.push(value.path);
      return;
    case 'value':
      return;
    case 'if_not_exists':
      out.push(value.path);
      updateValuePaths(value.fallback, out);
      return;
    case 'list_append':
      updateValuePaths(value.first, out);
      updateValuePaths(value.second, out);
      return;
    case 'plus':
    case 'minus':
      updateValuePaths(value.left, out);
      updateValuePaths(value.right, out);
      return;
  }
}

/** Every document path an update writes, removes or reads. */
export function updatePaths(update: UpdateExpression): DocumentPath[] {
  const out: DocumentPath[] = [];
  for (const action of update.set) {
    out.push(action.path);
    updateValuePaths(action.value, out);
  }
  out.push(...update.remove);
  for (const action of [...update.add, ...update.delete]) out.push(action.path);
  return out;
}

/** The distinct top-level attribute names among `paths`, in first-seen order. */
export function topLevelNames(paths: readonly DocumentPath[]): string[] {
  const names: string[] = [];
  for (const path of paths) {
    const name = path[0] as string;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

function keyNames(keySchema: KeySchema): string[] {
  return keySchema.sortKey === undefined ? [keySchema.partitionKey.name] : [keySchema.partitionKey.name, keySchema.sortKey.name];
}

/** UpdateItem may not write or remove the table's key attributes. */
export function assertUpdateSparesKey(update: UpdateExpression, keySchema: KeySchema): void {
  const touched = updatedAttributeNames(update);
  for (const name of keyNames(keySchema)) {
    if (touched.includes(name)) {
      throw new ValidationException(`One or more parameter values were invalid: Cannot update attribute ${name}. This attribute is part of the key`);
    }
  }
}

/** A Query's FilterExpression may not read the primary key attributes (of the table or the queried index). */
export function assertFilterAvoidsKey(filter: Condition, keySchema: KeySchema): void {
  const read = topLevelNames(conditionPaths(filter));
  for (const name of keyNames(keySchema)) {
    if (read.includes(name)) {
      throw new ValidationException(`Filter Expression can only contain non-primary key attributes: Primary key attribute: ${name}`);
    }
  }
}

/**
 * Key attributes are scalars, so no expression may index into one. `label` is `Key` for the
 * table's key attributes and `IndexKey` for those of its indexes.
 */
export function assertKeyPathsScalar(paths: readonly DocumentPath[], keyAttributeNames: readonly string[], label: 'Key' | 'IndexKey' = 'Key'): void {
  for (const name of keyAttributeNames) {
    if (paths.some((path) => path.length > 1 && path[0] === name)) {
      throw new ValidationException(
        `Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: ${label}: ${name}`,
      );
    }
  }
}
