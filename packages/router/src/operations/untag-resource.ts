import { ResourceNotFoundException, ValidationException } from '@triad/model';
import { checkRequest, type Schema } from '../validation/request-schema';
import type { Operation } from './operation';
import { RESOURCE_ARN, TAG_KEY, checkReservedKeys, checkResourceArn, findTaggedTable, removeTags } from './tag-resource';
import { resourceRequest } from '../authorization';

export const schema: Schema = { ResourceArn: RESOURCE_ARN, TagKeys: { type: { list: TAG_KEY } } };

export const untagResource: Operation = async (raw, context) => {
  const request = checkRequest<{ ResourceArn?: string; TagKeys?: string[] }>(raw, schema);
  const arn = checkResourceArn(request.ResourceArn, () => {
    if (request.TagKeys === undefined) {
      throw new ValidationException("1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null");
    }
  });
  context.caller.authorize([resourceRequest('UntagResource', request.ResourceArn!)]);
  const keys = request.TagKeys!;
  if (keys.length === 0) throw new ValidationException('Atleast one Tag Key needs to be provided as Input.');
  checkReservedKeys(keys);
  // DynamoDB answers UntagResource on a missing table without naming the ARN.
  const def = await findTaggedTable(arn, context, 'Requested resource not found');
  await context.catalog.modify(def.tableName, (current) => ({ ...current, tags: removeTags(current.tags ?? [], keys) }), () => new ResourceNotFoundException('Requested resource not found'));
  return {};
};
