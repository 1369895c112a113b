/** Strong reads repeated until every key has been served once by each way of reading, with a deadline. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { delay, nowMs } from '@triad/harness';
import { readRegisters, type ReadVia, type RegisterTable } from './register-client';
import type { RegisterHistory } from './register-history';

/** Pause between rounds while some reads are refused (the partition electing, a node restarting). */
const RETRY_PAUSE_MS = 100;

/**
 * Reads `keys` (all in `partition`) by each of `vias` until each (way, key) was served once;
 * throws with the last errors if `timeoutMs` passes first. Every served read goes into `history`.
 */
export async function readEveryKeyOnce(
  client: DynamoDBClient,
  table: RegisterTable,
  history: RegisterHistory,
  partition: number,
  keys: readonly string[],
  vias: readonly ReadVia[],
  timeoutMs: number,
): Promise<void> {
  const deadline = nowMs() + timeoutMs;
  const left = new Map<ReadVia, Set<string>>(vias.map((via) => [via, new Set(keys)]));
  let lastErrors: string[] = [];
  for (;;) {
    lastErrors = [];
    await Promise.all(
      [...left].map(async ([via, waiting]) => {
        if (waiting.size === 0) return;
        const before = history.reads.length;
        const { errors } = await readRegisters(client, table, history, partition, via === 'Scan' ? keys : [...waiting], via);
        for (const read of history.reads.slice(before)) if (read.via === via) waiting.delete(read.key);
        lastErrors.push(...errors.map((e) => `${via}: ${e}`));
      }),
    );
    if ([...left.values()].every((w) => w.size === 0)) return;
    if (nowMs() > deadline) {
      const missing = [...left].filter(([, w]) => w.size > 0).map(([via, w]) => `${via} of ${w.size} keys`);
      throw new Error(`strong reads not served within ${timeoutMs} ms: ${missing.join(', ')}; last errors: ${[...new Set(lastErrors)].join(', ')}`);
    }
    await delay(RETRY_PAUSE_MS);
  }
}
