import { checkRequest } from '../validation/request-schema';
import type { Operation } from './operation';
import { resourceRequest } from '../authorization';

/**
 * DynamoDB's default quotas for an account in a region. Triad records provisioned capacity but
 * enforces none, so these are what DynamoDB would report for a new account, not a Triad limit.
 */
export const DEFAULT_LIMITS = {
  AccountMaxReadCapacityUnits: 80_000,
  AccountMaxWriteCapacityUnits: 80_000,
  TableMaxReadCapacityUnits: 40_000,
  TableMaxWriteCapacityUnits: 40_000,
} as const;

export const describeLimits: Operation = async (raw, context) => {
  checkRequest(raw, {});
  context.caller.authorize([resourceRequest('DescribeLimits', '*')]);
  return { ...DEFAULT_LIMITS };
};
