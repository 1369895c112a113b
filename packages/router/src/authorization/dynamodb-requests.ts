import type { AttributeValue, DocumentPath, Item } from '@triad/model';
import { requestKeys, type AuthorizationRequest } from '@triad/iam';
import { tableArn } from '../catalog/table-description';

/**
 * How a DynamoDB request looks to IAM: the action (`dynamodb:<Operation>`), the resource (the
 * table's ARN, or its index's for Query and Scan of an index, `*` for account-wide operations) and
 * DynamoDB's condition keys:
 * - `dynamodb:LeadingKeys`: the partition key value of each item touched (a Query's from its key
 *   condition; Scan has none);
 * - `dynamodb:Attributes`: the top-level attribute names a request reads or writes (a projection's,
 *   an item's, an update's targets, the key's);
 * - `dynamodb:Select`: Query and Scan's effective Select; GetItem and BatchGetItem say
 *   ALL_ATTRIBUTES without a projection and SPECIFIC_ATTRIBUTES with one, so that the policies of
 *   AWS's examples (`StringEqualsIfExists dynamodb:Select SPECIFIC_ATTRIBUTES`) deny a read of a
 *   whole item;
 * - `dynamodb:ReturnValues`, `dynamodb:ReturnConsumedCapacity`: when the request sets them.
 */
export interface ArnScope {
  region: string;
  accountId: string;
}

export function resourceArn(scope: ArnScope, tableName: string, indexName?: string): string {
  const table = tableArn(scope.region, scope.accountId, tableName);
  return indexName === undefined ? table : `${table}/index/${indexName}`;
}

export interface ItemAccess {
  leadingKey?: AttributeValue;
  attributes?: Iterable<string>;
  select?: string;
  returnValues?: string;
  returnConsumedCapacity?: string;
}

export function itemRequest(operation: string, resource: string, access: ItemAccess): AuthorizationRequest {
  return {
    action: `dynamodb:${operation}`,
    resource,
    keys: requestKeys({
      'dynamodb:LeadingKeys': access.leadingKey === undefined ? undefined : [keyValueText(access.leadingKey)],
      'dynamodb:Attributes': access.attributes === undefined ? undefined : [...new Set(access.attributes)],
      'dynamodb:Select': access.select,
      'dynamodb:ReturnValues': access.returnValues,
      'dynamodb:ReturnConsumedCapacity': access.returnConsumedCapacity,
    }),
  };
}

/** A table-level operation (CreateTable, DescribeTable, TagResource, …) or an account-wide one (`*`). */
export function resourceRequest(operation: string, resource: string): AuthorizationRequest {
  return { action: `dynamodb:${operation}`, resource, keys: new Map() };
}

/** A key value as policies compare it: a string as is, a number as written, a binary in base64. */
export function keyValueText(value: AttributeValue): string {
  const v = value as { S?: string; N?: string; B?: string | Uint8Array };
  if (v.S !== undefined) return v.S;
  if (v.N !== undefined) return v.N;
  if (v.B !== undefined) return typeof v.B === 'string' ? v.B : Buffer.from(v.B).toString('base64');
  return '';
}

/** The top-level names of document paths (a projection, an update's targets: `updatedAttributeNames`). */
export function topLevelNames(paths: Iterable<DocumentPath>): string[] {
  const names: string[] = [];
  for (const path of paths) if (typeof path[0] === 'string') names.push(path[0]);
  return names;
}

/** An item's (or key's) attribute names. */
export function itemNames(item: Item): string[] {
  return Object.keys(item);
}

/** GetItem / BatchGetItem's Select, which their requests do not carry (see above). */
export function pointReadSelect(projected: boolean): string {
  return projected ? 'SPECIFIC_ATTRIBUTES' : 'ALL_ATTRIBUTES';
}
