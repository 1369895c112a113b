import { InternalServerError, PROVISIONED_CAPACITY_UNITS_MAX as CAPACITY_UNITS_MAX, ValidationException } from '@triad/model';
import {
  GLOBAL_SECONDARY_INDEX_UPDATES,
  applyGlobalIndexUpdates,
  checkGlobalIndexUpdatesAgainstTable,
  checkGlobalIndexUpdatesRequest,
  type GlobalSecondaryIndexUpdate,
} from '../validation/global-index-updates';
import { randomHex } from '@triad/runtime';
import { CATALOG_WRITE_ATTEMPTS_MAX } from '../catalog/catalog';
import type { BillingMode, IndexDefinition, TableDefinition } from '../catalog/table-definition';
import { describeTable } from '../catalog/table-description';
import type { SizeEstimates } from '../catalog/size-estimates';
import { checkRequest, type FieldSpec, type Schema } from '../validation/request-schema';
import { TABLE_NAME } from '../validation/common-fields';
import type { AttributeDefinition } from '../validation/secondary-indexes';
import type { Operation } from './operation';
import { resourceArn, resourceRequest } from '../authorization';
import { SSE_SPECIFICATION, tableSseOf, type SseSpecification } from '../catalog/table-encryption';

/**
 * Times UpdateTable re-reads and re-applies itself when the definition changed between its read
 * and its write (another router's UpdateTable or TagResource, or the index job finishing a step).
 */

const PROVISIONED_THROUGHPUT: FieldSpec = {
  type: {
    struct: {
      ReadCapacityUnits: { type: 'Long', notNull: true, valueMin: 1 },
      WriteCapacityUnits: { type: 'Long', notNull: true, valueMin: 1 },
    },
  },
};

/** Fields DynamoDB takes that Triad cannot act on yet; any of them is refused. */
const UNSUPPORTED = [
  'StreamSpecification',
  'ReplicaUpdates',
  'TableClass',
  'OnDemandThroughput',
  'WarmThroughput',
  'MultiRegionConsistency',
  'GlobalTableWitnessUpdates',
] as const;

export const schema: Schema = {
  TableName: { ...TABLE_NAME, required: true },
  AttributeDefinitions: {
    type: {
      list: {
        type: {
          struct: {
            AttributeName: { type: 'String', notNull: true, lengthMin: 1, lengthMax: 255 },
            AttributeType: { type: 'String', notNull: true, enumValues: ['B', 'N', 'S'] },
          },
        },
      },
    },
  },
  BillingMode: { type: 'String', enumValues: ['PROVISIONED', 'PAY_PER_REQUEST'] },
  ProvisionedThroughput: PROVISIONED_THROUGHPUT,
  DeletionProtectionEnabled: { type: 'Boolean' },
  GlobalSecondaryIndexUpdates: GLOBAL_SECONDARY_INDEX_UPDATES,
  StreamSpecification: {
    type: {
      struct: {
        StreamEnabled: { type: 'Boolean', notNull: true },
        StreamViewType: { type: 'String', enumValues: ['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY'] },
      },
    },
  },
  ReplicaUpdates: { type: { list: { type: { struct: {} } } } },
  SSESpecification: SSE_SPECIFICATION,
  TableClass: { type: 'String', enumValues: ['STANDARD', 'STANDARD_INFREQUENT_ACCESS'] },
  OnDemandThroughput: { type: { struct: {} } },
  WarmThroughput: { type: { struct: {} } },
  MultiRegionConsistency: { type: 'String', enumValues: ['EVENTUAL', 'STRONG'] },
  GlobalTableWitnessUpdates: { type: { list: { type: { struct: {} } } } },
};

export interface UpdateTableRequest {
  TableName: string;
  AttributeDefinitions?: AttributeDefinition[];
  BillingMode?: BillingMode;
  ProvisionedThroughput?: { ReadCapacityUnits: number; WriteCapacityUnits: number };
  DeletionProtectionEnabled?: boolean;
  GlobalSecondaryIndexUpdates?: GlobalSecondaryIndexUpdate[];
  StreamSpecification?: unknown;
  ReplicaUpdates?: unknown[];
  SSESpecification?: SseSpecification;
  TableClass?: string;
  OnDemandThroughput?: unknown;
  WarmThroughput?: unknown;
  MultiRegionConsistency?: string;
  GlobalTableWitnessUpdates?: unknown[];
}

const invalid = (message: string) => new ValidationException(`One or more parameter values were invalid: ${message}`);

/** The checks that need no table, in DynamoDB's order. */
export function checkUpdateTable(request: UpdateTableRequest): void {
  const changesSomething =
    request.ProvisionedThroughput !== undefined ||
    request.BillingMode !== undefined ||
    request.DeletionProtectionEnabled !== undefined ||
    (request.GlobalSecondaryIndexUpdates !== undefined && request.GlobalSecondaryIndexUpdates.length > 0) ||
    request.SSESpecification !== undefined ||
    UNSUPPORTED.some((field) => request[field] !== undefined);
  if (!changesSomething) {
    throw new ValidationException(
      'At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required',
    );
  }
  if (request.BillingMode === 'PROVISIONED' && !request.ProvisionedThroughput) {
    throw invalid('ProvisionedThroughput must be specified when BillingMode is PROVISIONED');
  }
  const throughput = request.ProvisionedThroughput;
  if (throughput) {
    if (throughput.ReadCapacityUnits > CAPACITY_UNITS_MAX) {
      throw new ValidationException(`Given value ${throughput.ReadCapacityUnits} for ReadCapacityUnits is out of bounds`);
    }
    if (throughput.WriteCapacityUnits > CAPACITY_UNITS_MAX) {
      throw new ValidationException(`Given value ${throughput.WriteCapacityUnits} for WriteCapacityUnits is out of bounds`);
    }
  }
  checkGlobalIndexUpdatesRequest(request);
  if (request.SSESpecification !== undefined) {
    const others = request.ProvisionedThroughput ?? request.BillingMode ?? request.DeletionProtectionEnabled ?? UNSUPPORTED.find((field) => request[field] !== undefined);
    if (others !== undefined) throw invalid('Server-Side Encryption modification must be the only operation in the request');
    tableSseOf(request.SSESpecification);
  }
  for (const field of UNSUPPORTED) {
    if (request[field] !== undefined) throw new ValidationException(`${field} is not supported by this version of Triad`);
  }
}

/**
 * The definition after the update; throws DynamoDB's errors for changes it refuses. Pure, for
 * tests: `newIndexId` names the global index a Create adds.
 */
export function applyUpdateTable(
  def: TableDefinition,
  request: UpdateTableRequest,
  now: number,
  newIndexId: () => string = () => {
    throw new Error('assertion: an index id is needed to create an index');
  },
): TableDefinition {
  const next: TableDefinition = { ...def };
  const mode = request.BillingMode ?? def.billingMode;
  const throughput = request.ProvisionedThroughput;
  if (throughput && mode === 'PAY_PER_REQUEST') {
    throw invalid('Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST');
  }
  checkGlobalIndexUpdatesAgainstTable(def, request);
  if (request.GlobalSecondaryIndexUpdates || (def.globalSecondaryIndexes?.length && mode !== def.billingMode)) {
    Object.assign(next, applyGlobalIndexUpdates(def, request, mode, now, newIndexId));
  }
  if (mode === 'PAY_PER_REQUEST' && def.billingMode === 'PROVISIONED') {
    next.billingMode = 'PAY_PER_REQUEST';
    next.readCapacityUnits = 0;
    next.writeCapacityUnits = 0;
    next.lastUpdateToPayPerRequestDateTime = now;
  }
  if (throughput) {
    if (def.billingMode === 'PROVISIONED') {
      const read = throughput.ReadCapacityUnits - def.readCapacityUnits;
      const write = throughput.WriteCapacityUnits - def.writeCapacityUnits;
      if (read === 0 && write === 0) {
        throw new ValidationException(
          'The provisioned throughput for the table will not change. The requested value equals the current value. ' +
            `Current ReadCapacityUnits provisioned for the table: ${def.readCapacityUnits}. Requested ReadCapacityUnits: ${throughput.ReadCapacityUnits}. ` +
            `Current WriteCapacityUnits provisioned for the table: ${def.writeCapacityUnits}. Requested WriteCapacityUnits: ${throughput.WriteCapacityUnits}. ` +
            'Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.',
        );
      }
      if (read > 0 || write > 0) next.lastIncreaseDateTime = now;
      if (read < 0 || write < 0) next.lastDecreaseDateTime = now;
    } else {
      // PAY_PER_REQUEST → PROVISIONED: the summary keeps when the table last went on-demand.
      next.billingMode = 'PROVISIONED';
      next.lastUpdateToPayPerRequestDateTime = def.lastUpdateToPayPerRequestDateTime ?? def.creationDateTime;
    }
    next.readCapacityUnits = throughput.ReadCapacityUnits;
    next.writeCapacityUnits = throughput.WriteCapacityUnits;
  }
  if (request.DeletionProtectionEnabled !== undefined) next.deletionProtectionEnabled = request.DeletionProtectionEnabled;
  if (request.SSESpecification !== undefined) {
    const sse = tableSseOf(request.SSESpecification);
    if (sse) next.sse = sse;
    else delete next.sse;
  }
  return next;
}

export const updateTable: Operation = async (raw, context) => {
  const request = checkRequest<UpdateTableRequest>(raw, schema);
  checkUpdateTable(request);
  context.caller.authorize([resourceRequest('UpdateTable', resourceArn(context, request.TableName))]);
  const newIndexId = () => randomHex(context.env, 8);
  for (let attempt = 1; ; attempt++) {
    const def = await context.catalog.require(request.TableName, `Requested resource not found: Table: ${request.TableName} not found`);
    const next = applyUpdateTable(def, request, context.env.nowMs() / 1000, newIndexId);
    const changed = JSON.stringify(next) !== JSON.stringify(def);
    if (!changed || (await context.catalog.replace(def, next))) {
      if (changed) context.log.info('table updated', { table: next.tableName, tableId: next.tableId });
      return { TableDescription: describeUpdated(next, request, context.region, context.accountId, context.statistics) };
    }
    if (attempt >= CATALOG_WRITE_ATTEMPTS_MAX) {
      throw new InternalServerError(`Table ${request.TableName} kept changing while it was being updated; try again`);
    }
  }
};

/**
 * DynamoDB answers UPDATING for the table and for each index whose throughput changes; here those
 * changes are complete at once, so DescribeTable says ACTIVE. Created and deleted indexes show
 * CREATING and DELETING, which they stay until the index job is done with them.
 */
function describeUpdated(next: TableDefinition, request: UpdateTableRequest, region: string, accountId: string, sizes: SizeEstimates) {
  const updated = new Set((request.GlobalSecondaryIndexUpdates ?? []).flatMap((u) => (u.Update ? [u.Update.IndexName] : [])));
  const statusOf = (index: IndexDefinition) => (updated.has(index.indexName) ? 'UPDATING' : index.indexStatus);
  return describeTable(next, region, accountId, { status: 'UPDATING', indexStatusOf: statusOf, sizes });
}
