import {
  GSI_PER_TABLE_MAX,
  LimitExceededException,
  PROVISIONED_CAPACITY_UNITS_MAX,
  ResourceInUseException,
  ResourceNotFoundException,
  ValidationException,
} from '@triad/model';
import type { BillingMode, IndexDefinition, TableDefinition } from '../catalog/table-definition';
import type { FieldSpec } from './request-schema';
import {
  GLOBAL_SECONDARY_INDEX_MEMBERS,
  INDEX_NAME,
  INDEX_PROVISIONED_THROUGHPUT,
  checkCapacityBounds,
  checkGlobalKeySchema,
  checkProjectedAttributeTotal,
  checkProjection,
  indexKeySchema,
  invalid,
  projectedAttributeCount,
  projectionOf,
  type AttributeDefinition,
  type KeySchemaElement,
  type ProjectionRequest,
  type ThroughputRequest,
} from './secondary-indexes';

/**
 * UpdateTable's GlobalSecondaryIndexUpdates: DynamoDB's rules for creating, deleting and
 * re-provisioning global indexes, and the catalog state each leaves. Pure: the operation reads
 * the definition, calls these, and writes the result. A created index is CREATING and
 * backfilling, a deleted one DELETING; a background job builds the one and drops the other, then
 * records the outcome (catalog/global-index-lifecycle.ts).
 */

export interface CreateGlobalSecondaryIndexAction {
  IndexName: string;
  KeySchema: KeySchemaElement[];
  Projection: ProjectionRequest;
  ProvisionedThroughput?: ThroughputRequest;
  OnDemandThroughput?: object;
  WarmThroughput?: object;
}

export interface UpdateGlobalSecondaryIndexAction {
  IndexName: string;
  ProvisionedThroughput?: ThroughputRequest;
  OnDemandThroughput?: object;
  WarmThroughput?: object;
}

export interface DeleteGlobalSecondaryIndexAction {
  IndexName: string;
}

export interface GlobalSecondaryIndexUpdate {
  Create?: CreateGlobalSecondaryIndexAction;
  Update?: UpdateGlobalSecondaryIndexAction;
  Delete?: DeleteGlobalSecondaryIndexAction;
}

/** The parts of an UpdateTable request these rules look at. */
export interface GlobalIndexUpdateRequest {
  TableName: string;
  AttributeDefinitions?: AttributeDefinition[];
  BillingMode?: BillingMode;
  ProvisionedThroughput?: ThroughputRequest;
  DeletionProtectionEnabled?: boolean;
  GlobalSecondaryIndexUpdates?: GlobalSecondaryIndexUpdate[];
  StreamSpecification?: unknown;
  SSESpecification?: unknown;
  TableClass?: string;
  WarmThroughput?: unknown;
}

/** Members Triad takes but cannot act on yet: their presence is refused. */
const UNSUPPORTED_MEMBER: FieldSpec = { type: { struct: {} } };

export const GLOBAL_SECONDARY_INDEX_UPDATES: FieldSpec = {
  type: {
    list: {
      type: {
        struct: {
          Update: {
            type: {
              struct: {
                IndexName: INDEX_NAME,
                ProvisionedThroughput: INDEX_PROVISIONED_THROUGHPUT,
                OnDemandThroughput: UNSUPPORTED_MEMBER,
                WarmThroughput: UNSUPPORTED_MEMBER,
              },
            },
          },
          Create: {
            type: { struct: { ...GLOBAL_SECONDARY_INDEX_MEMBERS, OnDemandThroughput: UNSUPPORTED_MEMBER, WarmThroughput: UNSUPPORTED_MEMBER } },
          },
          Delete: { type: { struct: { IndexName: INDEX_NAME } } },
        },
      },
    },
  },
};

const IN_USE = 'Attempt to change a resource which is still in use:';
const inUse = (message: string) => new ResourceInUseException(`${IN_USE} ${message}`);
const ONLINE_INDEX_LIMIT = 'Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table';

const nameOf = (update: GlobalSecondaryIndexUpdate) => (update.Create ?? update.Update ?? update.Delete)!.IndexName;
const isStructural = (update: GlobalSecondaryIndexUpdate) => update.Create !== undefined || update.Delete !== undefined;
const isInFlight = (index: IndexDefinition) => index.indexStatus === 'CREATING' || index.indexStatus === 'DELETING';

/**
 * The checks that need no table, after UpdateTable's own "at least one of" check: one action per
 * entry, one entry per index, and no index creation or deletion alongside changes DynamoDB makes
 * one at a time.
 */
export function checkGlobalIndexUpdatesRequest(request: GlobalIndexUpdateRequest): void {
  const updates = request.GlobalSecondaryIndexUpdates;
  if (updates === undefined) return;
  if (updates.length === 0) throw invalid('List of GlobalSecondaryIndexUpdates is empty');
  const names = new Set<string>();
  for (const update of updates) {
    const actions = [update.Update, update.Create, update.Delete].filter((action) => action !== undefined).length;
    if (actions === 0) {
      throw invalid('One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null');
    }
    if (actions > 1) throw invalid('Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object');
    const name = nameOf(update);
    if (names.has(name)) throw invalid(`Only one global secondary index update per index is allowed simultaneously. Index: ${name}`);
    names.add(name);
  }
  const structural = updates.some(isStructural);
  if (structural && request.ProvisionedThroughput) throw invalid('You cannot create or delete index while updating table IOPS');
  if (structural && request.StreamSpecification !== undefined) throw invalid('You cannot create or delete index while changing stream status');
  if (request.DeletionProtectionEnabled !== undefined) throw invalid('DeletionProtection modification must be the only operation in the request');
  if (request.SSESpecification !== undefined) throw invalid('Server-Side Encryption modification must be the only operation in the request');
  if (request.TableClass !== undefined) throw invalid('TableClass modification must be the only operation in the request');
  if (updates.some((u) => u.Create) && request.WarmThroughput !== undefined) {
    throw invalid('Create global secondary index cannot be specified when updating WarmThroughput');
  }
  for (const update of updates) {
    const action = update.Create ?? update.Update;
    for (const member of ['OnDemandThroughput', 'WarmThroughput'] as const) {
      if (action?.[member] !== undefined) {
        throw new ValidationException(`${member} of a global secondary index is not supported by this version of Triad`);
      }
    }
  }
}

/**
 * The checks against the table as it stands, in DynamoDB's order: one create or delete per call;
 * each named index present (or, to create, absent) and not busy; no other index being built or
 * dropped; at most 20; no change of table capacity while an index is being dropped.
 */
export function checkGlobalIndexUpdatesAgainstTable(def: TableDefinition, request: GlobalIndexUpdateRequest): void {
  const table = def.tableName;
  const global = def.globalSecondaryIndexes ?? [];
  const local = def.localSecondaryIndexes ?? [];
  const findGlobal = (name: string) => global.find((i) => i.indexName === name);
  const isLocal = (name: string) => local.some((i) => i.indexName === name);
  const notFound = (name: string) => new ResourceNotFoundException(`Requested resource not found: Index ${name} for table ${table}`);
  const updates = request.GlobalSecondaryIndexUpdates ?? [];

  const structural = updates.filter(isStructural);
  if (structural.length > 1) throw new LimitExceededException(ONLINE_INDEX_LIMIT);
  for (const update of updates) {
    const name = nameOf(update);
    const index = findGlobal(name);
    if (update.Create) {
      if (index?.indexStatus === 'DELETING') throw inUse(`Index is being deleted. Table: ${table} Index: ${name}`);
      if (index || isLocal(name)) throw new ValidationException('Attempting to create an index which already exists');
      continue;
    }
    const verb = update.Delete ? 'delete' : 'update';
    if (isLocal(name)) throw new ValidationException(`Cannot ${verb} an index that is not a GlobalSecondaryIndex: ${name}`);
    if (!index) throw notFound(name);
    if (index.indexStatus === 'DELETING') throw inUse(`Index is being deleted. Table: ${table} Index: ${name}`);
    if (index.indexStatus === 'CREATING' && index.backfilling === false) {
      throw inUse(
        update.Delete
          ? `Index creation is in resource allocation phase. Retry deletion during backfilling phase or when the index is active. Table: ${table} Index: ${name}`
          : `Index is being created but is not backfilling yet. Table: ${table} Index: ${name}`,
      );
    }
  }
  if (structural.length === 1) {
    const target = nameOf(structural[0]);
    if (global.some((i) => i.indexName !== target && isInFlight(i))) throw new LimitExceededException(ONLINE_INDEX_LIMIT);
    if (structural[0].Create && global.length >= GSI_PER_TABLE_MAX) {
      throw new LimitExceededException(`Subscriber limit exceeded: Number of global secondary indexes exceeds per-table limit of ${GSI_PER_TABLE_MAX}`);
    }
  }
  const changesCapacity = request.ProvisionedThroughput !== undefined || (request.BillingMode !== undefined && request.BillingMode !== def.billingMode);
  if (!changesCapacity) return;
  const busy = (what: string, indexes: IndexDefinition[]) => {
    if (indexes.length > 0) {
      throw inUse(`Can't change table IOPS when an index is being ${what}. Table: ${table} Indexes: [${indexes.map((i) => i.indexName).join(', ')}]`);
    }
  };
  // An index being built may change with the table once its backfill has begun, not before.
  busy('created', global.filter((i) => i.indexStatus === 'CREATING' && i.backfilling === false));
  busy('deleted', global.filter((i) => i.indexStatus === 'DELETING'));
}

/** A created index's checks: its keys defined by this request, its projection, its throughput. */
function checkCreate(def: TableDefinition, request: GlobalIndexUpdateRequest, create: CreateGlobalSecondaryIndexAction, mode: BillingMode): void {
  const name = create.IndexName;
  if (request.AttributeDefinitions === undefined) throw invalid(`AttributeDefinitions is not specified for index: ${name}`);
  checkGlobalKeySchema(create, request.AttributeDefinitions.map((d) => d.AttributeName));
  checkProjection(create.Projection);
  if (mode === 'PAY_PER_REQUEST') {
    if (create.ProvisionedThroughput) {
      throw invalid(`Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: ${name} when BillingMode is PAY_PER_REQUEST`);
    }
  } else {
    if (!create.ProvisionedThroughput) throw invalid(`Both ReadCapacityUnits and WriteCapacityUnits must be specified for index: ${name}`);
    checkCapacityBounds(create.ProvisionedThroughput);
  }
  const existing = [...(def.localSecondaryIndexes ?? []), ...(def.globalSecondaryIndexes ?? [])];
  checkProjectedAttributeTotal(existing.reduce((sum, i) => sum + projectedAttributeCount(i.projection), projectedAttributeCount(create.Projection)));
}

/** Index throughput after the update: `mode` is the table's billing mode once it is applied. */
function updatedThroughput(
  index: IndexDefinition,
  update: UpdateGlobalSecondaryIndexAction | undefined,
  tableMode: BillingMode,
  mode: BillingMode,
  now: number,
): IndexDefinition {
  const name = index.indexName;
  if (mode === 'PAY_PER_REQUEST') {
    if (update && tableMode === 'PAY_PER_REQUEST') {
      throw invalid(`The only Updates for index: ${name} when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput`);
    }
    if (update?.ProvisionedThroughput) {
      throw invalid(`Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: ${name} when BillingMode is PAY_PER_REQUEST`);
    }
    return tableMode === 'PROVISIONED' ? { ...index, readCapacityUnits: 0, writeCapacityUnits: 0 } : index;
  }
  if (!update) return index;
  const throughput = update.ProvisionedThroughput;
  if (!throughput) throw invalid(`Both ReadCapacityUnits and WriteCapacityUnits must be specified for index: ${name}`);
  if (throughput.ReadCapacityUnits > PROVISIONED_CAPACITY_UNITS_MAX || throughput.WriteCapacityUnits > PROVISIONED_CAPACITY_UNITS_MAX) {
    throw new ValidationException(
      'This operation cannot be performed with given input values. Please contact DynamoDB service team for more info: Action Blocked: IndexUpdate',
    );
  }
  const next: IndexDefinition = { ...index, readCapacityUnits: throughput.ReadCapacityUnits, writeCapacityUnits: throughput.WriteCapacityUnits };
  if (tableMode === 'PAY_PER_REQUEST') return next;
  const currentRead = index.readCapacityUnits ?? 0;
  const currentWrite = index.writeCapacityUnits ?? 0;
  const read = throughput.ReadCapacityUnits - currentRead;
  const write = throughput.WriteCapacityUnits - currentWrite;
  if (read === 0 && write === 0) {
    throw new ValidationException(
      `The provisioned throughput for the index ${name} will not change. The requested value equals the current value. ` +
        `Current ReadCapacityUnits provisioned for index ${name}: ${currentRead}. Requested ReadCapacityUnits: ${throughput.ReadCapacityUnits}. ` +
        `Current WriteCapacityUnits provisioned for index ${name}: ${currentWrite}. Requested WriteCapacityUnits: ${throughput.WriteCapacityUnits}. ` +
        'Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.',
    );
  }
  if (read > 0 || write > 0) next.lastIncreaseDateTime = now;
  if (read < 0 || write < 0) next.lastDecreaseDateTime = now;
  return next;
}

/**
 * The table's global indexes and attribute definitions after the update, given the billing mode
 * the table has once the update is applied. Throws DynamoDB's errors for what it refuses.
 * `newIndexId` names a created index (at most one per call).
 */
export function applyGlobalIndexUpdates(
  def: TableDefinition,
  request: GlobalIndexUpdateRequest,
  mode: BillingMode,
  now: number,
  newIndexId: () => string,
): Pick<TableDefinition, 'globalSecondaryIndexes' | 'attributeDefinitions'> {
  const updates = request.GlobalSecondaryIndexUpdates ?? [];
  const create = updates.find((u) => u.Create)?.Create;
  const deleted = updates.find((u) => u.Delete)?.Delete?.IndexName;
  const updateOf = (name: string) => updates.find((u) => u.Update?.IndexName === name)?.Update;
  if (create) checkCreate(def, request, create, mode);

  const current = def.globalSecondaryIndexes ?? [];
  if (def.billingMode === 'PAY_PER_REQUEST' && mode === 'PROVISIONED') {
    const missing = current.filter((i) => i.indexName !== deleted && !updateOf(i.indexName)?.ProvisionedThroughput);
    if (missing.length > 0) throw invalid(`ProvisionedThroughput must be specified for index: ${missing.map((i) => i.indexName).join(',')}`);
  }
  const global = current.map((index) => {
    if (index.indexName !== deleted) return updatedThroughput(index, updateOf(index.indexName), def.billingMode, mode, now);
    const capacity = mode === 'PAY_PER_REQUEST' ? { readCapacityUnits: 0, writeCapacityUnits: 0 } : {};
    return { ...index, ...capacity, indexStatus: 'DELETING' as const };
  });

  let attributeDefinitions = def.attributeDefinitions;
  if (create) {
    // The new key attributes join the table's definitions; one already defined keeps its type.
    const requested = request.AttributeDefinitions ?? [];
    const added = create.KeySchema.map((k) => k.AttributeName)
      .filter((name, i, all) => all.indexOf(name) === i && !attributeDefinitions.some((d) => d.AttributeName === name))
      .map((name) => requested.find((d) => d.AttributeName === name)!)
      .map((d) => ({ AttributeName: d.AttributeName, AttributeType: d.AttributeType }));
    attributeDefinitions = [...attributeDefinitions, ...added];
    global.push({
      indexName: create.IndexName,
      indexId: newIndexId(),
      keySchema: indexKeySchema(create.KeySchema, attributeDefinitions),
      projection: projectionOf(create.Projection),
      indexStatus: 'CREATING',
      backfilling: true,
      readCapacityUnits: create.ProvisionedThroughput?.ReadCapacityUnits ?? 0,
      writeCapacityUnits: create.ProvisionedThroughput?.WriteCapacityUnits ?? 0,
    });
  }
  return { globalSecondaryIndexes: global, attributeDefinitions };
}

/** DeleteTable waits for every global index to settle, as DynamoDB does. */
export function checkNoIndexInFlight(def: TableDefinition): void {
  if ((def.globalSecondaryIndexes ?? []).some((i) => isInFlight(i) || i.indexStatus === 'UPDATING')) {
    throw inUse('Cannot delete table while indexes are being created, updated, or deleted.');
  }
}
