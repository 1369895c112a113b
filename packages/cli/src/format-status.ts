import type { NodeStatusReply } from '@triad/rpc';
import type { StorageNodeInfo } from '@triad/ring';

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

/** `triad status` as a table by zone, in the spirit of `nodetool status`. Pure. */
export function formatStatus(rows: NodeRow[]): string {
  const lines: string[] = [];
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
