import { MalformedMessageError } from '../errors';
import { PARTITION_ID_MAX, TERM_MAX } from '../limits';
import { configurationProblem, type Configuration } from './configuration';
import type { LogEntry } from './log-entry';
import { LOG_APPEND_ENTRIES_MAX } from './log-limits';

/**
 * From the leader of `term`: the entries after (prevIndex, prevTerm), and how far the log is
 * committed. A follower takes them only if its log holds (prevIndex, prevTerm) — then, by
 * induction, its log equals the leader's up to there (Raft's log matching). No entries: a probe,
 * or news of the commit index.
 */
export interface Append<P> {
  type: 'Append';
  partition: number;
  term: number;
  prevIndex: number;
  prevTerm: number;
  entries: LogEntry<P>[];
  commit: number;
}

/**
 * A follower's answer. `success`: its log matches the leader's up to `match`, durably. Otherwise
 * `match` is a hint: the follower's log holds nothing useful after it (the leader retries from
 * there). `term` is the follower's current term (newer than the leader's: the leader steps down).
 * `learner`: the follower votes in nothing yet, so its copy does not count towards a majority.
 * `generation`: the follower's (its data directory's), which a promotion entry names.
 */
export interface AppendResponse {
  type: 'AppendResponse';
  partition: number;
  term: number;
  success: boolean;
  match: number;
  learner: boolean;
  generation: number;
}

/**
 * From the leader of `term`, after it streamed its state to the follower: that state reflected
 * every entry up to (index, snapshotTerm). The follower's log restarts after it unless it already
 * holds that entry. `generation` is the follower's generation when the snapshot was asked for: a
 * follower whose data directory has changed since (it lost its disk) does not hold the stream.
 */
export interface InstallSnapshot {
  type: 'InstallSnapshot';
  partition: number;
  term: number;
  index: number;
  snapshotTerm: number;
  commit: number;
  generation: number;
  /** The configuration as of (index, snapshotTerm): the follower's base once its log restarts there. */
  config: Configuration;
}

export type LogMessage<P> = Append<P> | AppendResponse | InstallSnapshot;

const isIndex = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isTerm = (v: unknown) => isIndex(v) && (v as number) <= TERM_MAX;

function isConfiguration(v: unknown): boolean {
  const c = v as Configuration | null;
  return typeof c === 'object' && c !== null && Array.isArray(c.voters) && Array.isArray(c.learners) && configurationProblem(c) === undefined;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new MalformedMessageError(what);
}

/**
 * Checks the numbers of a log message decoded by a transport (whose codec built it): every index,
 * term and partition in range, entries contiguous after prevIndex with terms that never go back
 * and are at most the message's term. Throws {@link MalformedMessageError}.
 */
export function checkLogMessage<P>(message: LogMessage<P>): LogMessage<P> {
  check(Number.isInteger(message.partition) && message.partition >= 0 && message.partition <= PARTITION_ID_MAX, 'bad partition');
  check(isTerm(message.term), `${message.type}: bad term`);
  switch (message.type) {
    case 'Append': {
      check(isIndex(message.prevIndex) && isTerm(message.prevTerm) && isIndex(message.commit), 'Append: bad position');
      check(Array.isArray(message.entries) && message.entries.length <= LOG_APPEND_ENTRIES_MAX, 'Append: bad entries');
      let term = message.prevTerm;
      message.entries.forEach((entry, i) => {
        check(entry.index === message.prevIndex + 1 + i, `Append: entry ${i} has index ${entry.index}`);
        check(entry.promote === undefined || (typeof entry.promote.node === 'string' && isIndex(entry.promote.generation)), `Append: entry ${i} has a bad promotion`);
        check(entry.config === undefined || isConfiguration(entry.config), `Append: entry ${i} has a bad configuration`);
        check(isTerm(entry.term) && entry.term >= term && entry.term <= message.term, `Append: entry ${i} has term ${entry.term}`);
        term = entry.term;
      });
      check(message.prevTerm <= message.term, 'Append: prevTerm after term');
      return message;
    }
    case 'AppendResponse':
      check(isIndex(message.match) && typeof message.success === 'boolean' && typeof message.learner === 'boolean' && isIndex(message.generation), 'AppendResponse: bad fields');
      return message;
    case 'InstallSnapshot':
      check(
        isIndex(message.index) && isTerm(message.snapshotTerm) && message.snapshotTerm <= message.term && isIndex(message.commit) && isIndex(message.generation) && isConfiguration(message.config),
        'InstallSnapshot: bad fields',
      );
      return message;
    default:
      throw new MalformedMessageError(`unknown log message ${JSON.stringify((message as { type?: unknown }).type)}`);
  }
}
