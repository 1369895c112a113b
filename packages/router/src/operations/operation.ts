import type { OperationContext } from './operation-context';

/** One DynamoDB API operation: validates its request and executes it; throws DynamoDB errors. */
export type Operation = (request: Record<string, unknown>, context: OperationContext) => Promise<unknown>;

export type OperationRegistry = Map<string, Operation>;
