import { assert } from '../errors';
import type { NodeId } from '../types';
import { CONFIG_HISTORY_MAX, CONFIG_MEMBERS_MAX, CONFIG_VOTERS_MIN } from './log-limits';

/**
 * A partition's replica set as its log says it: `voters` elect leaders and count towards commits
 * and leases (preferred leader first); `learners` receive the log but count for nothing (a node
 * catching up before it becomes a voter). Raft's single-server changes: each configuration entry
 * in the log differs from the one before by one step (see `describeChange`), and the configuration
 * in force on a replica is the last one in its log, committed or not.
 */
export interface Configuration {
  voters: readonly NodeId[];
  learners: readonly NodeId[];
}

/** What a node that has not yet received its partition's log knows of it: nothing (it votes in nothing). */
export const UNKNOWN_CONFIGURATION: Configuration = { voters: [], learners: [] };

/** Voters first (in their order), then learners: every node the log goes to. */
export function membersOf(config: Configuration): NodeId[] {
  return [...config.voters, ...config.learners];
}

/** Votes (or durable copies, or lease acks) that make a majority of `voterCount` voters. */
export function quorumOf(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

export function sameConfiguration(a: Configuration, b: Configuration): boolean {
  return a.voters.length === b.voters.length && a.learners.length === b.learners.length && a.voters.every((v, i) => v === b.voters[i]) && a.learners.every((l, i) => l === b.learners[i]);
}

/** Whether a majority of `a`'s voters and a majority of `b`'s voters can be disjoint (two leaders could then commit apart). */
export function majoritiesCanBeDisjoint(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  if (a.length === 0 || b.length === 0) return false;
  const onlyA = a.filter((id) => !b.includes(id)).length;
  const onlyB = b.filter((id) => !a.includes(id)).length;
  const both = a.length - onlyA;
  // Each majority takes the nodes only it has first; what it still needs comes from the shared ones.
  return Math.max(0, quorumOf(a.length) - onlyA) + Math.max(0, quorumOf(b.length) - onlyB) <= both;
}

/** A configuration's own problem (repeated node, a node both voter and learner, too small or big), or undefined. */
export function configurationProblem(config: Configuration): string | undefined {
  const members = membersOf(config);
  if (members.some((id) => typeof id !== 'string' || id.length === 0)) return 'a member id is not a non-empty string';
  if (new Set(members).size !== members.length) return 'a node appears twice';
  if (config.voters.length < CONFIG_VOTERS_MIN) return `fewer than ${CONFIG_VOTERS_MIN} voters`;
  if (members.length > CONFIG_MEMBERS_MAX) return `more than ${CONFIG_MEMBERS_MAX} members`;
  return undefined;
}

/** One step of a single-server change (Raft §4.1), as `describeChange` finds it. */
export type ConfigChange =
  | { type: 'add-learner'; node: NodeId }
  | { type: 'remove-learner'; node: NodeId }
  | { type: 'promote'; node: NodeId }
  | { type: 'remove-voter'; node: NodeId }
  | { type: 'reorder' };

/**
 * The one step that leads from `current` to `next`, or a string saying why it is not one. Voters
 * may be reordered along with a step (the order is only the leaders' preference). One voter added
 * or removed at a time is what makes any majority of `current` meet any majority of `next`; a new
 * voter comes only from the learners, so that it holds the log before it counts.
 */
export function describeChange(current: Configuration, next: Configuration): ConfigChange | string {
  const problem = configurationProblem(next);
  if (problem !== undefined) return problem;
  const added = membersOf(next).filter((id) => !membersOf(current).includes(id));
  const removed = membersOf(current).filter((id) => !membersOf(next).includes(id));
  const promoted = next.voters.filter((id) => current.learners.includes(id));
  const demoted = next.learners.filter((id) => current.voters.includes(id));
  if (demoted.length > 0) return `a voter cannot become a learner (${demoted.join(', ')}): remove it`;
  const steps = added.length + removed.length + promoted.length;
  if (steps > 1) return 'more than one node changes at once';
  if (added.length === 1) return next.learners.includes(added[0]) ? { type: 'add-learner', node: added[0] } : `a new node (${added[0]}) must join as a learner first`;
  if (removed.length === 1) return current.voters.includes(removed[0]) ? { type: 'remove-voter', node: removed[0] } : { type: 'remove-learner', node: removed[0] };
  if (promoted.length === 1) return { type: 'promote', node: promoted[0] };
  if (sameConfiguration(current, next)) return 'nothing changes';
  return { type: 'reorder' };
}

/**
 * The configurations of one partition's log, by the index of the entry that set each (the first
 * one is the base: the configuration as of the window's start, from the layout, the applied state
 * or a snapshot). The configuration in force is the last one; a truncation that removes its entry
 * brings the one before back.
 */
export class ConfigHistory {
  private readonly items: { index: number; config: Configuration }[];

  constructor(index: number, config: Configuration) {
    this.items = [{ index, config }];
  }

  get current(): Configuration {
    return this.items[this.items.length - 1].config;
  }

  /** Index of the entry that set the current configuration (the base's position for the base). */
  get currentIndex(): number {
    return this.items[this.items.length - 1].index;
  }

  /** The configuration before the current one, and the index that replaced it (undefined: only the base is known). */
  get previous(): { config: Configuration; replacedAt: number } | undefined {
    if (this.items.length < 2) return undefined;
    return { config: this.items[this.items.length - 2].config, replacedAt: this.currentIndex };
  }

  /** Whether any configuration remembered (the base included) names `id`. */
  names(id: NodeId): boolean {
    return this.items.some((item) => membersOf(item.config).includes(id));
  }

  /** The configuration as of the entry at `index` (the last one set at or before it). */
  at(index: number): Configuration {
    for (let i = this.items.length - 1; i > 0; i--) if (this.items[i].index <= index) return this.items[i].config;
    return this.items[0].config;
  }

  /** Whether the configuration as of `index` is known: not the unknown one a node that joined starts from (a real one has voters). */
  knownAt(index: number): boolean {
    return this.at(index).voters.length > 0;
  }

  /** Every configuration set by an entry in (after, upTo], in order. */
  setBetween(after: number, upTo: number): { index: number; config: Configuration }[] {
    return this.items.filter((item, i) => i > 0 && item.index > after && item.index <= upTo);
  }

  append(index: number, config: Configuration): void {
    assert(index > this.currentIndex, () => `configuration at ${index} after one at ${this.currentIndex}`);
    this.items.push({ index, config });
    // Forget the oldest beyond the bound: changes are rare, and lookups are at applied positions,
    // which are never older than the newest few changes.
    while (this.items.length > CONFIG_HISTORY_MAX) this.items.shift();
  }

  /** Drops the configurations set by entries from `index` on; true if the one in force changed. */
  truncateFrom(index: number): boolean {
    let changed = false;
    while (this.items.length > 1 && this.items[this.items.length - 1].index >= index) {
      this.items.pop();
      changed = true;
    }
    return changed;
  }

  /** A snapshot replaced the log: the configuration as of its position is the new base. */
  reset(index: number, config: Configuration): void {
    this.items.length = 0;
    this.items.push({ index, config });
  }
}
