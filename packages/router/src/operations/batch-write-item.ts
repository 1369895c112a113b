import {
  BATCH_WRITE_ITEMS_MAX,
  DynamoDbError,
  ITEM_SIZE_BYTES_MAX,
  ValidationException,
  attributeType,
  encodeKeyValue,
  itemSizeBytes,
  type AttributeValue,
  type Item,
} from '@triad/model';
import { checkItem, checkKey, locate, type ItemLocation } from '../item-keys';
import { checkRequest, type Schema } from '../validation/request-schema';
import * as f from '../validation/common-fields';
import { consumedCapacity, indexCapacity, writeUnits } from './consumed-capacity';
import { itemCollectionMetrics } from './write-response';
import type { Operation } from './operation';
import type { OperationContext } from './operation-context';
import { runItemWrite } from './run-item-op';
import { writeTarget, type WriteTarget } from '../catalog/secondary-indexes';
import type { TableDefinition } from '../catalog/table-definition';
import { itemNames, itemRequest, resourceArn } from '../authorization';

// ---------------------------------------------------------------------------------------------
// Helpers shared by BatchWriteItem and BatchGetItem (pure, tested in test/batch-helpers.test.ts).

export const DUPLICATE_KEYS = 'Provided list of item keys contains duplicates';

const TABLE_NAME_PATTERN = '[a-zA-Z0-9_.-]+';
const TABLE_NAME_KEY_CONSTRAINT =
  `Map keys must satisfy constraint: [Member must have length less than or equal to 255, ` +
  `Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: ${TABLE_NAME_PATTERN}]`;
const WRITE_REQUEST_CLASS = 'com.amazonaws.dynamodb.v20120810.WriteRequest';
const WRITE_LIST_CONSTRAINT =
  `Map value must satisfy constraint: [Member must have length less than or equal to ${BATCH_WRITE_ITEMS_MAX}, ` +
  'Member must have length greater than or equal to 1]';

function isTableName(name: string): boolean {
  return name.length >= 3 && name.length <= 255 && new RegExp(`^${TABLE_NAME_PATTERN}$`).test(name);
}

/** Java's String.hashCode, as 8 hex digits: DynamoDB shows list members as `Class@hash`. */
function javaHash(text: string): string {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return (hash >>> 0).toString(16);
}

/** A RequestItems map of write lists as DynamoDB prints it in a constraint message (Java's Map.toString). */
export function formatWriteRequestItems(requestItems: Record<string, unknown>): string {
  const entries = Object.entries(requestItems).map(([table, requests]) => {
    const list = Array.isArray(requests) ? requests.map((r) => `${WRITE_REQUEST_CLASS}@${javaHash(JSON.stringify(r))}`) : [];
    return `${table}=[${list.join(', ')}]`;
  });
  return `{${entries.join(', ')}}`;
}

/**
 * The constraints on RequestItems' map keys (table names) and, for BatchWriteItem, on its values
 * (1-25 requests per table), which DynamoDB reports at 'requestItems' before the members' own.
 */
export function requestItemsMapViolations(requestItems: unknown, writeLists: boolean): string[] {
  if (requestItems === null || typeof requestItems !== 'object' || Array.isArray(requestItems)) return [];
  const map = requestItems as Record<string, unknown>;
  const shown = writeLists ? formatWriteRequestItems(map) : JSON.stringify(map);
  const violation = (constraint: string) => `Value '${shown}' at 'requestItems' failed to satisfy constraint: ${constraint}`;
  const violations: string[] = [];
  for (const table of Object.keys(map)) {
    if (!isTableName(table)) violations.push(violation(TABLE_NAME_KEY_CONSTRAINT));
  }
  if (writeLists) {
    for (const requests of Object.values(map)) {
      if (Array.isArray(requests) && (requests.length < 1 || requests.length > BATCH_WRITE_ITEMS_MAX)) {
        violations.push(violation(WRITE_LIST_CONSTRAINT));
      }
    }
  }
  return violations;
}

const VIOLATIONS_REPORTED_MAX = 10;
const VIOLATIONS_PREFIX = /^(\d+) validation errors? detected: /;

/** Joins violations into DynamoDB's "N validation error(s) detected: ..." message. */
export function violationsMessage(violations: string[]): string {
  const shown = violations.slice(0, VIOLATIONS_REPORTED_MAX);
  return `${shown.length} validation error${shown.length > 1 ? 's' : ''} detected: ${shown.join('; ')}`;
}

/**
 * checkRequest, plus violations it cannot express (map key/value constraints), which come first:
 * they are RequestItems' own and RequestItems is the first member.
 */
export function checkRequestWith<T>(raw: Record<string, unknown>, schema: Schema, extra: () => string[]): T {
  let typed: T | undefined;
  let others: string[] = [];
  try {
    typed = checkRequest<T>(raw, schema);
  } catch (error) {
    if (!(error instanceof ValidationException)) throw error;
    const match = VIOLATIONS_PREFIX.exec(error.message);
    if (!match) throw error;
    others = error.message.slice(match[0].length).split(/; (?=Value )/);
  }
  const violations = [...extra(), ...others];
  if (violations.length > 0) throw new ValidationException(violationsMessage(violations));
  return typed as T;
}

/** An order-independent signature of a key (attribute names and normalised values), to find duplicates. */
export function keySignature(key: Item): string {
  return Object.keys(key)
    .sort()
    .map((name) => {
      const value: AttributeValue = key[name];
      const type = attributeType(value);
      const encoded = type === 'S' || type === 'N' || type === 'B' ? encodeKeyValue(type, value).toString('hex') : JSON.stringify(value);
      return `${JSON.stringify(name)}:${type}:${encoded}`;
    })
    .join(',');
}

/** Index of the first element whose signature appeared before, or -1. */
export function firstDuplicate<T>(values: readonly T[], signature: (value: T) => string): number {
  const seen = new Set<string>();
  for (let i = 0; i < values.length; i++) {
    const s = signature(values[i]);
    if (seen.has(s)) return i;
    seen.add(s);
  }
  return -1;
}

/** Whether a failure leaves the request for the client to retry (it goes back as unprocessed). */
export function isRetriable(error: unknown): error is DynamoDbError {
  return error instanceof DynamoDbError && error.retriable;
}

/** What a batch consumed in one table: its own units and its indexes'. */
interface TableUnits {
  def: TableDefinition;
  units: number;
  indexUnits: Record<string, number>;
}

/** Per-table ConsumedCapacity entries of a batch response, in request order; undefined when not asked for. */
export function batchConsumedCapacity(mode: unknown, unitsByTable: Map<string, number | TableUnits>): Record<string, unknown>[] | undefined {
  if (mode !== 'TOTAL' && mode !== 'INDEXES') return undefined;
  return [...unitsByTable].map(([table, used]) =>
    typeof used === 'number' ? consumedCapacity(mode, table, used)! : consumedCapacity(mode, table, used.units, indexCapacity(used.def, used.indexUnits))!,
  );
}

// ---------------------------------------------------------------------------------------------
// BatchWriteItem

export const schema: Schema = {
  RequestItems: {
    type: {
      map: {
        type: {
          list: {
            type: {
              className: 'WriteRequest',
              struct: {
                PutRequest: { type: { className: 'PutRequest', struct: { Item: f.ITEM } } },
                DeleteRequest: { type: { className: 'DeleteRequest', struct: { Key: f.KEY } } },
              },
            },
          },
        },
      },
      valueClass: `java.util.List<${WRITE_REQUEST_CLASS}>`,
    },
    notNull: true,
    lengthMin: 1,
  },
  ReturnConsumedCapacity: f.RETURN_CONSUMED_CAPACITY,
  ReturnItemCollectionMetrics: f.RETURN_ITEM_COLLECTION_METRICS,
};

export interface WriteRequest {
  PutRequest?: { Item: Item };
  DeleteRequest?: { Key: Item };
}

interface BatchWriteItemRequest {
  RequestItems: Record<string, WriteRequest[]>;
  ReturnConsumedCapacity?: string;
  ReturnItemCollectionMetrics?: string;
}

interface PlannedWrite {
  table: string;
  target: WriteTarget;
  request: WriteRequest;
  location: ItemLocation;
}

/** Checks the requests that need no table definition (DynamoDB's checks before it looks tables up). */
function checkWriteRequests(requestItems: Record<string, WriteRequest[]>): void {
  let total = 0;
  for (const requests of Object.values(requestItems)) total += requests.length;
  if (total > BATCH_WRITE_ITEMS_MAX) throw new ValidationException('Too many items requested for the BatchWriteItem call');
  for (const requests of Object.values(requestItems)) {
    for (const request of requests) {
      // A WriteRequest is a union: exactly one member.
      if ((request.PutRequest === undefined) === (request.DeleteRequest === undefined)) {
        throw new ValidationException(
          'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
        );
      }
      if (request.PutRequest && itemSizeBytes(request.PutRequest.Item) > ITEM_SIZE_BYTES_MAX) {
        throw new ValidationException('Item size has exceeded the maximum allowed size');
      }
    }
  }
}

/** Key checks against the table, and where each write goes. */
function planTable(context: OperationContext, target: WriteTarget, table: string, requests: WriteRequest[]): PlannedWrite[] {
  const { def } = target;
  const planned = requests.map((request): PlannedWrite => {
    if (request.PutRequest) {
      try {
        checkItem(target, request.PutRequest.Item);
      } catch (error) {
        // BatchWriteItem words a missing or mistyped key as a key that does not match the schema.
        if (error instanceof ValidationException && /Missing the key|Type mismatch for key/.test(error.message)) {
          throw new ValidationException('The provided key element does not match the schema');
        }
        throw error;
      }
      return { table, target, request, location: locate(context.storage, def, request.PutRequest.Item) };
    }
    const key = request.DeleteRequest!.Key;
    checkKey(def.keySchema, key);
    return { table, target, request, location: locate(context.storage, def, key) };
  });
  if (firstDuplicate(planned, (p) => p.location.key.toString('hex')) >= 0) throw new ValidationException(DUPLICATE_KEYS);
  return planned;
}

export const batchWriteItem: Operation = async (raw, context) => {
  const request = checkRequestWith<BatchWriteItemRequest>(raw, schema, () => requestItemsMapViolations(raw.RequestItems, true));
  checkWriteRequests(request.RequestItems);

  // Every table must exist and every key be valid before anything is written.
  const planned: PlannedWrite[] = [];
  const unitsByTable = new Map<string, TableUnits>();
  for (const [table, requests] of Object.entries(request.RequestItems)) {
    const def = await context.catalog.require(table);
    const tablePlan = planTable(context, writeTarget(def), table, requests);
    const resource = resourceArn(context, def.tableName);
    context.caller.authorize(
      tablePlan.map(({ request: write }) => {
        const written = write.PutRequest ? write.PutRequest.Item : write.DeleteRequest!.Key;
        return itemRequest('BatchWriteItem', resource, {
          leadingKey: written[def.keySchema.partitionKey.name],
          attributes: itemNames(written),
          returnConsumedCapacity: request.ReturnConsumedCapacity,
        });
      }),
    );
    planned.push(...tablePlan);
    unitsByTable.set(table, { def, units: 0, indexUnits: {} });
  }

  // Each write is an independent PutItem / DeleteItem at its partition's leader.
  const outcomes = await Promise.all(
    planned.map(async (write) => {
      try {
        const result = write.request.PutRequest
          ? await runItemWrite(context, write.target, write.location, 'OP_KIND_PUT', { item: write.request.PutRequest.Item })
          : await runItemWrite(context, write.target, write.location, 'OP_KIND_DELETE', {});
        return { units: writeUnits(result.sizeBytes ?? 0), indexUnits: result.indexUnits ?? {}, collectionBytes: result.collectionBytes };
      } catch (error) {
        return { error };
      }
    }),
  );

  const unprocessed: Record<string, WriteRequest[]> = {};
  const collectionMetrics: Record<string, Record<string, unknown>[]> = {};
  let firstRetriable: DynamoDbError | undefined;
  for (let i = 0; i < planned.length; i++) {
    const outcome = outcomes[i];
    if ('error' in outcome) {
      if (!isRetriable(outcome.error)) throw outcome.error;
      firstRetriable ??= outcome.error;
      (unprocessed[planned[i].table] ??= []).push(planned[i].request);
    } else {
      const used = unitsByTable.get(planned[i].table)!;
      used.units += outcome.units;
      for (const [index, units] of Object.entries(outcome.indexUnits)) used.indexUnits[index] = (used.indexUnits[index] ?? 0) + units;
      const metrics = itemCollectionMetrics(request.ReturnItemCollectionMetrics, planned[i].target.def, planned[i].location.keyItem, outcome.collectionBytes);
      if (metrics) (collectionMetrics[planned[i].table] ??= []).push(metrics);
    }
  }
  // As DynamoDB: when no request at all could be processed, the batch fails with the error.
  if (firstRetriable && outcomes.every((outcome) => 'error' in outcome)) throw firstRetriable;

  const response: Record<string, unknown> = { UnprocessedItems: unprocessed };
  const capacity = batchConsumedCapacity(request.ReturnConsumedCapacity, unitsByTable);
  if (capacity) response.ConsumedCapacity = capacity;
  if (request.ReturnItemCollectionMetrics === 'SIZE' && Object.keys(collectionMetrics).length > 0) response.ItemCollectionMetrics = collectionMetrics;
  return response;
};
