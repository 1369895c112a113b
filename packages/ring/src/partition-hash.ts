import { PARTITION_COUNT_MAX } from './limits';

/** FNV-1a over the bytes, then murmur3's finaliser so that nearby keys scatter over all bits. */
export function hash32(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function assertPartitionCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > PARTITION_COUNT_MAX || (count & (count - 1)) !== 0) {
    throw new Error(`partition count must be a power of two between 1 and ${PARTITION_COUNT_MAX}, got ${count}`);
  }
}

/** The partition of an encoded partition key: the top bits of its hash. */
export function partitionOfKey(encodedPartitionKey: Uint8Array, partitionCount: number): number {
  const bits = Math.log2(partitionCount);
  return bits === 0 ? 0 : hash32(encodedPartitionKey) >>> (32 - bits);
}
