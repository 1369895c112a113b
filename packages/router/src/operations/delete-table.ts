import { ValidationException } from '@triad/model';
import { checkNoIndexInFlight } from '../validation/global-index-updates';
import { describeTable } from '../catalog/table-description';
import { tableIndexes } from '../catalog/secondary-indexes';
import { checkRequest, type Schema } from '../validation/request-schema';
import { TABLE_NAME } from '../validation/common-fields';
import type { Operation } from './operation';
import { resourceArn, resourceRequest } from '../authorization';

export const schema: Schema = { TableName: { ...TABLE_NAME, required: true } };

export const deleteTable: Operation = async (raw, context) => {
  const request = checkRequest<{ TableName: string }>(raw, schema);
  context.caller.authorize([resourceRequest('DeleteTable', resourceArn(context, request.TableName))]);
  const current = await context.catalog.find(request.TableName);
  if (current?.deletionProtectionEnabled) {
    throw new ValidationException('Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.');
  }
  if (current) checkNoIndexInFlight(current);
  const def = await context.catalog.delete(request.TableName);
  context.log.info('table deleted', { table: def.tableName, tableId: def.tableId });
  // The definition is gone, so the data is unreachable now; removing it from disk can take its time.
  for (const id of [def.tableId, ...tableIndexes(def).map((i) => i.def.indexId)]) void context.storage.dropTable(Buffer.from(id, 'hex'));
  return { TableDescription: describeTable(def, context.region, context.accountId, { status: 'DELETING', sizes: context.statistics }) };
};
