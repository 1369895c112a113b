import { batchGetItem } from './batch-get-item';
import { batchWriteItem } from './batch-write-item';
import { createTable } from './create-table';
import { deleteItem } from './delete-item';
import { deleteTable } from './delete-table';
import { describeTable } from './describe-table';
import { getItem } from './get-item';
import { listTables } from './list-tables';
import type { Operation, OperationRegistry } from './operation';
import { putItem } from './put-item';
import { query } from './query';
import { scan } from './scan';
import { updateItem } from './update-item';

/** Every operation, registered by its X-Amz-Target name. */
export function createOperationRegistry(): OperationRegistry {
  const operations: Record<string, Operation> = {
    CreateTable: createTable,
    DescribeTable: describeTable,
    ListTables: listTables,
    DeleteTable: deleteTable,
    PutItem: putItem,
    GetItem: getItem,
    UpdateItem: updateItem,
    DeleteItem: deleteItem,
    Query: query,
    Scan: scan,
    BatchWriteItem: batchWriteItem,
    BatchGetItem: batchGetItem,
  };
  return new Map(Object.entries(operations));
}
