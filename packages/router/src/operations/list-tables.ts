import { checkRequest, type Schema } from '../validation/request-schema';
import type { Operation } from './operation';
import { resourceRequest } from '../authorization';

/** ListTables returns at most this many names per page (DynamoDB's maximum and default). */
export const LIST_TABLES_LIMIT_MAX = 100;

export const schema: Schema = {
  ExclusiveStartTableName: { type: 'String', pattern: '[a-zA-Z0-9_.-]+', lengthMin: 3, lengthMax: 255 },
  Limit: { type: 'Integer', valueMin: 1, valueMax: LIST_TABLES_LIMIT_MAX },
};

export const listTables: Operation = async (raw, context) => {
  const request = checkRequest<{ ExclusiveStartTableName?: string; Limit?: number }>(raw, schema);
  context.caller.authorize([resourceRequest('ListTables', '*')]);
  const limit = request.Limit ?? LIST_TABLES_LIMIT_MAX;
  const names = await context.catalog.listNames();
  const start = request.ExclusiveStartTableName;
  const after = start === undefined ? names : names.filter((name) => name > start);
  const page = after.slice(0, limit);
  const response: Record<string, unknown> = { TableNames: page };
  if (after.length > limit) response.LastEvaluatedTableName = page[page.length - 1];
  return response;
};
