import { describeIndexes } from './index-description';
import { NO_SIZE_ESTIMATES, type SizeEstimates } from './size-estimates';
import type { IndexDefinition, IndexStatus, TableDefinition, TableStatus } from './table-definition';
import { describeSse } from './table-encryption';

/**
 * DynamoDB's TableDescription of a catalog definition (DescribeTable, and the answers of
 * CreateTable, UpdateTable and DeleteTable). Apart from table-definition.ts, which only says what
 * the catalog stores: describing reads a definition, never the other way round.
 */

export function tableArn(region: string, accountId: string, tableName: string): string {
  return `arn:aws:dynamodb:${region}:${accountId}:table/${tableName}`;
}

export interface DescribeOptions {
  /**
   * The transient statuses DynamoDB answers with (CreateTable: CREATING; UpdateTable: UPDATING)
   * although Triad's change is already complete. Default: the stored statuses.
   */
  status?: TableStatus;
  indexStatusOf?: (index: IndexDefinition) => IndexStatus;
  /** Where ItemCount and the sizes come from (approximate, refreshed in the background). Default: zeros. */
  sizes?: SizeEstimates;
}

/** DynamoDB's TableDescription for a definition, members in the order of DynamoDB's JSON. */
export function describeTable(def: TableDefinition, region: string, accountId: string, options: DescribeOptions = {}) {
  const status = options.status ?? def.tableStatus;
  const sizes = options.sizes ?? NO_SIZE_ESTIMATES;
  const size = sizes.sizeOf(def.tableId);
  const keySchema = [{ AttributeName: def.keySchema.partitionKey.name, KeyType: 'HASH' }];
  if (def.keySchema.sortKey) keySchema.push({ AttributeName: def.keySchema.sortKey.name, KeyType: 'RANGE' });
  const arn = tableArn(region, accountId, def.tableName);
  const description: Record<string, unknown> = {
    // DynamoDB lists the definitions sorted by name, whatever order they were given in.
    AttributeDefinitions: [...def.attributeDefinitions].sort((a, b) => (a.AttributeName < b.AttributeName ? -1 : a.AttributeName > b.AttributeName ? 1 : 0)),
    TableName: def.tableName,
    KeySchema: keySchema,
    TableStatus: status,
    CreationDateTime: def.creationDateTime,
    ProvisionedThroughput: {
      ...(def.lastIncreaseDateTime !== undefined ? { LastIncreaseDateTime: def.lastIncreaseDateTime } : {}),
      ...(def.lastDecreaseDateTime !== undefined ? { LastDecreaseDateTime: def.lastDecreaseDateTime } : {}),
      NumberOfDecreasesToday: 0,
      ReadCapacityUnits: def.readCapacityUnits,
      WriteCapacityUnits: def.writeCapacityUnits,
    },
    TableSizeBytes: size.sizeBytes,
    ItemCount: size.itemCount,
    TableArn: arn,
    TableId: formatTableUuid(def.tableId),
  };
  // DynamoDB shows BillingModeSummary for an on-demand table, and for a provisioned table once it
  // has been on-demand (a table created PROVISIONED and never switched has none).
  // TableClassSummary is left out: DynamoDB shows it only for a table whose class was set.
  const lastPayPerRequest = def.lastUpdateToPayPerRequestDateTime
    ?? (def.billingMode === 'PAY_PER_REQUEST' ? def.creationDateTime : undefined);
  if (lastPayPerRequest !== undefined) {
    description.BillingModeSummary = {
      BillingMode: def.billingMode,
      LastUpdateToPayPerRequestDateTime: lastPayPerRequest,
    };
  }
  Object.assign(description, describeIndexes(def, arn, options.indexStatusOf, sizes));
  const sse = describeSse(def.sse, region, accountId);
  if (sse) description.SSEDescription = sse;
  description.DeletionProtectionEnabled = def.deletionProtectionEnabled ?? false;
  return description;
}

/** DynamoDB shows table ids as UUIDs; ours are 8 bytes, shown in a UUID's shape. */
function formatTableUuid(hex: string): string {
  const full = hex.padEnd(32, '0');
  return `${full.slice(0, 8)}-${full.slice(8, 12)}-${full.slice(12, 16)}-${full.slice(16, 20)}-${full.slice(20, 32)}`;
}
