import { runLogSeed } from './log-workload';
const from = Number(process.argv[2] ?? 1), count = Number(process.argv[3] ?? 20);
let fails = 0; const sums: Record<string, number> = {};
for (let seed = from; seed < from + count; seed++) {
  try { const r = runLogSeed(seed); for (const [k, v] of Object.entries(r)) if (typeof v === 'number') sums[k] = (sums[k] ?? 0) + v; }
  catch (e) { fails++; console.log(String((e as Error).message).split('\n').slice(0, process.env.FULL ? 1e9 : 1).join('\n')); if ((e as Error).stack && process.env.STACK) console.log((e as Error).stack); if (fails >= 3) break; }
}
console.log(JSON.stringify({ fails, configChanges: sums.configChanges, movesDone: sums.movesDone, removals: sums.removals, cleanups: sums.cleanups, acknowledged: sums.acknowledged }));
