import { DIGEST_LANES, bucketHash32, combineInto, digestToHex, recordDigestInto } from './hash';
import { MERKLE_DEPTH_DEFAULT, MERKLE_DEPTH_MAX } from './limits';
import { MerkleRecord, RecordState, assertVersion } from './version';

/** Anything that can answer "what are the digests of these nodes": a local tree or a remote peer. */
export interface DigestSource {
  /** Digests (32 hex digits) of the nodes `indices` at `level` (0 = root, depth = leaves), in order. */
  nodeDigests(level: number, indices: readonly number[]): string[];
}

export function assertDepth(depth: number): void {
  if (!Number.isInteger(depth) || depth < 0 || depth > MERKLE_DEPTH_MAX) {
    throw new Error(`Merkle depth must be an integer between 0 and ${MERKLE_DEPTH_MAX}, got ${depth}`);
  }
}

/**
 * The bucket (leaf) of a key: the top `depth` bits of its 32-bit bucket hash. The storage node
 * keeps a secondary index 'm' | partition | bucket | key → version, so one bucket's records are a
 * contiguous range it can scan without touching the rest of the partition.
 */
export function bucketOf(key: Uint8Array, depth: number = MERKLE_DEPTH_DEFAULT): number {
  assertDepth(depth);
  return depth === 0 ? 0 : bucketHash32(key) >>> (32 - depth);
}

const SERIAL_MAGIC = [0x54, 0x4d, 0x4b, 0x4c]; // "TMKL": Triad Merkle leaves
const SERIAL_FORMAT = 1;
const SERIAL_HEADER_BYTES = 8;

/**
 * A Merkle tree over one partition's records, for anti-entropy between its replicas.
 *
 * Leaves are buckets of keys by hash. A leaf's digest is the lane-wise sum (mod 2^32 per lane) of
 * the 128-bit digests H(key ‖ version ‖ tombstone) of the records in it: a multiset hash, so a
 * write adds the new version's digest and subtracts the old one's in O(1) without reading the
 * bucket, and the order in which replicas applied writes does not matter. Internal nodes hash their
 * two children; they are marked dirty on write and recomputed when read, so a write costs O(1)
 * (amortised: marking stops at the first ancestor already dirty) and a read costs the dirty paths.
 *
 * Level 0 is the root, level `depth` the leaves; node `index` at level l has children 2·index and
 * 2·index + 1 at level l + 1.
 */
export class MerkleTree implements DigestSource {
  readonly depth: number;
  readonly leafCount: number;
  /** leafCount × DIGEST_LANES lanes. */
  private readonly leaves: Uint32Array;
  /** inner[l] holds the 2^l nodes of level l < depth, DIGEST_LANES lanes each. */
  private readonly inner: Uint32Array[];
  /** dirty[l][i] = 1 when inner node i of level l needs recomputing. Invariant: a dirty node's ancestors are dirty. */
  private readonly dirty: Uint8Array[];
  private readonly scratch = new Uint32Array(DIGEST_LANES);

  constructor(depth: number = MERKLE_DEPTH_DEFAULT) {
    assertDepth(depth);
    this.depth = depth;
    this.leafCount = 2 ** depth;
    this.leaves = new Uint32Array(this.leafCount * DIGEST_LANES);
    this.inner = [];
    this.dirty = [];
    for (let l = 0; l < depth; l++) {
      this.inner.push(new Uint32Array(2 ** l * DIGEST_LANES));
      this.dirty.push(new Uint8Array(2 ** l));
    }
  }

  /** Rebuilds a tree from the records a replica holds (latest version per key, tombstones included). */
  static fromRecords(records: Iterable<MerkleRecord>, depth: number = MERKLE_DEPTH_DEFAULT): MerkleTree {
    const tree = new MerkleTree(depth);
    for (const r of records) tree.add(r);
    return tree;
  }

  bucketOf(key: Uint8Array): number {
    return bucketOf(key, this.depth);
  }

  /** Adds one record version to its bucket. */
  add(record: MerkleRecord): void {
    this.apply(record.key, record, 1);
  }

  /** Removes one record version from its bucket (it must have been added). */
  remove(record: MerkleRecord): void {
    this.apply(record.key, record, -1);
  }

  /**
   * Replaces what the replica held for `key` (`previous`, undefined if nothing) by `next`
   * (undefined when a tombstone is purged). Call it in the same write batch that changes the data,
   * so that the tree always describes the data.
   */
  update(key: Uint8Array, previous: RecordState | undefined, next: RecordState | undefined): void {
    if (previous !== undefined) this.apply(key, previous, -1);
    if (next !== undefined) this.apply(key, next, 1);
  }

  private apply(key: Uint8Array, state: RecordState, sign: 1 | -1): void {
    assertVersion(state.version);
    const d = recordDigestInto(key, state.version.term, state.version.seq, state.tombstone, this.scratch);
    const bucket = this.bucketOf(key);
    const at = bucket * DIGEST_LANES;
    for (let i = 0; i < DIGEST_LANES; i++) {
      this.leaves[at + i] = sign === 1 ? this.leaves[at + i] + d[i] : this.leaves[at + i] - d[i];
    }
    this.markDirty(bucket);
  }

  private markDirty(bucket: number): void {
    for (let l = this.depth - 1; l >= 0; l--) {
      const index = bucket >>> (this.depth - l);
      if (this.dirty[l][index] === 1) return;
      this.dirty[l][index] = 1;
    }
  }

  /** Makes node (level, index) clean, recomputing its dirty descendants first. */
  private refresh(level: number, index: number): void {
    if (level === this.depth || this.dirty[level][index] === 0) return;
    this.refresh(level + 1, 2 * index);
    this.refresh(level + 1, 2 * index + 1);
    const children = level + 1 === this.depth ? this.leaves : this.inner[level + 1];
    combineInto(children, 2 * index * DIGEST_LANES, (2 * index + 1) * DIGEST_LANES, this.inner[level], index * DIGEST_LANES);
    this.dirty[level][index] = 0;
  }

  private assertNode(level: number, index: number): void {
    if (!Number.isInteger(level) || level < 0 || level > this.depth) {
      throw new Error(`level must be between 0 and ${this.depth}, got ${level}`);
    }
    if (!Number.isInteger(index) || index < 0 || index >= 2 ** level) {
      throw new Error(`index at level ${level} must be between 0 and ${2 ** level - 1}, got ${index}`);
    }
  }

  /** The digest of node `index` at `level` (0 = root, depth = leaves), as 32 hex digits. */
  node(level: number, index: number): string {
    this.assertNode(level, index);
    if (level === this.depth) return digestToHex(this.leaves, index * DIGEST_LANES);
    this.refresh(level, index);
    return digestToHex(this.inner[level], index * DIGEST_LANES);
  }

  root(): string {
    return this.node(0, 0);
  }

  /** The digest of one bucket. */
  leaf(bucket: number): string {
    return this.node(this.depth, bucket);
  }

  /** The two children's digests of an inner node. */
  childrenDigests(level: number, index: number): string[] {
    this.assertNode(level, index);
    if (level === this.depth) throw new Error('a leaf has no children');
    return [this.node(level + 1, 2 * index), this.node(level + 1, 2 * index + 1)];
  }

  nodeDigests(level: number, indices: readonly number[]): string[] {
    return indices.map((i) => this.node(level, i));
  }

  /** Every digest of one level, left to right: a snapshot for debugging or bulk exchange. */
  levelDigests(level: number): string[] {
    this.assertNode(level, 0);
    const out: string[] = [];
    for (let i = 0; i < 2 ** level; i++) out.push(this.node(level, i));
    return out;
  }

  /** An independent copy: compare against it while this tree keeps taking writes. */
  clone(): MerkleTree {
    const copy = new MerkleTree(this.depth);
    copy.leaves.set(this.leaves);
    for (let l = 0; l < this.depth; l++) {
      copy.inner[l].set(this.inner[l]);
      copy.dirty[l].set(this.dirty[l]);
    }
    return copy;
  }

  /**
   * The leaves as bytes (inner nodes are derived): an 8-byte header ("TMKL", format, depth) then
   * each leaf's four lanes little-endian. For persisting a tree instead of rebuilding it.
   */
  serialize(): Uint8Array {
    const bytes = new Uint8Array(SERIAL_HEADER_BYTES + this.leaves.length * 4);
    const view = new DataView(bytes.buffer);
    SERIAL_MAGIC.forEach((b, i) => (bytes[i] = b));
    bytes[4] = SERIAL_FORMAT;
    bytes[5] = this.depth;
    for (let i = 0; i < this.leaves.length; i++) view.setUint32(SERIAL_HEADER_BYTES + 4 * i, this.leaves[i], true);
    return bytes;
  }

  static deserialize(bytes: Uint8Array): MerkleTree {
    if (bytes.length < SERIAL_HEADER_BYTES || SERIAL_MAGIC.some((b, i) => bytes[i] !== b)) {
      throw new Error('not a serialized Merkle tree');
    }
    if (bytes[4] !== SERIAL_FORMAT) throw new Error(`unknown Merkle tree format ${bytes[4]}`);
    const tree = new MerkleTree(bytes[5]);
    if (bytes.length !== SERIAL_HEADER_BYTES + tree.leaves.length * 4) {
      throw new Error(`serialized Merkle tree of depth ${tree.depth} must be ${SERIAL_HEADER_BYTES + tree.leaves.length * 4} bytes, got ${bytes.length}`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < tree.leaves.length; i++) tree.leaves[i] = view.getUint32(SERIAL_HEADER_BYTES + 4 * i, true);
    for (const d of tree.dirty) d.fill(1);
    return tree;
  }
}
