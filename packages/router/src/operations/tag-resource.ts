import { ResourceNotFoundException, ValidationException } from '@triad/model';
import type { Tag, TableDefinition } from '../catalog/table-definition';
import { checkRequest, type FieldSpec, type Schema } from '../validation/request-schema';
import type { Operation } from './operation';
import type { OperationContext } from './operation-context';
import { resourceRequest } from '../authorization';

/** DynamoDB's tagging limits (Developer Guide, "Tagging restrictions in DynamoDB"). */
export const TAGS_PER_RESOURCE_MAX = 50;
export const TAG_KEY_LENGTH_MAX = 128;
export const TAG_VALUE_LENGTH_MAX = 256;
/** The ResourceArn's length bounds in DynamoDB's API reference. */
const RESOURCE_ARN_LENGTH_MAX = 1283;
/** Letters, white space, digits and `_ . : / = + - @`, as AWS's tag pattern allows. */
export const TAG_PATTERN = '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*';
const TAG_REGEX = new RegExp(`^(?:${TAG_PATTERN})$`, 'u');
/** Tag keys with this prefix are AWS's own and cannot be set or removed by users. */
export const RESERVED_TAG_PREFIX = 'aws:';

export const RESOURCE_ARN: FieldSpec = { type: 'String', lengthMin: 1, lengthMax: RESOURCE_ARN_LENGTH_MAX };
export const TAG_KEY: FieldSpec = { type: 'String', notNull: true, lengthMin: 1, lengthMax: TAG_KEY_LENGTH_MAX };
const TAG_VALUE: FieldSpec = { type: 'String', notNull: true, lengthMin: 0, lengthMax: TAG_VALUE_LENGTH_MAX };
/** A list of tags, as TagResource and CreateTable take it. */
export const TAGS: FieldSpec = { type: { list: { type: { struct: { Key: TAG_KEY, Value: TAG_VALUE } } } } };

export const schema: Schema = { ResourceArn: RESOURCE_ARN, Tags: TAGS };

const invalidArn = (arn: string) => new ValidationException(`Invalid TableArn: Invalid ResourceArn provided as input ${arn}`);
const TABLE_ARN = /^arn:aws:dynamodb:([^:]+):([^:]+):table\/([a-zA-Z0-9_.-]{3,255})$/;

/** A table ARN's parts, or undefined when it is not one. */
export function parseTableArn(arn: string): { region: string; accountId: string; tableName: string } | undefined {
  const match = TABLE_ARN.exec(arn);
  if (!match) return undefined;
  return { region: match[1], accountId: match[2], tableName: match[3] };
}

/**
 * The ResourceArn checks DynamoDB makes before it looks at the table: present, then shaped like
 * a table ARN. `beforeShape` runs between (TagResource and UntagResource check their lists there).
 */
export function checkResourceArn(arn: string | undefined, beforeShape?: () => void): { region: string; accountId: string; tableName: string } {
  if (arn === undefined) throw new ValidationException('Invalid TableArn');
  beforeShape?.();
  const parsed = parseTableArn(arn);
  if (!parsed) throw invalidArn(arn);
  return parsed;
}

/**
 * The table an ARN names, in this router's region and account; an ARN of another region or
 * account names no table here. `message` is DynamoDB's text for a missing one.
 */
export async function findTaggedTable(
  arn: { region: string; accountId: string; tableName: string },
  context: OperationContext,
  message: string,
): Promise<TableDefinition> {
  const def = arn.region === context.region && arn.accountId === context.accountId ? await context.catalog.find(arn.tableName) : undefined;
  if (!def) throw new ResourceNotFoundException(message);
  return def;
}

/** DynamoDB's message for TagResource and ListTagsOfResource on a missing table ("ResourcArn" is DynamoDB's own spelling). */
export const resourceArnNotFound = (arn: string) => `Requested resource not found: ResourcArn: ${arn} not found`;

/**
 * Checks tags for what the declarative schema cannot: the character set (which needs Unicode
 * classes) and the reserved `aws:` prefix. Lengths are checked by the schema.
 */
export function checkTagContents(tags: Tag[], path = 'tags'): void {
  const violations: string[] = [];
  tags.forEach((tag, i) => {
    for (const [field, value] of [['key', tag.Key], ['value', tag.Value]] as const) {
      if (!TAG_REGEX.test(value)) {
        violations.push(
          `Value '${value}' at '${path}.${i + 1}.member.${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${TAG_PATTERN}`,
        );
      }
    }
  });
  if (violations.length > 0) {
    const shown = violations.slice(0, 10);
    throw new ValidationException(`${shown.length} validation error${shown.length > 1 ? 's' : ''} detected: ${shown.join('; ')}`);
  }
  checkReservedKeys(tags.map((tag) => tag.Key));
}

/** Keys beginning `aws:` belong to AWS: users may neither set nor remove them. */
export function checkReservedKeys(keys: string[]): void {
  const reserved = keys.find((key) => key.toLowerCase().startsWith(RESERVED_TAG_PREFIX));
  if (reserved !== undefined) {
    throw new ValidationException(`One or more parameter values were invalid: Tag keys starting with '${RESERVED_TAG_PREFIX}' are reserved for system use: ${reserved}`);
  }
}

/**
 * The table's tags after adding `added`: a key already present takes the new value in its place
 * (and does not count again toward the limit); new keys go at the end, later ones in one request
 * winning over earlier. Throws when the result would exceed 50 tags.
 */
export function mergeTags(existing: Tag[], added: Tag[]): Tag[] {
  const merged = new Map(existing.map((tag) => [tag.Key, tag.Value] as const));
  for (const tag of added) merged.set(tag.Key, tag.Value);
  if (merged.size > TAGS_PER_RESOURCE_MAX) {
    throw new ValidationException(
      `One or more parameter values were invalid: The number of tags exceeds the limit of ${TAGS_PER_RESOURCE_MAX} tags per resource`,
    );
  }
  return [...merged].map(([Key, Value]) => ({ Key, Value }));
}

/** The tags without the given keys; keys the table does not have are ignored, as DynamoDB does. */
export function removeTags(existing: Tag[], keys: string[]): Tag[] {
  const removed = new Set(keys);
  return existing.filter((tag) => !removed.has(tag.Key));
}

export const tagResource: Operation = async (raw, context) => {
  const request = checkRequest<{ ResourceArn?: string; Tags?: Tag[] }>(raw, schema);
  const arn = checkResourceArn(request.ResourceArn, () => {
    if (request.Tags === undefined) {
      throw new ValidationException("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null");
    }
  });
  context.caller.authorize([resourceRequest('TagResource', request.ResourceArn!)]);
  const tags = request.Tags!;
  if (tags.length === 0) throw new ValidationException('Atleast one Tag needs to be provided as Input.');
  checkTagContents(tags);
  const def = await findTaggedTable(arn, context, resourceArnNotFound(request.ResourceArn!));
  await context.catalog.modify(def.tableName, (current) => ({ ...current, tags: mergeTags(current.tags ?? [], tags) }), () => new ResourceNotFoundException(resourceArnNotFound(request.ResourceArn!)));
  return {};
};
