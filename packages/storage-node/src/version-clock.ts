import type { Version } from './record-codec';

/**
 * Assigns versions to a leader's writes: a hybrid logical clock in microseconds, so that versions
 * grow with real time across leaders and never repeat or go backwards on one key.
 */
export class VersionClock {
  private lastSeq = 0;

  constructor(private readonly nowMs: () => number = Date.now) {}

  /** A version of the leader's `term`, greater than `after` (the key's current version) and than any issued before. */
  next(leaderTerm: number, after?: Version): Version {
    const term = Math.max(leaderTerm, after?.term ?? 0);
    let seq = Math.max(this.nowMs() * 1000, this.lastSeq + 1);
    if (after && after.term === term && seq <= after.seq) seq = after.seq + 1;
    this.lastSeq = seq;
    return { term, seq };
  }
}
