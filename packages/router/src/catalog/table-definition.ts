import type { KeySchema, ScalarAttributeType } from '@triad/model';
import type { TableSse } from './table-encryption';

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
  /** SSESpecification's setting (reported by DescribeTable; absent: the service's own key). See table-encryption.ts. */
  sse?: TableSse;
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
