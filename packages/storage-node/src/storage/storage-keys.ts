export { prefixEnd } from '@triad/model';

/**
 * RocksDB key layout. Item keys are [DATA_PREFIX][partition u16][item key], where the item key
 * (table id, encoded partition key, encoded sort key) comes from the router. Putting the partition
 * first makes a partition one contiguous range: Scan, repair and movement walk it in order.
 * Other prefixes (hints, Merkle state, metadata) get their own byte.
 */
export const DATA_PREFIX = 0x64; // 'd'

export function partitionPrefix(partition: number): Buffer {
  const out = Buffer.allocUnsafe(3);
  out.writeUInt8(DATA_PREFIX, 0);
  out.writeUInt16BE(partition, 1);
  return out;
}

export function dataKey(partition: number, itemKey: Uint8Array): Buffer {
  return Buffer.concat([partitionPrefix(partition), itemKey]);
}

/** The item key part of a data key. */
export function itemKeyOf(key: Buffer): Buffer {
  return key.subarray(3);
}
