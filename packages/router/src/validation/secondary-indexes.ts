import {
  GSI_KEY_ATTRIBUTES_PER_KEY_TYPE_MAX,
  GSI_PER_TABLE_MAX,
  LSI_PER_TABLE_MAX,
  NON_KEY_ATTRIBUTES_PER_INDEX_MAX,
  PROJECTED_ATTRIBUTES_PER_TABLE_MAX,
  PROVISIONED_CAPACITY_UNITS_MAX,
  ValidationException,
  type KeySchema,
  type ScalarAttributeType,
} from '@triad/model';
import type { BillingMode, IndexDefinition, Projection, ProjectionType } from '../catalog/table-definition';
import { formatJavaSet } from './java-set-order';
import type { FieldSpec, Schema } from './request-schema';

/**
 * Secondary indexes as CreateTable and UpdateTable take them: the request shapes, their schema
 * constraints, and DynamoDB's checks of them, as pure functions. DynamoDB's messages are quoted
 * exactly; where their order of checks is known (dynalite's suite, run against AWS, and probes of
 * the live service) it is kept.
 */

export interface KeySchemaElement {
  AttributeName: string;
  KeyType: 'HASH' | 'RANGE';
}

export interface AttributeDefinition {
  AttributeName: string;
  AttributeType: ScalarAttributeType;
}

export interface ProjectionRequest {
  /** No default: DynamoDB refuses a projection without one ("Unknown ProjectionType: null"). */
  ProjectionType?: ProjectionType;
  NonKeyAttributes?: string[];
}

export interface ThroughputRequest {
  ReadCapacityUnits: number;
  WriteCapacityUnits: number;
}

export interface LocalSecondaryIndexRequest {
  IndexName: string;
  KeySchema: KeySchemaElement[];
  Projection: ProjectionRequest;
}

export interface GlobalSecondaryIndexRequest extends LocalSecondaryIndexRequest {
  ProvisionedThroughput?: ThroughputRequest;
}

// ---------------------------------------------------------------------------------------------
// Schema constraints (checked first, into DynamoDB's "N validation errors detected" message)

export const INDEX_NAME: FieldSpec = { type: 'String', notNull: true, pattern: '[a-zA-Z0-9_.-]+', lengthMin: 3, lengthMax: 255 };

const KEY_SCHEMA_ELEMENT: FieldSpec = {
  type: {
    struct: {
      AttributeName: { type: 'String', notNull: true, lengthMin: 1, lengthMax: 255 },
      KeyType: { type: 'String', notNull: true, enumValues: ['HASH', 'RANGE'] },
    },
  },
};

/** Local index keys are a partition and a sort key: 1 to 2 elements, as for the table. */
const LOCAL_KEY_SCHEMA: FieldSpec = { type: { list: KEY_SCHEMA_ELEMENT }, notNull: true, lengthMin: 1, lengthMax: 2 };

/** Global index keys may have up to 4 HASH and 4 RANGE elements, so the list has no upper bound. */
export const GLOBAL_KEY_SCHEMA: FieldSpec = { type: { list: KEY_SCHEMA_ELEMENT }, notNull: true, lengthMin: 1 };

export const PROJECTION: FieldSpec = {
  type: {
    struct: {
      ProjectionType: { type: 'String', enumValues: ['ALL', 'INCLUDE', 'KEYS_ONLY'] },
      NonKeyAttributes: {
        type: { list: { type: 'String', lengthMin: 1, lengthMax: 255 } },
        lengthMin: 1,
        lengthMax: NON_KEY_ATTRIBUTES_PER_INDEX_MAX,
      },
    },
  },
  notNull: true,
};

/** DynamoDB reports WriteCapacityUnits before ReadCapacityUnits (seen from AWS for index updates). */
export const INDEX_PROVISIONED_THROUGHPUT: FieldSpec = {
  type: {
    struct: {
      WriteCapacityUnits: { type: 'Long', notNull: true, valueMin: 1 },
      ReadCapacityUnits: { type: 'Long', notNull: true, valueMin: 1 },
    },
  },
};

export const LOCAL_SECONDARY_INDEXES: FieldSpec = {
  type: { list: { type: { struct: { IndexName: INDEX_NAME, KeySchema: LOCAL_KEY_SCHEMA, Projection: PROJECTION } } } },
};

/** A global index's members, as CreateTable and UpdateTable's Create take them, in the order DynamoDB checks them. */
export const GLOBAL_SECONDARY_INDEX_MEMBERS: Schema = {
  IndexName: INDEX_NAME,
  KeySchema: GLOBAL_KEY_SCHEMA,
  Projection: PROJECTION,
  ProvisionedThroughput: INDEX_PROVISIONED_THROUGHPUT,
};

export const GLOBAL_SECONDARY_INDEXES: FieldSpec = { type: { list: { type: { struct: GLOBAL_SECONDARY_INDEX_MEMBERS } } } };

// ---------------------------------------------------------------------------------------------
// Messages

export const invalid = (message: string) => new ValidationException(`One or more parameter values were invalid: ${message}`);

export function notDefinedError(keys: readonly string[], definitions: readonly string[]): ValidationException {
  return invalid(
    `Some index key attributes are not defined in AttributeDefinitions. Keys: ${formatJavaSet(keys)}, AttributeDefinitions: ${formatJavaSet(definitions)}`,
  );
}

const sameNameError = () => new ValidationException('Both the Hash Key and the Range Key element in the KeySchema have the same name');
const firstNotHashError = () => new ValidationException('Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
const secondNotRangeError = () => new ValidationException('Invalid KeySchema: The second KeySchemaElement is not a RANGE key type');

// ---------------------------------------------------------------------------------------------
// Checks of one index

/** A local index: the table's partition key, then a sort key of its own, all defined. */
export function checkLocalKeySchema(index: LocalSecondaryIndexRequest, tableHashKey: string, defined: readonly string[]): void {
  const keys = index.KeySchema.map((k) => k.AttributeName);
  if (keys.some((k) => !defined.includes(k))) throw notDefinedError(keys, defined);
  if (keys.length === 2 && keys[0] === keys[1]) throw sameNameError();
  if (index.KeySchema[0].KeyType !== 'HASH') throw firstNotHashError();
  if (index.KeySchema[1] && index.KeySchema[1].KeyType !== 'RANGE') throw secondNotRangeError();
  if (keys.length !== 2) throw invalid(`Index KeySchema does not have a range key for index: ${index.IndexName}`);
  if (keys[0] !== tableHashKey) {
    throw invalid(
      `Index KeySchema does not have the same leading hash key as table KeySchema for index: ${index.IndexName}. index hash key: ${keys[0]}, table hash key: ${tableHashKey}`,
    );
  }
}

/**
 * A global index: HASH elements first, then RANGE ones, at most 4 of each, names distinct and
 * defined. DynamoDB accepts several of each (multi-attribute keys); Triad keeps one partition key
 * and at most one sort key per index, and says so.
 */
export function checkGlobalKeySchema(index: Pick<LocalSecondaryIndexRequest, 'KeySchema'>, defined: readonly string[]): void {
  const schema = index.KeySchema;
  const keys = schema.map((k) => k.AttributeName);
  if (keys.some((k) => !defined.includes(k))) throw notDefinedError(keys, defined);
  if (schema[0].KeyType !== 'HASH') throw firstNotHashError();
  const firstRange = schema.findIndex((k) => k.KeyType === 'RANGE');
  if (firstRange >= 0 && schema.slice(firstRange).some((k) => k.KeyType === 'HASH')) {
    throw invalid('All HASH key attributes must precede RANGE key attributes in the KeySchema');
  }
  const hashCount = schema.filter((k) => k.KeyType === 'HASH').length;
  const rangeCount = schema.length - hashCount;
  if (hashCount > GSI_KEY_ATTRIBUTES_PER_KEY_TYPE_MAX) invalidCount('HASH');
  if (rangeCount > GSI_KEY_ATTRIBUTES_PER_KEY_TYPE_MAX) invalidCount('RANGE');
  if (new Set(keys).size !== keys.length) {
    // A classic two-element key keeps the message DynamoDB gave before multi-attribute keys.
    if (schema.length === 2 && hashCount === 1) throw sameNameError();
    throw new ValidationException('The KeySchema contains multiple key attributes with the same name');
  }
  if (hashCount > 1 || rangeCount > 1) {
    throw new ValidationException('Multi-attribute keys in global secondary indexes are not supported by this version of Triad');
  }
}

function invalidCount(keyType: 'HASH' | 'RANGE'): never {
  throw invalid(`The KeySchema exceeds the maximum allowed number of ${keyType} key attributes`);
}

/** ProjectionType is required; NonKeyAttributes go with INCLUDE only, each named once. */
export function checkProjection(projection: ProjectionRequest): void {
  const type = projection.ProjectionType;
  if (type === undefined) throw invalid('Unknown ProjectionType: null');
  const nonKey = projection.NonKeyAttributes;
  if (nonKey && type !== 'INCLUDE') throw invalid(`ProjectionType is ${type}, but NonKeyAttributes is specified`);
  if (!nonKey && type === 'INCLUDE') throw invalid('ProjectionType is INCLUDE, but NonKeyAttributes is not specified');
  const seen = new Set<string>();
  for (const name of nonKey ?? []) {
    if (seen.has(name)) throw invalid(`Duplicate element in NonKeyAttributes: ${name}`);
    seen.add(name);
  }
}

/** Out-of-range capacity, worded as DynamoDB words it for the table. */
export function checkCapacityBounds(throughput: ThroughputRequest): void {
  if (throughput.ReadCapacityUnits > PROVISIONED_CAPACITY_UNITS_MAX) {
    throw new ValidationException(`Given value ${throughput.ReadCapacityUnits} for ReadCapacityUnits is out of bounds`);
  }
  if (throughput.WriteCapacityUnits > PROVISIONED_CAPACITY_UNITS_MAX) {
    throw new ValidationException(`Given value ${throughput.WriteCapacityUnits} for WriteCapacityUnits is out of bounds`);
  }
}

/** Non-key attributes an index projects: they count against the table's limit of 100. */
export function projectedAttributeCount(projection: ProjectionRequest): number {
  return projection.ProjectionType === 'INCLUDE' ? projection.NonKeyAttributes?.length ?? 0 : 0;
}

export function checkProjectedAttributeTotal(total: number): void {
  if (total > PROJECTED_ATTRIBUTES_PER_TABLE_MAX) {
    throw invalid(`Number of projected attributes in all indexes exceeds limit of ${PROJECTED_ATTRIBUTES_PER_TABLE_MAX}`);
  }
}

// ---------------------------------------------------------------------------------------------
// CreateTable

export interface CreateTableIndexes {
  KeySchema: KeySchemaElement[];
  AttributeDefinitions: AttributeDefinition[];
  BillingMode?: BillingMode;
  LocalSecondaryIndexes?: LocalSecondaryIndexRequest[];
  GlobalSecondaryIndexes?: GlobalSecondaryIndexRequest[];
}

/**
 * CreateTable's index checks, run once the table's own key is valid, in three rounds as DynamoDB
 * runs them: every index's key schema; then AttributeDefinitions against all keys (an unused
 * definition masks every later error); then projections, throughput, names and counts.
 */
export function checkCreateTableIndexes(request: CreateTableIndexes): void {
  const local = request.LocalSecondaryIndexes;
  const global = request.GlobalSecondaryIndexes;
  if (!local && !global) return;
  const defined = request.AttributeDefinitions.map((d) => d.AttributeName);
  const tableKeys = request.KeySchema.map((k) => k.AttributeName);

  if (local) {
    if (local.length === 0) throw invalid('List of LocalSecondaryIndexes is empty');
    if (request.KeySchema.length !== 2) {
      throw invalid('Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex');
    }
    for (const index of local) checkLocalKeySchema(index, tableKeys[0], defined);
  }
  if (global) {
    if (global.length === 0) throw invalid('List of GlobalSecondaryIndexes is empty');
    for (const index of global) checkGlobalKeySchema(index, defined);
  }

  const used = [...tableKeys, ...[...(local ?? []), ...(global ?? [])].flatMap((i) => i.KeySchema.map((k) => k.AttributeName))];
  if (defined.some((name) => !used.includes(name))) {
    throw invalid(`Some AttributeDefinitions are not used. AttributeDefinitions: [${defined.join(', ')}], keys used: ${formatJavaSet(used)}`);
  }

  const names = new Set<string>();
  const checkName = (name: string) => {
    if (names.has(name)) throw invalid(`Duplicate index name: ${name}`);
    names.add(name);
  };
  for (const index of local ?? []) {
    checkProjection(index.Projection);
    checkName(index.IndexName);
  }
  if (local && local.length > LSI_PER_TABLE_MAX) {
    throw invalid(`Number of LocalSecondaryIndexes exceeds per-table limit of ${LSI_PER_TABLE_MAX}`);
  }
  for (const index of global ?? []) {
    checkProjection(index.Projection);
    checkIndexThroughputAtCreate(index, request.BillingMode ?? 'PROVISIONED');
    checkName(index.IndexName);
  }
  if (global && global.length > GSI_PER_TABLE_MAX) {
    throw invalid(`GlobalSecondaryIndex count exceeds the per-table limit of ${GSI_PER_TABLE_MAX}`);
  }
  checkProjectedAttributeTotal([...(local ?? []), ...(global ?? [])].reduce((sum, i) => sum + projectedAttributeCount(i.Projection), 0));
}

/** A global index of a provisioned table has its own throughput; one of an on-demand table has none. */
function checkIndexThroughputAtCreate(index: GlobalSecondaryIndexRequest, billingMode: BillingMode): void {
  if (billingMode === 'PAY_PER_REQUEST') {
    if (index.ProvisionedThroughput) {
      throw invalid(`ProvisionedThroughput should not be specified for index: ${index.IndexName} when BillingMode is PAY_PER_REQUEST`);
    }
    return;
  }
  if (!index.ProvisionedThroughput) throw invalid(`ProvisionedThroughput is not specified for index: ${index.IndexName}`);
  checkCapacityBounds(index.ProvisionedThroughput);
}

// ---------------------------------------------------------------------------------------------
// Definitions

/** The typed key schema of an index whose attributes are all defined (checked before). */
export function indexKeySchema(schema: readonly KeySchemaElement[], definitions: readonly AttributeDefinition[]): KeySchema {
  const typeOf = (name: string) => {
    const definition = definitions.find((d) => d.AttributeName === name);
    if (!definition) throw new Error(`assertion: key attribute ${name} has no definition`);
    return definition.AttributeType;
  };
  const [hash, range] = schema;
  return {
    partitionKey: { name: hash.AttributeName, type: typeOf(hash.AttributeName) },
    ...(range ? { sortKey: { name: range.AttributeName, type: typeOf(range.AttributeName) } } : {}),
  };
}

export function projectionOf(projection: ProjectionRequest): Projection {
  const type = projection.ProjectionType!;
  return type === 'INCLUDE' ? { ProjectionType: type, NonKeyAttributes: [...(projection.NonKeyAttributes ?? [])] } : { ProjectionType: type };
}

/**
 * The index definitions of a valid CreateTable request. The table is empty, so its global indexes
 * have nothing to backfill and are ACTIVE at once; local indexes have no status of their own.
 */
export function createTableIndexDefinitions(
  request: CreateTableIndexes,
  newIndexId: () => string,
): { localSecondaryIndexes?: IndexDefinition[]; globalSecondaryIndexes?: IndexDefinition[] } {
  const definitions = request.AttributeDefinitions;
  const definitionOf = (index: LocalSecondaryIndexRequest): IndexDefinition => ({
    indexName: index.IndexName,
    indexId: newIndexId(),
    keySchema: indexKeySchema(index.KeySchema, definitions),
    projection: projectionOf(index.Projection),
    indexStatus: 'ACTIVE',
  });
  const local = request.LocalSecondaryIndexes?.map(definitionOf);
  const global = request.GlobalSecondaryIndexes?.map(
    (index): IndexDefinition => ({
      ...definitionOf(index),
      readCapacityUnits: index.ProvisionedThroughput?.ReadCapacityUnits ?? 0,
      writeCapacityUnits: index.ProvisionedThroughput?.WriteCapacityUnits ?? 0,
    }),
  );
  return { ...(local ? { localSecondaryIndexes: local } : {}), ...(global ? { globalSecondaryIndexes: global } : {}) };
}
