/**
 * AttributeUpdates (UpdateItem): the legacy form of UpdateExpression.
 *
 * PUT → SET, DELETE without a value → REMOVE, DELETE with a set → DELETE, ADD of a number or a set
 * → ADD. ADD of a list appends to the list (creating it when missing), so it becomes
 * `SET a = list_append(if_not_exists(a, []), value)`. One difference remains: ADD of a list to an
 * attribute that is not a list fails with list_append's message ("An operand in the update
 * expression has an incorrect data type") rather than legacy's own.
 */
import { attributeType } from '../attribute-value';
import type { AttributeValue } from '../types';
import type { UpdateExpression } from '../expressions/ast';
import { invalidParameter } from './comparison';

export type AttributeAction = 'ADD' | 'PUT' | 'DELETE';

export interface AttributeValueUpdate {
  /** PUT when absent, as in DynamoDB. */
  Action?: AttributeAction | string;
  Value?: AttributeValue;
}

export type AttributeUpdates = Record<string, AttributeValueUpdate>;

const SET_TYPES = ['SS', 'NS', 'BS'];
const ADD_TYPES = ['L', 'SS', 'NS', 'BS', 'N'];

/** Converts AttributeUpdates into an UpdateExpression tree. Throws ValidationException with DynamoDB's messages. */
export function attributeUpdatesToUpdate(attributeUpdates: AttributeUpdates): UpdateExpression {
  const update: UpdateExpression = { set: [], remove: [], add: [], delete: [] };
  for (const [name, { Action: action = 'PUT', Value: value }] of Object.entries(attributeUpdates)) {
    const path = [name];
    if (value === undefined) {
      if (action !== 'DELETE') throw invalidParameter('Only DELETE action is allowed when no attribute value is specified');
      update.remove.push(path);
      continue;
    }
    const type = attributeType(value);
    if (action === 'DELETE') {
      if (!SET_TYPES.includes(type)) throw invalidParameter(`DELETE action with value is not supported for the type ${type}`);
      update.delete.push({ path, value });
    } else if (action === 'ADD') {
      if (!ADD_TYPES.includes(type)) throw invalidParameter(`ADD action is not supported for the type ${type}`);
      if (type === 'L') {
        update.set.push({
          path,
          value: {
            type: 'list_append',
            first: { type: 'if_not_exists', path, fallback: { type: 'value', value: { L: [] } } },
            second: { type: 'value', value },
          },
        });
      } else {
        update.add.push({ path, value });
      }
    } else {
      update.set.push({ path, value: { type: 'value', value } });
    }
  }
  return update;
}
