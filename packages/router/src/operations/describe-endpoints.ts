import { checkRequest } from '../validation/request-schema';
import type { Operation } from './operation';
import { resourceRequest } from '../authorization';

/** How long clients may cache the answer, as DynamoDB says (24 hours). */
export const ENDPOINT_CACHE_MINUTES = 1440;

/**
 * DescribeEndpoints answers as DynamoDB does: the regional service address. Operations see only
 * the request body, not the Host header or the router's listening address, so Triad cannot name
 * itself here. SDKs use this only with endpoint discovery, which is off by default for DynamoDB
 * and must stay off for Triad (see docs/compatibility.md).
 */
export const describeEndpoints: Operation = async (raw, context) => {
  checkRequest(raw, {});
  context.caller.authorize([resourceRequest('DescribeEndpoints', '*')]);
  return { Endpoints: [{ Address: `dynamodb.${context.region}.amazonaws.com`, CachePeriodInMinutes: ENDPOINT_CACHE_MINUTES }] };
};
