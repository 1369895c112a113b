import type { ChangeListener } from './change-runner';

/** Where a join or decommission stands, as the progress display shows it. */
export interface ChangeProgressState {
  kind: 'join' | 'decommission';
  nodeId: string;
  movesDone: number;
  movesTotal: number;
  /** The partition moving now, once its leader reported. */
  current?: { partition: number; leader: string; incoming: string[]; phase: string; recordsScanned: number; recordsTotal: number };
  /** Records streamed by finished moves and the current one. */
  recordsStreamed: number;
  elapsedMs: number;
}

/** Width of the bar between its brackets. */
export const PROGRESS_BAR_WIDTH = 30;
/** Without a terminal, a progress line at most this often while a partition streams. */
export const PLAIN_PROGRESS_INTERVAL_MS = 5_000;

const count = (n: number) => n.toLocaleString('en-US');

/** Share of the change done: whole partitions plus the streamed share of the one moving now. */
export function changeFraction(state: ChangeProgressState): number {
  if (state.movesTotal === 0) return 1;
  const c = state.current;
  const partial = !c ? 0 : c.phase === 'switching' ? 0.99 : c.recordsTotal > 0 ? Math.min(0.99, c.recordsScanned / c.recordsTotal) : 0;
  return Math.min(1, (state.movesDone + partial) / state.movesTotal);
}

export function formatBar(fraction: number, width = PROGRESS_BAR_WIDTH): string {
  const filled = Math.max(0, Math.min(width, Math.floor(fraction * width)));
  const head = filled < width && fraction > 0 ? '>' : '';
  return `[${'='.repeat(filled)}${head}${' '.repeat(width - filled - head.length)}]`;
}

/** One line: bar, percentage, partitions, the partition moving now, records and rate. Pure. */
export function formatProgressLine(state: ChangeProgressState, bar = true): string {
  const fraction = changeFraction(state);
  const parts = [`${state.kind} ${state.nodeId}`];
  if (bar) parts.push(formatBar(fraction));
  parts.push(`${Math.floor(fraction * 100)}%`, `${state.movesDone}/${state.movesTotal} partitions`);
  const c = state.current;
  if (c) {
    // Writes arriving during the stream can take the count past the total taken at its start.
    const what = c.phase === 'switching' ? 'switching' : `${count(c.recordsScanned)}/${count(Math.max(c.recordsScanned, c.recordsTotal))} records`;
    parts.push(`partition ${c.partition} ${c.leader} -> ${c.incoming.join(',')}: ${what}`);
  }
  const seconds = state.elapsedMs / 1000;
  parts.push(`${count(state.recordsStreamed)} streamed${seconds >= 1 ? `, ${count(Math.round(state.recordsStreamed / seconds))}/s` : ''}`);
  return parts.join('  ');
}

/**
 * Shows a change's progress: on a terminal a bar redrawn in place, with a line per partition moved
 * above it; otherwise plain lines (one per partition, and a progress line every few seconds).
 */
export class ChangeProgressDisplay implements ChangeListener {
  private state?: ChangeProgressState;
  private startedAtMs = 0;
  private streamedBefore = 0;
  private lastPlainAtMs = 0;
  private barShown = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly isTTY: boolean,
    private readonly nowMs: () => number = Date.now,
  ) {}

  private line(text: string): void {
    if (this.barShown) this.write('\r\x1b[K');
    this.barShown = false;
    this.write(`${text}\n`);
    this.redraw();
  }

  private redraw(): void {
    if (!this.isTTY || !this.state) return;
    this.state.elapsedMs = this.nowMs() - this.startedAtMs;
    this.write(`\r\x1b[K${formatProgressLine(this.state)}`);
    this.barShown = true;
  }

  started(info: Parameters<ChangeListener['started']>[0]): void {
    this.startedAtMs = this.nowMs();
    this.state = { kind: info.kind, nodeId: info.nodeId, movesDone: info.movesDone, movesTotal: info.movesTotal, recordsStreamed: 0, elapsedMs: 0 };
    this.line(
      `${info.resumed ? 'resuming the' : 'starting a'} ${info.kind} of ${info.nodeId}: layout epoch ${info.epoch}, ` +
        `${info.movesTotal - info.movesDone} of ${info.movesTotal} partition moves to go`,
    );
  }

  moving(info: Parameters<ChangeListener['moving']>[0]): void {
    if (!this.state) return;
    this.state.movesDone = info.movesDone;
    const p = info.progress;
    this.state.current = {
      partition: info.move.partition,
      leader: info.leader,
      incoming: p?.incoming ?? info.move.to.filter((id) => !info.move.from.includes(id)),
      phase: p?.phase ?? 'streaming',
      recordsScanned: Number(p?.recordsScanned ?? 0),
      recordsTotal: Number(p?.recordsTotal ?? 0),
    };
    this.state.recordsStreamed = this.streamedBefore + Number(p?.recordsSent ?? 0);
    if (this.isTTY) {
      this.redraw();
    } else if (p && this.nowMs() - this.lastPlainAtMs >= PLAIN_PROGRESS_INTERVAL_MS) {
      this.lastPlainAtMs = this.nowMs();
      this.state.elapsedMs = this.nowMs() - this.startedAtMs;
      this.write(`${formatProgressLine(this.state, false)}\n`);
    }
  }

  moved(info: Parameters<ChangeListener['moved']>[0]): void {
    if (!this.state) return;
    this.streamedBefore += info.recordsStreamed;
    this.state.recordsStreamed = this.streamedBefore;
    this.state.movesDone = info.movesDone;
    this.state.current = undefined;
    const incoming = info.move.to.filter((id) => !info.move.from.includes(id));
    const leaving = info.move.from.filter((id) => !info.move.to.includes(id));
    this.line(
      `partition ${info.move.partition} moved from ${leaving.join(',')} to ${incoming.join(',')} ` +
        `(${count(info.recordsStreamed)} records streamed by ${info.leader}; layout epoch ${info.epoch}; ${info.movesDone}/${info.movesTotal})`,
    );
  }

  note(message: string): void {
    this.line(message);
  }

  finished(info: Parameters<ChangeListener['finished']>[0]): void {
    if (this.barShown) this.write('\r\x1b[K');
    this.barShown = false;
    if (info.alreadyDone) {
      this.write(`${info.nodeId} is already ${info.kind === 'join' ? 'in the cluster' : 'out of the cluster'} (layout epoch ${info.epoch}); nothing to do\n`);
      return;
    }
    if (this.state) this.state.elapsedMs = this.nowMs() - this.startedAtMs;
    const seconds = this.state ? (this.state.elapsedMs / 1000).toFixed(1) : '?';
    const after =
      info.kind === 'join' ? `${info.nodeId} holds its partitions` : `${info.nodeId} holds no partition any more; stop its process`;
    this.write(`${info.kind} of ${info.nodeId} done in ${seconds} s: layout epoch ${info.epoch}; ${after}\n`);
  }
}
