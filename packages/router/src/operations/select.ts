import { ValidationException } from '@triad/model';
import type { FieldSpec } from '../validation/request-schema';

export const SELECT: FieldSpec = {
  type: 'String',
  enumValues: ['SPECIFIC_ATTRIBUTES', 'COUNT', 'ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES'],
};

/** DynamoDB's rules between Select, ProjectionExpression and IndexName; returns the effective Select. */
export function checkSelect(select: string | undefined, hasProjection: boolean, indexName?: string): string {
  // An index is read whole by default only as far as it projects attributes.
  if (select === undefined) return hasProjection ? 'SPECIFIC_ATTRIBUTES' : indexName !== undefined ? 'ALL_PROJECTED_ATTRIBUTES' : 'ALL_ATTRIBUTES';
  if (hasProjection && select !== 'SPECIFIC_ATTRIBUTES') {
    throw new ValidationException(`Cannot specify the ProjectionExpression when choosing to get ${select}`);
  }
  if (select === 'ALL_PROJECTED_ATTRIBUTES' && indexName === undefined) {
    throw new ValidationException('ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName');
  }
  return select;
}
