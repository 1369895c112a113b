import { getOwn, setOwn } from '@triad/model';
import {
  BATCH_GET_KEYS_MAX,
  BATCH_REQUEST_BYTES_MAX,
  ValidationException,
  assertAllUsed,
  itemSizeBytes,
  parseProjection,
  projectItem,
  type DynamoDbError,
  type Item,
} from '@triad/model';
import { decodeJson } from '@triad/rpc';
import { checkKey, locate } from '../item-keys';
import type { Schema } from '../validation/request-schema';
import * as f from '../validation/common-fields';
import { expressionContext } from '../validation/expression-params';
import {
  DUPLICATE_KEYS,
  batchConsumedCapacity,
  checkRequestWith,
  firstDuplicate,
  isRetriable,
  keySignature,
  requestItemsMapViolations,
} from './batch-write-item';
import { readUnits } from './consumed-capacity';
import type { Operation } from './operation';
import { readItemConsistent } from './run-item-op';
import { itemRequest, pointReadSelect, resourceArn, topLevelNames } from '../authorization';

export const schema: Schema = {
  RequestItems: {
    type: {
      map: {
        type: {
          className: 'KeysAndAttributes',
          struct: {
            Keys: { type: { list: { type: { map: { type: 'AttributeValue' } } } }, notNull: true, lengthMin: 1, lengthMax: BATCH_GET_KEYS_MAX },
            AttributesToGet: { type: { list: { type: 'String' } }, lengthMin: 1, lengthMax: 255 },
            ConsistentRead: f.CONSISTENT_READ,
            ProjectionExpression: f.EXPRESSION,
            ExpressionAttributeNames: f.EXPRESSION_ATTRIBUTE_NAMES,
          },
        },
      },
    },
    notNull: true,
    lengthMin: 1,
  },
  ReturnConsumedCapacity: f.RETURN_CONSUMED_CAPACITY,
};

/** DynamoDB's KeysAndAttributes: one table's part of the request, and of UnprocessedKeys. */
export interface KeysAndAttributes {
  Keys: Item[];
  AttributesToGet?: string[];
  ConsistentRead?: boolean;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
}

interface BatchGetItemRequest {
  RequestItems: Record<string, KeysAndAttributes>;
  ReturnConsumedCapacity?: string;
}

/** KeysAndAttributes for the given keys, with the table's other parameters, as UnprocessedKeys shows them. */
function withKeys(request: KeysAndAttributes, keys: Item[]): KeysAndAttributes {
  return { ...request, Keys: keys };
}

/** An item limited to the top-level attributes of the legacy AttributesToGet. */
function pickAttributes(item: Item, names: string[]): Item {
  const out: Item = {};
  for (const name of names) if (Object.prototype.hasOwnProperty.call(item, name)) setOwn(out, name, item[name]);
  return out;
}

/** One table's read plan: its checked parameters and how to shape each item. */
interface TablePlan {
  table: string;
  request: KeysAndAttributes;
  shape: (item: Item) => Item;
  /** The top-level attributes the table's part asks for (undefined: whole items). */
  projectedNames?: string[];
}

function planTables(requestItems: Record<string, KeysAndAttributes>): TablePlan[] {
  let keyCount = 0;
  return Object.entries(requestItems).map(([table, request]) => {
    const expressions = expressionContext(request as unknown as Record<string, unknown>, ['ProjectionExpression'], ['AttributesToGet']);
    const attributes = request.AttributesToGet;
    if (attributes) {
      const duplicate = firstDuplicate(attributes, (name) => name);
      if (duplicate >= 0) {
        throw new ValidationException(`One or more parameter values were invalid: Duplicate value in attribute name: ${attributes[duplicate]}`);
      }
    }
    const projection = request.ProjectionExpression !== undefined ? parseProjection(request.ProjectionExpression, expressions) : undefined;
    assertAllUsed(expressions);
    const seen = new Set<string>();
    for (const key of request.Keys) {
      const signature = keySignature(key);
      if (seen.has(signature)) throw new ValidationException(DUPLICATE_KEYS);
      seen.add(signature);
      if (++keyCount > BATCH_GET_KEYS_MAX) throw new ValidationException('Too many items requested for the BatchGetItem call');
    }
    const shape = projection ? (item: Item) => projectItem(item, projection) : attributes ? (item: Item) => pickAttributes(item, attributes) : (item: Item) => item;
    const projectedNames = projection ? topLevelNames(projection) : attributes;
    return { table, request, shape, projectedNames };
  });
}

type ReadOutcome = { item: Item | undefined } | { error: DynamoDbError };

export const batchGetItem: Operation = async (raw, context) => {
  const request = checkRequestWith<BatchGetItemRequest>(raw, schema, () => requestItemsMapViolations(raw.RequestItems, false));
  const plans = planTables(request.RequestItems);

  // Every table must exist and every key match its schema before anything is read.
  const reads: { plan: TablePlan; key: Item; run: () => Promise<Item | undefined> }[] = [];
  for (const plan of plans) {
    const def = await context.catalog.require(plan.table);
    const consistent = plan.request.ConsistentRead === true;
    const resource = resourceArn(context, def.tableName);
    for (const key of plan.request.Keys) {
      checkKey(def.keySchema, key);
      context.caller.authorize([
        itemRequest('BatchGetItem', resource, {
          leadingKey: key[def.keySchema.partitionKey.name],
          attributes: plan.projectedNames,
          select: pointReadSelect(plan.projectedNames !== undefined),
          returnConsumedCapacity: request.ReturnConsumedCapacity,
        }),
      ]);
      const location = locate(context.storage, def, key);
      const run = consistent
        ? () => readItemConsistent(context, location)
        : async () => decodeJson<Item>(await context.storage.readEventual(location.partition, location.key));
      reads.push({ plan, key, run });
    }
  }

  const outcomes = await Promise.all(
    reads.map(async (read): Promise<ReadOutcome> => {
      try {
        return { item: await read.run() };
      } catch (error) {
        if (isRetriable(error)) return { error };
        throw error;
      }
    }),
  );
  // As DynamoDB: when no key at all could be read, the batch fails with the error.
  const failures = outcomes.filter((outcome): outcome is { error: DynamoDbError } => 'error' in outcome);
  if (failures.length > 0 && failures.length === outcomes.length) throw failures[0].error;

  const responses: Record<string, Item[]> = {};
  const unprocessedKeys: Record<string, Item[]> = {};
  const unitsByTable = new Map<string, number>();
  for (const plan of plans) {
    setOwn(responses, plan.table, []);
    unitsByTable.set(plan.table, 0);
  }
  let responseBytes = 0;
  let full = false;
  reads.forEach((read, i) => {
    const { table } = read.plan;
    const outcome = outcomes[i];
    if (full || 'error' in outcome) {
      (unprocessedKeys[table] ??= []).push(read.key);
      return;
    }
    const stored = outcome.item;
    if (stored) {
      const item = read.plan.shape(stored);
      const bytes = itemSizeBytes(item);
      // The response holds at most 16 MB of items: the rest of the keys come back unprocessed.
      if (responseBytes + bytes > BATCH_REQUEST_BYTES_MAX) {
        full = true;
        (unprocessedKeys[table] ??= []).push(read.key);
        return;
      }
      responseBytes += bytes;
      responses[table].push(item);
    }
    const units = readUnits(stored ? itemSizeBytes(stored) : 0, read.plan.request.ConsistentRead === true);
    unitsByTable.set(table, unitsByTable.get(table)! + units);
  });

  const unprocessed: Record<string, KeysAndAttributes> = {};
  for (const plan of plans) {
    const keys = unprocessedKeys[plan.table];
    if (keys) setOwn(unprocessed, plan.table, withKeys(plan.request, keys));
  }
  const response: Record<string, unknown> = { Responses: responses, UnprocessedKeys: unprocessed };
  const capacity = batchConsumedCapacity(request.ReturnConsumedCapacity, unitsByTable);
  if (capacity) response.ConsumedCapacity = capacity;
  return response;
};
