import { assert } from '../errors';
import type { LogEntry } from './log-entry';

/**
 * The entries of one partition's log that this node keeps in memory: every entry after
 * `prevIndex`, whose term is `prevTerm` (the position the window starts after, e.g. the applied
 * position at start or a snapshot). Entries before the window are applied here and, as far as the
 * log is concerned, committed.
 */
export class LogWindow<P> {
  private entries: LogEntry<P>[] = [];

  constructor(
    private prevIndexValue: number,
    private prevTermValue: number,
  ) {}

  get prevIndex(): number {
    return this.prevIndexValue;
  }

  get firstIndex(): number {
    return this.prevIndexValue + 1;
  }

  get lastIndex(): number {
    return this.prevIndexValue + this.entries.length;
  }

  get lastTerm(): number {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1].term : this.prevTermValue;
  }

  get length(): number {
    return this.entries.length;
  }

  /** The term of the entry at `index`, or undefined when it is before the window or after the end. */
  termAt(index: number): number | undefined {
    if (index === this.prevIndexValue) return this.prevTermValue;
    if (index < this.prevIndexValue || index > this.lastIndex) return undefined;
    return this.entries[index - this.firstIndex].term;
  }

  entry(index: number): LogEntry<P> | undefined {
    if (index < this.firstIndex || index > this.lastIndex) return undefined;
    return this.entries[index - this.firstIndex];
  }

  /** Entries from `from` to `to` inclusive (both inside the window). */
  slice(from: number, to: number): LogEntry<P>[] {
    assert(from >= this.firstIndex && to <= this.lastIndex, () => `slice ${from}..${to} outside ${this.firstIndex}..${this.lastIndex}`);
    return this.entries.slice(from - this.firstIndex, to - this.firstIndex + 1);
  }

  append(entry: LogEntry<P>): void {
    assert(entry.index === this.lastIndex + 1, () => `append of index ${entry.index} after ${this.lastIndex}`);
    assert(entry.term >= this.lastTerm, () => `append of term ${entry.term} after term ${this.lastTerm}`);
    this.entries.push(entry);
  }

  /** Drops the entries from `index` on. */
  truncateFrom(index: number): void {
    assert(index > this.prevIndexValue, () => `truncation at ${index} reaches before the window (${this.prevIndexValue})`);
    this.entries.length = Math.max(0, index - this.firstIndex);
  }

  /** Forgets the entries up to `index` (they are applied and no follower needs them from memory). */
  compactTo(index: number): void {
    if (index <= this.prevIndexValue) return;
    assert(index <= this.lastIndex, () => `compaction to ${index} past the last entry ${this.lastIndex}`);
    this.prevTermValue = this.termAt(index)!;
    this.entries = this.entries.slice(index - this.prevIndexValue);
    this.prevIndexValue = index;
  }

  /** Replaces everything by a window that starts after (index, term): a snapshot was installed. */
  reset(index: number, term: number): void {
    this.entries = [];
    this.prevIndexValue = index;
    this.prevTermValue = term;
  }
}
