/**
 * The system partition in memory, for tests of the access key store: items by key, with
 * conditional writes as the partition's leader applies them.
 */
import { evaluateCondition, type Condition, type Item } from '@triad/model';
import type { ItemOp, OpResult, PartitionRange, RangeReply } from '@triad/rpc';
import type { RangeOptions, StorageClient } from '../../src/cluster/storage-client';

/** The system partition's items by key, with conditional writes as the leader applies them. */
export class MemoryPartition implements StorageClient {
  readonly partitionCount = 16;
  readonly systemPartition = 16;
  readonly items = new Map<string, Item>();

  partitionOf(): number {
    return 0;
  }

  async execute(op: ItemOp): Promise<OpResult> {
    const id = op.key.toString('hex');
    const body = JSON.parse(op.body.toString('utf8')) as { item?: Item; condition?: Condition };
    const current = this.items.get(id);
    const ok = (result: unknown = {}) => ({ errorName: '', errorMessage: '', body: Buffer.from(JSON.stringify(result)) });
    if (op.kind === 'OP_KIND_GET') return ok(current ? { item: current } : {});
    if (body.condition && !evaluateCondition(body.condition, current)) {
      return { errorName: 'ConditionalCheckFailedException', errorMessage: 'The conditional request failed', body: Buffer.alloc(0) };
    }
    if (op.kind === 'OP_KIND_PUT') this.items.set(id, body.item!);
    else if (op.kind === 'OP_KIND_DELETE') this.items.delete(id);
    return ok();
  }

  async readEventual(): Promise<Buffer | undefined> {
    return undefined;
  }

  async readRange(ranges: PartitionRange[], _options: RangeOptions): Promise<RangeReply> {
    const [range] = ranges;
    const start = range.start.toString('hex');
    const end = range.end.toString('hex');
    const items = [...this.items.entries()]
      .filter(([key]) => (range.startExclusive ? key > start : key >= start) && key < end)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, item]) => ({ partition: 16, key: Buffer.from(key, 'hex'), item: Buffer.from(JSON.stringify(item)), sizeBytes: 1 }));
    return { items, exhausted: true };
  }

  async dropTable(): Promise<void> {}

  async prefixStats(): Promise<never> {
    throw new Error('not used');
  }
}

