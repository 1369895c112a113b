import { ValidationException } from '@triad/model';
import { describeTable } from '../catalog/table-definition';
import { checkRequest, type Schema } from '../validation/request-schema';
import { TABLE_NAME } from '../validation/common-fields';
import type { Operation } from './operation';

export const schema: Schema = { TableName: { ...TABLE_NAME, required: true } };

export const deleteTable: Operation = async (raw, context) => {
  const request = checkRequest<{ TableName: string }>(raw, schema);
  const current = await context.catalog.find(request.TableName);
  if (current?.deletionProtectionEnabled) {
    throw new ValidationException('Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.');
  }
  const def = await context.catalog.delete(request.TableName);
  context.log.info('table deleted', { table: def.tableName, tableId: def.tableId });
  // The definition is gone, so the data is unreachable now; removing it from disk can take its time.
  void context.storage.dropTable(Buffer.from(def.tableId, 'hex'));
  return { TableDescription: describeTable(def, context.region, context.accountId, 'DELETING') };
};
