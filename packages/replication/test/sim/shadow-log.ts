/**
 * The simulator's mirror of one node's in-memory log for one partition, rebuilt from the
 * `logWrites` the node hands out (every change to its log goes through them). Each position
 * carries a hash of the whole log up to it, so that Raft's log matching ("same index and term,
 * same prefix") and "applied sequences are prefixes of one another" are single comparisons.
 */
import type { LogEntry } from '../../src';

/** What an entry contributes to the prefix hash: its payload's id, a promotion's node, or a no-op. */
export interface EntryContent {
  term: number;
  index: number;
  code: number;
}

export function contentOf(entry: LogEntry<{ id: number }>, nodeCode: (id: string) => number): EntryContent {
  const code = entry.payload !== undefined ? entry.payload.id : entry.promote ? -1 - nodeCode(entry.promote.node) : 0;
  return { term: entry.term, index: entry.index, code };
}

function mix(h: number, x: number): number {
  h = Math.imul(h ^ (x | 0), 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca77);
  h ^= h >>> 13;
  return h >>> 0;
}

/**
 * The hash of a log prefix extended by one entry: two independent 32-bit mixes folded into 53
 * bits, so that an accidental collision over a run of 100,000 seeds is out of the question.
 */
export function chainHash(prev: number, entry: EntryContent): number {
  const lo = prev % 0x200000;
  const hi = Math.floor(prev / 0x200000);
  const a = mix(mix(mix(mix(hi, lo), entry.term), entry.code), entry.index);
  const b = mix(mix(mix(mix(lo ^ 0x5bd1e995, entry.code), entry.index), entry.term), hi);
  return a * 0x200000 + (b >>> 11);
}

export class ShadowLog {
  private terms: number[] = [];
  private hashes: number[] = [];

  constructor(
    private baseIndex: number,
    private baseTerm: number,
    private baseHash: number,
  ) {}

  get prevIndex(): number {
    return this.baseIndex;
  }

  get lastIndex(): number {
    return this.baseIndex + this.terms.length;
  }

  get lastTerm(): number {
    return this.terms.length > 0 ? this.terms[this.terms.length - 1] : this.baseTerm;
  }

  termAt(index: number): number | undefined {
    if (index === this.baseIndex) return this.baseTerm;
    if (index < this.baseIndex || index > this.lastIndex) return undefined;
    return this.terms[index - this.baseIndex - 1];
  }

  hashAt(index: number): number | undefined {
    if (index === this.baseIndex) return this.baseHash;
    if (index < this.baseIndex || index > this.lastIndex) return undefined;
    return this.hashes[index - this.baseIndex - 1];
  }

  /** Appends the entry after the last one and returns its prefix hash. */
  append(entry: EntryContent): number {
    if (entry.index !== this.lastIndex + 1) throw new Error(`shadow log: append of ${entry.index} after ${this.lastIndex}`);
    const hash = chainHash(this.hashAt(this.lastIndex)!, entry);
    this.terms.push(entry.term);
    this.hashes.push(hash);
    return hash;
  }

  truncateFrom(index: number): void {
    const keep = Math.max(0, index - this.baseIndex - 1);
    this.terms.length = Math.min(this.terms.length, keep);
    this.hashes.length = Math.min(this.hashes.length, keep);
  }

  reset(index: number, term: number, hash: number): void {
    this.baseIndex = index;
    this.baseTerm = term;
    this.baseHash = hash;
    this.terms = [];
    this.hashes = [];
  }
}
