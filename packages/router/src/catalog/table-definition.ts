import type { KeySchema, ScalarAttributeType } from '@triad/model';
import { describeIndexes } from './index-description';
import { NO_SIZE_ESTIMATES, type SizeEstimates } from './size-estimates';

export type TableStatus = 'CREATING' | 'ACTIVE' | 'DELETING' | 'UPDATING';
export type BillingMode = 'PROVISIONED' | 'PAY_PER_REQUEST';
export type IndexStatus = 'CREATING' | 'ACTIVE' | 'DELETING' | 'UPDATING';
export type ProjectionType = 'ALL' | 'KEYS_ONLY' | 'INCLUDE';

export interface Projection {
  ProjectionType: ProjectionType;
  /** INCLUDE only: the non-key attributes copied into the index. */
  NonKeyAttributes?: string[];
}

/**
 * A local or global secondary index. Its entries are storage records of their own, keyed
 * [indexId][index partition key][index sort key][table partition key][table sort key], so a new
 * index (even of the same name) never sees an old one's entries.
 */
export interface IndexDefinition {
  indexName: string;
  /** 16 hex digits, new for every index created. */
  indexId: string;
  keySchema: KeySchema;
  projection: Projection;
  /** Global indexes: CREATING while existing items are backfilled, DELETING while its entries are dropped. */
  indexStatus: IndexStatus;
  /** Global indexes created by UpdateTable: true until the backfill has covered every partition. */
  backfilling?: boolean;
  /** Global indexes of a PROVISIONED table have their own throughput (0 for PAY_PER_REQUEST). */
  readCapacityUnits?: number;
  writeCapacityUnits?: number;
  /** Global indexes: when UpdateTable last raised or lowered the index's provisioned capacity. */
  lastIncreaseDateTime?: number;
  lastDecreaseDateTime?: number;
}

/** A table as the catalog stores it: what DescribeTable shows, plus the id that prefixes its keys. */
export interface TableDefinition {
  tableName: string;
  /** 16 hex digits, new for every CreateTable, so a re-created table never sees old data. */
  tableId: string;
  keySchema: KeySchema;
  attributeDefinitions: { AttributeName: string; AttributeType: ScalarAttributeType }[];
  billingMode: BillingMode;
  readCapacityUnits: number;
  writeCapacityUnits: number;
  /** Seconds since the epoch, with a fraction, as DynamoDB shows it. */
  creationDateTime: number;
  tableStatus: TableStatus;
  /** Resource tags (TagResource, CreateTable's Tags), in the order they were first added. */
  tags?: Tag[];
  /** DeleteTable refuses while this is true. */
  deletionProtectionEnabled?: boolean;
  /** When the table last switched to PAY_PER_REQUEST (absent: never, or at creation). */
  lastUpdateToPayPerRequestDateTime?: number;
  /** When UpdateTable last raised or lowered provisioned capacity. */
  lastIncreaseDateTime?: number;
  lastDecreaseDateTime?: number;
  /** Defined at CreateTable only (at most 5). */
  localSecondaryIndexes?: IndexDefinition[];
  /** Defined at CreateTable or added and removed by UpdateTable (at most 20). */
  globalSecondaryIndexes?: IndexDefinition[];
  /**
   * Raised by each change of the index list writes maintain (schema-version.ts); every write
   * carries it, and leaders refuse writes below the table's index fence. Absent: 0.
   */
  schemaVersion?: number;
}

export interface Tag {
  Key: string;
  Value: string;
}

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
  description.DeletionProtectionEnabled = def.deletionProtectionEnabled ?? false;
  return description;
}

/** DynamoDB shows table ids as UUIDs; ours are 8 bytes, shown in a UUID's shape. */
function formatTableUuid(hex: string): string {
  const full = hex.padEnd(32, '0');
  return `${full.slice(0, 8)}-${full.slice(8, 12)}-${full.slice(12, 16)}-${full.slice(16, 20)}-${full.slice(20, 32)}`;
}
