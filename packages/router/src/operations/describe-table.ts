import { describeTable as describe } from '../catalog/table-description';
import { checkRequest, type Schema } from '../validation/request-schema';
import { TABLE_NAME } from '../validation/common-fields';
import type { Operation } from './operation';
import { resourceArn, resourceRequest } from '../authorization';

export const schema: Schema = { TableName: { ...TABLE_NAME, required: true } };

export const describeTable: Operation = async (raw, context) => {
  const request = checkRequest<{ TableName: string }>(raw, schema);
  context.caller.authorize([resourceRequest('DescribeTable', resourceArn(context, request.TableName))]);
  const def = await context.catalog.require(request.TableName, `Requested resource not found: Table: ${request.TableName} not found`);
  return { Table: describe(def, context.region, context.accountId, { sizes: context.statistics }) };
};
