import { partitionOfKey } from '@triad/ring';
import { EMPTY_DIGEST, MERKLE_DEPTH_DEFAULT, MerkleRecord, MerkleTree, bucketOf } from '../src';
import { prng } from './prng';

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const rec = (key: string, term: number, seq: number, tombstone = false): MerkleRecord => ({ key: utf8(key), version: { term, seq }, tombstone });

describe('bucketOf', () => {
  it('maps keys into [0, 2^depth) and spreads them evenly', () => {
    const rng = prng(1);
    const counts = new Array<number>(1024).fill(0);
    for (let i = 0; i < 102400; i++) counts[bucketOf(rng.bytes(4 + rng.int(30)))]++;
    // 100 keys per bucket on average: a uniform hash stays well within ±50.
    expect(Math.min(...counts)).toBeGreaterThan(50);
    expect(Math.max(...counts)).toBeLessThan(150);
    expect(bucketOf(utf8('k'), 0)).toBe(0);
    for (let depth = 1; depth <= 16; depth++) {
      const b = bucketOf(utf8('some key'), depth);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(2 ** depth);
      // The top bits: a bucket at depth d is the parent of the bucket at depth d + 1.
      if (depth < 16) expect(bucketOf(utf8('some key'), depth + 1) >>> 1).toBe(b);
    }
  });

  it('defaults to depth 10 and rejects bad depths', () => {
    expect(MERKLE_DEPTH_DEFAULT).toBe(10);
    expect(bucketOf(utf8('x'))).toBe(bucketOf(utf8('x'), 10));
    expect(() => bucketOf(utf8('x'), 17)).toThrow(/depth/);
    expect(() => new MerkleTree(-1)).toThrow(/depth/);
  });

  it('spreads the keys of one partition over all buckets (independent of the partition hash)', () => {
    const rng = prng(2);
    const buckets = new Set<number>();
    let inPartition = 0;
    for (let i = 0; i < 40000; i++) {
      const key = rng.bytes(8 + rng.int(8));
      if (partitionOfKey(key, 64) !== 5) continue;
      inPartition++;
      buckets.add(bucketOf(key));
    }
    expect(inPartition).toBeGreaterThan(500);
    // With the partition hash's top bits, all would fall into 1024 / 64 = 16 buckets.
    expect(buckets.size).toBeGreaterThan(0.6 * Math.min(inPartition, 1024));
  });
});

describe('MerkleTree', () => {
  it('is empty, with all-zero digests, until written', () => {
    const tree = new MerkleTree(4);
    expect(tree.root()).toBe(EMPTY_DIGEST);
    expect(tree.levelDigests(4)).toEqual(new Array(16).fill(EMPTY_DIGEST));
    tree.add(rec('a', 1, 1));
    expect(tree.root()).not.toBe(EMPTY_DIGEST);
    expect(tree.root()).toMatch(/^[0-9a-f]{32}$/);
    tree.remove(rec('a', 1, 1));
    expect(tree.root()).toBe(EMPTY_DIGEST);
  });

  it('tells versions, tombstones and keys apart', () => {
    const roots = [rec('a', 1, 1), rec('a', 1, 2), rec('a', 2, 1), rec('a', 1, 1, true), rec('b', 1, 1), rec('a\0', 1, 1)].map(
      (r) => MerkleTree.fromRecords([r], 0).root(),
    );
    expect(new Set(roots).size).toBe(roots.length);
    // Versions beyond 32 bits are hashed whole.
    expect(MerkleTree.fromRecords([rec('a', 2 ** 40, 1)], 0).root()).not.toBe(MerkleTree.fromRecords([rec('a', 0, 1)], 0).root());
  });

  it('update() replaces the previous version in O(1) and matches a rebuild', () => {
    const tree = new MerkleTree(6);
    tree.update(utf8('k1'), undefined, { version: { term: 1, seq: 1 }, tombstone: false });
    tree.update(utf8('k2'), undefined, { version: { term: 1, seq: 2 }, tombstone: false });
    tree.update(utf8('k1'), { version: { term: 1, seq: 1 }, tombstone: false }, { version: { term: 1, seq: 3 }, tombstone: true });
    expect(tree.root()).toBe(MerkleTree.fromRecords([rec('k1', 1, 3, true), rec('k2', 1, 2)], 6).root());
    // Purging the tombstone.
    tree.update(utf8('k1'), { version: { term: 1, seq: 3 }, tombstone: true }, undefined);
    expect(tree.root()).toBe(MerkleTree.fromRecords([rec('k2', 1, 2)], 6).root());
  });

  it('gives the same digests whatever the order of writes, with reads interleaved', () => {
    for (let seed = 0; seed < 50; seed++) {
      const rng = prng(seed);
      const depth = rng.pick([0, 1, 3, 5, 8]);
      const records: MerkleRecord[] = [];
      for (let i = 0; i < 100; i++) records.push({ key: rng.bytes(1 + rng.int(12)), version: { term: rng.int(3), seq: i }, tombstone: rng.chance(0.2) });
      const shuffled = [...records];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      const a = MerkleTree.fromRecords(records, depth);
      const b = new MerkleTree(depth);
      for (const r of shuffled) {
        b.add(r);
        // Reading recomputes part of the tree; later writes must dirty it again.
        if (rng.chance(0.3)) b.node(rng.int(depth + 1), 0);
        if (rng.chance(0.1)) b.root();
      }
      for (let level = 0; level <= depth; level++) expect(b.levelDigests(level)).toEqual(a.levelDigests(level));
    }
  });

  it('childrenDigests() returns the two children', () => {
    const tree = MerkleTree.fromRecords([rec('a', 1, 1), rec('b', 1, 2), rec('c', 1, 3)], 3);
    expect(tree.childrenDigests(1, 1)).toEqual([tree.node(2, 2), tree.node(2, 3)]);
    expect(() => tree.childrenDigests(3, 0)).toThrow(/leaf/);
    expect(() => tree.node(2, 4)).toThrow(/index/);
    expect(() => tree.node(4, 0)).toThrow(/level/);
  });

  it('serializes its leaves and comes back identical', () => {
    const tree = MerkleTree.fromRecords([rec('a', 1, 1), rec('b', 7, 2, true)], 5);
    const bytes = tree.serialize();
    expect(bytes.length).toBe(8 + 32 * 16);
    const back = MerkleTree.deserialize(bytes);
    expect(back.depth).toBe(5);
    expect(back.root()).toBe(tree.root());
    expect(back.levelDigests(3)).toEqual(tree.levelDigests(3));
    // A copy that does not share its buffer's start.
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(MerkleTree.deserialize(padded.subarray(3)).root()).toBe(tree.root());
    expect(() => MerkleTree.deserialize(bytes.subarray(0, 20))).toThrow(/bytes/);
    expect(() => MerkleTree.deserialize(new Uint8Array(8))).toThrow(/not a serialized/);
  });

  it('clone() is independent of the original', () => {
    const tree = MerkleTree.fromRecords([rec('a', 1, 1)], 4);
    const copy = tree.clone();
    tree.add(rec('b', 1, 2));
    expect(copy.root()).toBe(MerkleTree.fromRecords([rec('a', 1, 1)], 4).root());
    expect(copy.root()).not.toBe(tree.root());
  });

  it('rejects malformed versions', () => {
    const tree = new MerkleTree(2);
    expect(() => tree.add(rec('a', -1, 0))).toThrow(/version/);
    expect(() => tree.add(rec('a', 1, 0.5))).toThrow(/version/);
  });
});
