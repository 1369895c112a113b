import { ValidationException } from '@triad/model';
import type { Tag } from '../catalog/table-definition';
import { checkRequest, type Schema } from '../validation/request-schema';
import type { Operation } from './operation';
import { RESOURCE_ARN, TAGS_PER_RESOURCE_MAX, checkResourceArn, findTaggedTable, resourceArnNotFound } from './tag-resource';
import { resourceRequest } from '../authorization';

/**
 * Tags per ListTagsOfResource page. DynamoDB's service team says the operation does not paginate
 * in practice (a table has at most 50 tags), so every table's tags fit in one page and NextToken
 * is never returned; a token (the index of the next tag) is still honoured if a client sends one.
 */
export const LIST_TAGS_PAGE_SIZE = TAGS_PER_RESOURCE_MAX;

export const schema: Schema = { ResourceArn: RESOURCE_ARN, NextToken: { type: 'String' } };

/** One page of tags from a NextToken (undefined: the start); pure, for tests. */
export function tagsPage(tags: Tag[], nextToken: string | undefined, pageSize = LIST_TAGS_PAGE_SIZE): { Tags: Tag[]; NextToken?: string } {
  let start = 0;
  if (nextToken !== undefined) {
    if (!/^(0|[1-9][0-9]{0,5})$/.test(nextToken)) throw new ValidationException(`Invalid NextToken: ${nextToken}`);
    start = Number(nextToken);
  }
  const page = tags.slice(start, start + pageSize);
  return start + pageSize < tags.length ? { Tags: page, NextToken: String(start + pageSize) } : { Tags: page };
}

export const listTagsOfResource: Operation = async (raw, context) => {
  const request = checkRequest<{ ResourceArn?: string; NextToken?: string }>(raw, schema);
  const arn = checkResourceArn(request.ResourceArn);
  context.caller.authorize([resourceRequest('ListTagsOfResource', request.ResourceArn!)]);
  const def = await findTaggedTable(arn, context, resourceArnNotFound(request.ResourceArn!));
  return tagsPage(def.tags ?? [], request.NextToken);
};
