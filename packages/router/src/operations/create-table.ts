import { PROVISIONED_CAPACITY_UNITS_MAX as CAPACITY_UNITS_MAX, ValidationException, type ScalarAttributeType } from '@triad/model';
import { randomHex } from '@triad/runtime';
import type { TableDefinition } from '../catalog/table-definition';
import { describeTable } from '../catalog/table-description';
import { checkRequest, type FieldSpec, type Schema } from '../validation/request-schema';
import { TABLE_NAME } from '../validation/common-fields';
import {
  GLOBAL_SECONDARY_INDEXES,
  LOCAL_SECONDARY_INDEXES,
  checkCreateTableIndexes,
  createTableIndexDefinitions,
  type GlobalSecondaryIndexRequest,
  type LocalSecondaryIndexRequest,
} from '../validation/secondary-indexes';
import type { Operation } from './operation';
import { TAGS, checkTagContents, mergeTags } from './tag-resource';
import { resourceArn, resourceRequest } from '../authorization';
import { SSE_SPECIFICATION, tableSseOf, type SseSpecification } from '../catalog/table-encryption';

const KEY_SCHEMA: FieldSpec = {
  type: {
    list: {
      type: {
        struct: {
          AttributeName: { type: 'String', notNull: true, lengthMin: 1, lengthMax: 255 },
          KeyType: { type: 'String', notNull: true, enumValues: ['HASH', 'RANGE'] },
        },
      },
    },
  },
  notNull: true,
  lengthMin: 1,
  lengthMax: 2,
};

const PROVISIONED_THROUGHPUT: FieldSpec = {
  type: {
    struct: {
      ReadCapacityUnits: { type: 'Long', notNull: true, valueMin: 1 },
      WriteCapacityUnits: { type: 'Long', notNull: true, valueMin: 1 },
    },
  },
};

export const schema: Schema = {
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
    notNull: true,
  },
  TableName: { ...TABLE_NAME, required: true },
  KeySchema: KEY_SCHEMA,
  BillingMode: { type: 'String', enumValues: ['PROVISIONED', 'PAY_PER_REQUEST'] },
  ProvisionedThroughput: PROVISIONED_THROUGHPUT,
  LocalSecondaryIndexes: LOCAL_SECONDARY_INDEXES,
  GlobalSecondaryIndexes: GLOBAL_SECONDARY_INDEXES,
  Tags: TAGS,
  DeletionProtectionEnabled: { type: 'Boolean' },
  SSESpecification: SSE_SPECIFICATION,
};

export interface CreateTableRequest {
  TableName: string;
  AttributeDefinitions: { AttributeName: string; AttributeType: ScalarAttributeType }[];
  KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  BillingMode?: 'PROVISIONED' | 'PAY_PER_REQUEST';
  ProvisionedThroughput?: { ReadCapacityUnits: number; WriteCapacityUnits: number };
  LocalSecondaryIndexes?: LocalSecondaryIndexRequest[];
  GlobalSecondaryIndexes?: GlobalSecondaryIndexRequest[];
  Tags?: { Key: string; Value: string }[];
  DeletionProtectionEnabled?: boolean;
  SSESpecification?: SseSpecification;
}

const invalid = (message: string) => new ValidationException(`One or more parameter values were invalid: ${message}`);

export function checkCreateTable(request: CreateTableRequest): void {
  const throughput = request.ProvisionedThroughput;
  if (request.BillingMode === 'PAY_PER_REQUEST') {
    if (throughput) {
      throw invalid('Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST');
    }
  } else {
    if (!throughput) {
      throw invalid('ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED');
    }
    if (throughput.ReadCapacityUnits > CAPACITY_UNITS_MAX) {
      throw new ValidationException(`Given value ${throughput.ReadCapacityUnits} for ReadCapacityUnits is out of bounds`);
    }
    if (throughput.WriteCapacityUnits > CAPACITY_UNITS_MAX) {
      throw new ValidationException(`Given value ${throughput.WriteCapacityUnits} for WriteCapacityUnits is out of bounds`);
    }
  }
  const defined = request.AttributeDefinitions.map((d) => d.AttributeName);
  const keys = request.KeySchema.map((k) => k.AttributeName);
  if (keys.length > defined.length) throw new ValidationException('Invalid KeySchema: Some index key attribute have no definition');
  if (keys.some((k) => !defined.includes(k))) {
    throw invalid(
      `Some index key attributes are not defined in AttributeDefinitions. Keys: [${keys.join(', ')}], AttributeDefinitions: [${defined.join(', ')}]`,
    );
  }
  if (keys[0] === keys[1]) throw new ValidationException('Both the Hash Key and the Range Key element in the KeySchema have the same name');
  if (request.KeySchema[0].KeyType !== 'HASH') throw new ValidationException('Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
  if (request.KeySchema[1] && request.KeySchema[1].KeyType !== 'RANGE') {
    throw new ValidationException('Invalid KeySchema: The second KeySchemaElement is not a RANGE key type');
  }
  if (new Set(defined).size !== defined.length) {
    throw invalid('Duplicate AttributeName in AttributeDefinitions');
  }
  if (request.SSESpecification) tableSseOf(request.SSESpecification);
  if (request.LocalSecondaryIndexes || request.GlobalSecondaryIndexes) {
    // With indexes, AttributeDefinitions must cover every index key too; checked there.
    checkCreateTableIndexes(request);
    return;
  }
  if (request.KeySchema.length !== request.AttributeDefinitions.length) {
    throw invalid('Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions');
  }
}

export const createTable: Operation = async (raw, context) => {
  const request = checkRequest<CreateTableRequest>(raw, schema);
  checkCreateTable(request);
  context.caller.authorize([resourceRequest('CreateTable', resourceArn(context, request.TableName))]);
  // Table and index ids: 8 random bytes, unique rather than secret, and replayed by a simulation's seed.
  const newId = () => randomHex(context.env, 8);
  if (request.Tags) checkTagContents(request.Tags);
  const typeOf = (name: string) => request.AttributeDefinitions.find((d) => d.AttributeName === name)!.AttributeType;
  const [hash, range] = request.KeySchema;
  const billingMode = request.BillingMode ?? 'PROVISIONED';
  const sse = request.SSESpecification && tableSseOf(request.SSESpecification);
  const def: TableDefinition = {
    tableName: request.TableName,
    tableId: newId(),
    keySchema: {
      partitionKey: { name: hash.AttributeName, type: typeOf(hash.AttributeName) },
      ...(range ? { sortKey: { name: range.AttributeName, type: typeOf(range.AttributeName) } } : {}),
    },
    attributeDefinitions: request.AttributeDefinitions.map((d) => ({ AttributeName: d.AttributeName, AttributeType: d.AttributeType })),
    billingMode,
    readCapacityUnits: request.ProvisionedThroughput?.ReadCapacityUnits ?? 0,
    writeCapacityUnits: request.ProvisionedThroughput?.WriteCapacityUnits ?? 0,
    creationDateTime: context.env.nowMs() / 1000,
    // Placement is static, so a table can take writes as soon as its definition is stored.
    tableStatus: 'ACTIVE',
    ...(request.Tags?.length ? { tags: mergeTags([], request.Tags) } : {}),
    ...(request.DeletionProtectionEnabled ? { deletionProtectionEnabled: true } : {}),
    ...(sse ? { sse } : {}),
    ...createTableIndexDefinitions(request, newId),
  };
  await context.catalog.create(def);
  context.log.info('table created', { table: def.tableName, tableId: def.tableId });
  // DynamoDB answers CREATING for the table and its global indexes; here both are ACTIVE already.
  // A new table has no items: its figures are zeros, as in DynamoDB.
  return { TableDescription: describeTable(def, context.region, context.accountId, { status: 'CREATING', indexStatusOf: () => 'CREATING' }) };
};
