/**
 * The trees the expression parsers produce. They are plain JSON (no classes, no undefined
 * fields, values inlined) because the router parses and validates, then ships the tree to the
 * partition leader, which evaluates it against the current item.
 */
import type { AttributeValue } from '../types';

/** One step of a document path: a map key / attribute name (string) or a list index (number). */
export type PathElement = string | number;

/** A resolved document path; the first element is always the top-level attribute name. */
export type DocumentPath = PathElement[];

/** The expressions a request may carry; the kind prefixes every parse error message. */
export type ExpressionKind =
  | 'ConditionExpression'
  | 'FilterExpression'
  | 'KeyConditionExpression'
  | 'ProjectionExpression'
  | 'UpdateExpression';

export type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

/** A value inside a condition: an item path, an inlined expression attribute value, or size(). */
export type Operand =
  | { type: 'path'; path: DocumentPath }
  | { type: 'value'; value: AttributeValue }
  | { type: 'size'; operand: Operand };

/** ConditionExpression, FilterExpression and KeyConditionExpression trees. */
export type Condition =
  | { type: 'compare'; op: Comparator; left: Operand; right: Operand }
  | { type: 'between'; operand: Operand; low: Operand; high: Operand }
  | { type: 'in'; operand: Operand; list: Operand[] }
  | { type: 'and'; left: Condition; right: Condition }
  | { type: 'or'; left: Condition; right: Condition }
  | { type: 'not'; condition: Condition }
  | { type: 'attribute_exists'; path: DocumentPath }
  | { type: 'attribute_not_exists'; path: DocumentPath }
  | { type: 'attribute_type'; path: DocumentPath; attributeType: string }
  | { type: 'begins_with'; operand: Operand; prefix: Operand }
  | { type: 'contains'; operand: Operand; value: Operand };

/** The right-hand side of a SET action. */
export type UpdateValue =
  | { type: 'path'; path: DocumentPath }
  | { type: 'value'; value: AttributeValue }
  | { type: 'if_not_exists'; path: DocumentPath; fallback: UpdateValue }
  | { type: 'list_append'; first: UpdateValue; second: UpdateValue }
  | { type: 'plus'; left: UpdateValue; right: UpdateValue }
  | { type: 'minus'; left: UpdateValue; right: UpdateValue };

export interface SetAction {
  path: DocumentPath;
  value: UpdateValue;
}

/** ADD and DELETE take a literal value (a number or a set for ADD, a set for DELETE). */
export interface ValueAction {
  path: DocumentPath;
  value: AttributeValue;
}

/** An UpdateExpression: its four clauses, each action in the order written. */
export interface UpdateExpression {
  set: SetAction[];
  remove: DocumentPath[];
  add: ValueAction[];
  delete: ValueAction[];
}

/** A ProjectionExpression: the paths to keep, in the order written. */
export type ProjectionExpression = DocumentPath[];

/** Renders a path as DynamoDB does in messages: `[a, b, [3]]`. */
export function formatPath(path: DocumentPath): string {
  return '[' + path.map((element) => (typeof element === 'number' ? `[${element}]` : element)).join(', ') + ']';
}
