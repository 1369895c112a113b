import { DynamoDbError, type Item } from '@triad/model';
import { FENCE_PREFIX, FENCE_VERSION_ATTRIBUTE, STALE_INDEX_LIST, type OpKind } from '@triad/rpc';

/**
 * Index fences: "writes of this table, in this partition, must carry schema version ≥ v".
 *
 * Every write carries the index list its router took from the catalog, and the leader maintains
 * exactly those indexes. When an index is added or removed, the table's schema version goes up
 * and the index builder writes a fence record into every data partition (through its leader, like
 * an item, so it is replicated, hinted, repaired and moved with the partition's data and every
 * later leader of the partition has it). From then on the leader refuses a write with an older
 * version, so no write made with an old index list lands after the fence; the backfill, which
 * starts once every partition holds the fence, covers everything before it.
 *
 * Fence records are keyed [FENCE_PREFIX][table id] inside each partition and hold one attribute,
 * the version (rpc/index-fence-contract.ts).
 *
 * Pure: keys, the record's item, and the admission decision.
 */
export { FENCE_PREFIX };
/** Table ids (and so the first bytes of every item key) are 8 bytes. */
export const TABLE_ID_BYTES = 8;

/**
 * Item operations that write index entries from an index list: the ones a fence applies to.
 * REINDEX too (a backfill's or the reconciler's), so that one sent from a definition older than a
 * drop cannot bring entries of the dropped index back.
 */
const FENCED_KINDS: ReadonlySet<OpKind> = new Set<OpKind>(['OP_KIND_PUT', 'OP_KIND_UPDATE', 'OP_KIND_DELETE', 'OP_KIND_REINDEX']);

/** The fence record's item key for a table (its 8-byte id). */
export function fenceKeyOf(tableId: Uint8Array): Buffer {
  if (tableId.length !== TABLE_ID_BYTES) throw new Error(`assertion: a table id has ${TABLE_ID_BYTES} bytes, got ${tableId.length}`);
  return Buffer.concat([FENCE_PREFIX, tableId]);
}

/** Whether an item key is a fence record's. */
export function isFenceKey(itemKey: Uint8Array): boolean {
  return itemKey.length === FENCE_PREFIX.length + TABLE_ID_BYTES && Buffer.from(itemKey.buffer, itemKey.byteOffset, FENCE_PREFIX.length).equals(FENCE_PREFIX);
}

/** The table id a fence key or an item key starts with. */
export function tableIdOf(itemKey: Uint8Array, fence: boolean): Buffer {
  const start = fence ? FENCE_PREFIX.length : 0;
  return Buffer.from(itemKey.buffer, itemKey.byteOffset + start, TABLE_ID_BYTES);
}

/** The version a fence record's item holds (0 for none: no fence). */
export function fenceVersionOf(item: Item | undefined): number {
  const value = item?.[FENCE_VERSION_ATTRIBUTE] as { N?: string } | undefined;
  const version = value?.N !== undefined ? Number(value.N) : 0;
  return Number.isFinite(version) ? version : 0;
}

/** A fence record's item: the version it holds. */
export function fenceItemOf(version: number): Item {
  return { [FENCE_VERSION_ATTRIBUTE]: { N: String(version) } };
}

/** Whether the fence applies to an operation of this kind. */
export function isFenced(kind: OpKind): boolean {
  return FENCED_KINDS.has(kind);
}

/** The refusal of a write carrying schema version `carried` where the fence requires `required`, or undefined to admit it. */
export function fenceRefusal(kind: OpKind, carried: number | undefined, required: number): string | undefined {
  if (!isFenced(kind) || (carried ?? 0) >= required) return undefined;
  return `the write carries the index list of schema version ${carried ?? 0}; the table's indexes changed at version ${required}`;
}

/**
 * The fence a leader must hold after admitting an operation that carries schema version `carried`
 * where the fence is `required`: a write made with a newer index list than the fence raises it to
 * that list's version (see IndexFences.decide: from then on an older list could undo what this
 * write did to the new index). Undefined when the fence stays as it is.
 */
export function fenceRaisedBy(kind: OpKind, carried: number | undefined, required: number): number | undefined {
  return isFenced(kind) && (carried ?? 0) > required ? carried : undefined;
}

/**
 * A leader's answer to a write made with an old index list. Internal to Triad: it travels as
 * OpResult.error_name STALE_INDEX_LIST, on which the router refreshes its catalog and writes again;
 * a client never sees it.
 */
export class StaleIndexListError extends DynamoDbError {
  override readonly name = STALE_INDEX_LIST;
  readonly namespace = 'triad.internal';
  override readonly statusCode = 503;
  override readonly retriable = true;
}
