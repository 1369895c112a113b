/** DynamoDB's approximate figures of a table (ItemCount, TableSizeBytes) or an index (ItemCount, IndexSizeBytes). */
export interface ApproximateSize {
  itemCount: number;
  sizeBytes: number;
}

/** What table descriptions read the figures from, by table or index id (16 hex digits). */
export interface SizeEstimates {
  /** The latest figures counted; zeros for an id not counted yet (a new table, as in DynamoDB). */
  sizeOf(id: string): ApproximateSize;
}

export const ZERO_SIZE: ApproximateSize = Object.freeze({ itemCount: 0, sizeBytes: 0 });

/** Zeros for every id: what CreateTable shows, and descriptions built without a cluster (tests). */
export const NO_SIZE_ESTIMATES: SizeEstimates = { sizeOf: () => ZERO_SIZE };
