import { randomBytes } from 'node:crypto';
import { ValidationException, type ScalarAttributeType } from '@triad/model';
import { describeTable, type TableDefinition } from '../catalog/table-definition';
import { checkRequest, type FieldSpec, type Schema } from '../validation/request-schema';
import { TABLE_NAME } from '../validation/common-fields';
import type { Operation } from './operation';
import { TAGS, checkTagContents, mergeTags } from './tag-resource';

/** DynamoDB's upper bound on provisioned capacity units in a request. */
const CAPACITY_UNITS_MAX = 1_000_000_000_000;

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
  LocalSecondaryIndexes: { type: { list: { type: { struct: {} } } } },
  GlobalSecondaryIndexes: { type: { list: { type: { struct: {} } } } },
  Tags: TAGS,
  DeletionProtectionEnabled: { type: 'Boolean' },
};

interface CreateTableRequest {
  TableName: string;
  AttributeDefinitions: { AttributeName: string; AttributeType: ScalarAttributeType }[];
  KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  BillingMode?: 'PROVISIONED' | 'PAY_PER_REQUEST';
  ProvisionedThroughput?: { ReadCapacityUnits: number; WriteCapacityUnits: number };
  LocalSecondaryIndexes?: unknown[];
  GlobalSecondaryIndexes?: unknown[];
  Tags?: { Key: string; Value: string }[];
  DeletionProtectionEnabled?: boolean;
}

const invalid = (message: string) => new ValidationException(`One or more parameter values were invalid: ${message}`);

function checkCreateTable(request: CreateTableRequest): void {
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
  if (request.LocalSecondaryIndexes || request.GlobalSecondaryIndexes) {
    throw new ValidationException('Secondary indexes are not supported by this version of Triad');
  }
  if (request.KeySchema.length !== request.AttributeDefinitions.length) {
    throw invalid('Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions');
  }
}

export const createTable: Operation = async (raw, context) => {
  const request = checkRequest<CreateTableRequest>(raw, schema);
  checkCreateTable(request);
  if (request.Tags) checkTagContents(request.Tags);
  const typeOf = (name: string) => request.AttributeDefinitions.find((d) => d.AttributeName === name)!.AttributeType;
  const [hash, range] = request.KeySchema;
  const billingMode = request.BillingMode ?? 'PROVISIONED';
  const def: TableDefinition = {
    tableName: request.TableName,
    tableId: randomBytes(8).toString('hex'),
    keySchema: {
      partitionKey: { name: hash.AttributeName, type: typeOf(hash.AttributeName) },
      ...(range ? { sortKey: { name: range.AttributeName, type: typeOf(range.AttributeName) } } : {}),
    },
    attributeDefinitions: request.AttributeDefinitions.map((d) => ({ AttributeName: d.AttributeName, AttributeType: d.AttributeType })),
    billingMode,
    readCapacityUnits: request.ProvisionedThroughput?.ReadCapacityUnits ?? 0,
    writeCapacityUnits: request.ProvisionedThroughput?.WriteCapacityUnits ?? 0,
    creationDateTime: Date.now() / 1000,
    // Placement is static, so a table can take writes as soon as its definition is stored.
    tableStatus: 'ACTIVE',
    ...(request.Tags?.length ? { tags: mergeTags([], request.Tags) } : {}),
    ...(request.DeletionProtectionEnabled ? { deletionProtectionEnabled: true } : {}),
  };
  await context.catalog.create(def);
  context.log.info('table created', { table: def.tableName, tableId: def.tableId });
  return { TableDescription: describeTable(def, context.region, context.accountId, 'CREATING') };
};
