import { batchGetItem } from './batch-get-item';
import { batchWriteItem } from './batch-write-item';
import { createTable } from './create-table';
import { deleteItem } from './delete-item';
import { deleteTable } from './delete-table';
import { describeEndpoints } from './describe-endpoints';
import { describeLimits } from './describe-limits';
import { describeTable } from './describe-table';
import { getItem } from './get-item';
import { listTables } from './list-tables';
import { listTagsOfResource } from './list-tags-of-resource';
import type { Operation, OperationRegistry } from './operation';
import { putItem } from './put-item';
import { query } from './query';
import { scan } from './scan';
import { tagResource } from './tag-resource';
import { untagResource } from './untag-resource';
import { updateItem } from './update-item';
import { updateTable } from './update-table';

/** Every operation, registered by its X-Amz-Target name. */
export function createOperationRegistry(): OperationRegistry {
  const operations: Record<string, Operation> = {
    CreateTable: createTable,
    DescribeTable: describeTable,
    ListTables: listTables,
    DeleteTable: deleteTable,
    UpdateTable: updateTable,
    TagResource: tagResource,
    UntagResource: untagResource,
    ListTagsOfResource: listTagsOfResource,
    DescribeLimits: describeLimits,
    DescribeEndpoints: describeEndpoints,
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
