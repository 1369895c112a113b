import type { Item } from '@triad/model';

/**
 * The value stored for each item key, on every replica:
 *   [flags u8][term u32][seq f64][size u32][item JSON]
 * The version (term, seq) orders every change of a key; replicas, hints and repairs keep the
 * newer. A tombstone is a record without an item, kept so that a delete wins over older copies.
 */
export interface Version {
  term: number;
  seq: number;
}

export interface StoredRecord {
  version: Version;
  tombstone: boolean;
  /** The item's size as DynamoDB counts it (0 for a tombstone). */
  sizeBytes: number;
  /** The item's DynamoDB JSON, undecoded (empty for a tombstone). */
  itemJson: Buffer;
}

const HEADER_BYTES = 1 + 4 + 8 + 4;
const FLAG_TOMBSTONE = 1;

export function compareVersions(a: Version, b: Version): number {
  return a.term - b.term || a.seq - b.seq;
}

export function encodeRecord(version: Version, item: Item | undefined, sizeBytes: number): Buffer {
  const json = item ? Buffer.from(JSON.stringify(item)) : Buffer.alloc(0);
  const out = Buffer.allocUnsafe(HEADER_BYTES + json.length);
  out.writeUInt8(item ? 0 : FLAG_TOMBSTONE, 0);
  out.writeUInt32BE(version.term, 1);
  out.writeDoubleBE(version.seq, 5);
  out.writeUInt32BE(item ? sizeBytes : 0, 13);
  json.copy(out, HEADER_BYTES);
  return out;
}

export function decodeRecord(value: Buffer): StoredRecord {
  return {
    tombstone: (value.readUInt8(0) & FLAG_TOMBSTONE) !== 0,
    version: { term: value.readUInt32BE(1), seq: value.readDoubleBE(5) },
    sizeBytes: value.readUInt32BE(13),
    itemJson: value.subarray(HEADER_BYTES),
  };
}

/** A record's version and whether it is a tombstone, read from its header alone (what versions and Merkle trees need). */
export function recordStateOf(value: Buffer): { version: Version; tombstone: boolean } {
  return { tombstone: (value[0] & FLAG_TOMBSTONE) !== 0, version: { term: value.readUInt32BE(1), seq: value.readDoubleBE(5) } };
}

export function recordItem(record: StoredRecord): Item | undefined {
  return record.tombstone ? undefined : (JSON.parse(record.itemJson.toString('utf8')) as Item);
}
