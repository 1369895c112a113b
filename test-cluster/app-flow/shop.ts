/**
 * The small shop of the app-flow tests (see README.md): the table definition, the entities and the
 * scenario from table.json and shop.json, and what each step should find, derived from the entities.
 * Shared by the DocumentClient and AWS CLI tests; app_flow.py derives the same in Python.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** A plain JSON entity: strings, integers and maps only (as the three clients all write them). */
export type Entity = Record<string, any>;

export interface Scenario {
  pagedUser: string;
  pageSize: number;
  status: string;
  email: string;
  product: string;
  shipOrder: { userId: string; orderId: string; shippedAt: string };
  counter: { userId: string; adds: number; sets: number; setStep: number };
  newUser: Entity;
  deleteOrder: { userId: string; orderId: string };
  scanMinQuantity: number;
  scanPageSize: number;
}

export const TABLE_JSON_PATH = path.join(__dirname, 'table.json');
export const SHOP_JSON_PATH = path.join(__dirname, 'shop.json');

export const tableInput: CreateTableCommandInput = JSON.parse(fs.readFileSync(TABLE_JSON_PATH, 'utf8'));
export const TABLE = tableInput.TableName!;

const shop: { scenario: Scenario; entities: Entity[] } = JSON.parse(fs.readFileSync(SHOP_JSON_PATH, 'utf8'));
export const scenario = shop.scenario;
export const entities = shop.entities;

/** BatchWriteItem takes at most 25 requests. */
export const BATCH_WRITE_REQUESTS_MAX = 25;
/** Attributes GSI2 projects besides the keys (table.json). */
const GSI2_NON_KEY_ATTRIBUTES = ['name', 'quantity'];

export function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

const byString = (key: string) => (a: Entity, b: Entity) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0);

export function userProfile(userId: string): Entity {
  const found = entities.find((e) => e.type === 'USER' && e.userId === userId);
  if (!found) throw new Error(`shop.json has no user ${userId}`);
  return found;
}

export function order(orderId: string): Entity {
  const found = entities.find((e) => e.type === 'ORDER' && e.orderId === orderId);
  if (!found) throw new Error(`shop.json has no order ${orderId}`);
  return found;
}

/** A user's orders, newest first (SK descending), as the table's Query returns them. */
export function ordersNewestFirst(userId: string): Entity[] {
  return entities.filter((e) => e.type === 'ORDER' && e.userId === userId).sort(byString('SK')).reverse();
}

export function itemsOf(orderId: string): Entity[] {
  return entities.filter((e) => e.type === 'ITEM' && e.orderId === orderId).sort(byString('SK'));
}

/** Orders with a status, in GSI1's order (GSI1SK ascending), from the given entity list. */
export function ordersWithStatus(status: string, from: readonly Entity[] = entities): Entity[] {
  return from.filter((e) => e.GSI1PK === `STATUS#${status}`).sort(byString('GSI1SK'));
}

/** What GSI2 (INCLUDE name, quantity) holds of an entity: the table's and the index's keys, and those two. */
export function gsi2Projection(entity: Entity): Entity {
  const projected: Entity = {};
  for (const name of ['PK', 'SK', 'GSI2PK', 'GSI2SK', ...GSI2_NON_KEY_ATTRIBUTES]) {
    if (entity[name] !== undefined) projected[name] = entity[name];
  }
  return projected;
}

/** GSI2 entries under a partition key value, in GSI2SK order, projected. */
export function gsi2Entries(gsi2pk: string, from: readonly Entity[] = entities): Entity[] {
  return from.filter((e) => e.GSI2PK === gsi2pk).sort(byString('GSI2SK')).map(gsi2Projection);
}

/** Everything GSI2 holds, projected, sorted by GSI2PK then GSI2SK (a Scan of it comes in no set order). */
export function gsi2Contents(from: readonly Entity[] = entities): Entity[] {
  return from
    .filter((e) => e.GSI2PK !== undefined)
    .map(gsi2Projection)
    .sort((a, b) => (a.GSI2PK !== b.GSI2PK ? (a.GSI2PK < b.GSI2PK ? -1 : 1) : a.GSI2SK < b.GSI2SK ? -1 : a.GSI2SK > b.GSI2SK ? 1 : 0));
}

export function keyOf(entity: Entity): { PK: string; SK: string } {
  return { PK: entity.PK, SK: entity.SK };
}

/** The key attributes of a GSI1 LastEvaluatedKey for an entity: the table's key and the index's. */
export function gsi1KeyOf(entity: Entity): Entity {
  return { PK: entity.PK, SK: entity.SK, GSI1PK: entity.GSI1PK, GSI1SK: entity.GSI1SK };
}

/** The entities once the scenario's order has shipped (step 6), for GSI1 expectations. */
export function afterShipping(from: readonly Entity[] = entities): Entity[] {
  const { orderId, shippedAt } = scenario.shipOrder;
  return from.map((e) =>
    e.type === 'ORDER' && e.orderId === orderId ? { ...e, status: 'SHIPPED', GSI1PK: 'STATUS#SHIPPED', shippedAt } : e,
  );
}

/** Step 10's expectations: order items with quantity >= the minimum, and every item, left after steps 6-9. */
export function scanExpectations(): { count: number; scannedCount: number } {
  const deleted = scenario.deleteOrder.orderId;
  const left = [...entities, scenario.newUser].filter((e) => e.orderId !== deleted);
  return {
    count: left.filter((e) => e.SK.startsWith('ITEM#') && e.quantity >= scenario.scanMinQuantity).length,
    scannedCount: left.length,
  };
}
