import type { NodeStatusReply } from '@triad/rpc';
import { changeProgress, layoutEpoch, type ClusterLayout, type StorageNodeInfo } from '@triad/ring';

export interface NodeRow {
  node: StorageNodeInfo;
  status?: NodeStatusReply;
  /** Why the node did not answer. */
  error?: string;
}

function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

const count = (n: number) => n.toLocaleString('en-US');

/** The layout part of `triad status`: epoch, a join or decommission in progress, partitions moving now. Pure. */
export function formatLayout(layout: ClusterLayout, rows: NodeRow[]): string[] {
  const lines = [`Layout epoch: ${layoutEpoch(layout)}`];
  const behind = rows.filter((r) => r.status && Number(r.status.layoutEpoch ?? 0) < layoutEpoch(layout));
  if (behind.length > 0) lines.push(`  not yet adopted by: ${behind.map((r) => `${r.node.id} (epoch ${r.status!.layoutEpoch ?? 0})`).join(', ')}`);
  const progress = changeProgress(layout);
  if (!progress) {
    lines.push('Partition movement: none');
    return lines;
  }
  const pending = layout.change!.moves.filter((m) => !m.done).map((m) => m.partition);
  lines.push(
    `Partition movement: ${progress.kind} of ${progress.nodeId}, ${progress.movesDone}/${progress.movesTotal} partitions moved` +
      (pending.length > 0 ? ` (to go: ${pending.join(', ')})` : ' (all moved; the change ends with the next step)'),
  );
  for (const row of rows) {
    for (const move of row.status?.moves ?? []) {
      const what =
        move.phase === 'switching' ? 'switching to its new replica set' : `streaming, ${count(Number(move.recordsScanned))}/${count(Number(move.recordsTotal))} records read, ${count(Number(move.recordsSent))} sent`;
      lines.push(`  partition ${move.partition}: ${row.node.id} -> ${move.incoming.join(', ')}: ${what}`);
    }
  }
  if (!rows.some((r) => (r.status?.moves ?? []).length > 0)) {
    lines.push(`  no partition is streaming at this moment (unless \`triad ${progress.kind}\` is running, run \`triad ${progress.kind} --node ${progress.nodeId}\` to continue)`);
  }
  return lines;
}

/** `triad status` as a table by zone, in the spirit of `nodetool status`. Pure. */
export function formatStatus(rows: NodeRow[], layout?: ClusterLayout): string {
  const lines: string[] = layout ? [...formatLayout(layout, rows), ''] : [];
  const zones = [...new Set(rows.map((r) => r.node.zone))].sort();
  const header = ['state', 'node', 'address', 'held', 'led', 'hints', 'disk'];
  for (const zone of zones) {
    lines.push(`Zone: ${zone}`);
    const table = [header];
    for (const row of rows.filter((r) => r.node.zone === zone)) {
      const s = row.status;
      const state = !s ? 'DN' : s.draining ? 'UD' : 'UN';
      table.push([
        state,
        row.node.id,
        row.node.address,
        s ? String(s.partitionsHeld.length) : '?',
        s ? String(s.partitionsLed.length) : '?',
        s ? String(s.hintsPending) : '?',
        s ? humanBytes(Number(s.diskBytes)) : '?',
      ]);
    }
    const widths = header.map((_, i) => Math.max(...table.map((r) => r[i].length)));
    for (const r of table) lines.push('  ' + r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
    lines.push('');
  }
  lines.push('State: UN = up, UD = up and draining, DN = down or unreachable');
  const down = rows.filter((r) => r.error);
  for (const row of down) lines.push(`  ${row.node.id}: ${row.error}`);
  return lines.join('\n');
}
