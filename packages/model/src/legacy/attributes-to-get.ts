/**
 * AttributesToGet (GetItem, Query, Scan): the legacy form of ProjectionExpression. Names are
 * literal top-level attribute names.
 */
import type { ProjectionExpression } from '../expressions/ast';
import { invalidParameter } from './comparison';

export function attributesToGetToProjection(names: readonly string[]): ProjectionExpression {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw invalidParameter(`Duplicate value in attribute name: ${name}`);
    seen.add(name);
  }
  return names.map((name) => [name]);
}
