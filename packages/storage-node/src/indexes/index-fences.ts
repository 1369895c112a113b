import type { Logger } from '@triad/observability';
import type { ItemOp, ItemOpBody } from '@triad/rpc';
import type { Counter } from 'prom-client';
import type { PlantedBugs } from '../planted-bugs';
import { StaleIndexListError, fenceItemOf, fenceKeyOf, fenceRaisedBy, fenceRefusal, fenceVersionOf, isFenceKey, isFenced, tableIdOf } from './index-fence';
import { encodeRecord, recordItem, type Version } from '../storage/record-codec';
import type { ReplicaState } from '../replica/replica-state';
import { dataKey } from '../storage/storage-keys';

export interface IndexFencesComponents {
  replicas: Pick<ReplicaState, 'withKey' | 'current' | 'settled'>;
  /** The partition's current term: what this node knows of a partition's fences is re-read in each new term. */
  termOf: (partition: number) => number;
  refusals: Counter;
  log: Logger;
  /** Only the simulator sets it (planted-bugs.ts). */
  plantedBugs?: PlantedBugs;
}

/** What this leader knows of one table's fence in one partition, and in which term it learnt it. */
interface KnownFence {
  term: number;
  /** The fence writes are admitted against (it refuses older lists). */
  version: number;
  /**
   * The highest fence the partition's log holds as this term's next entry would see it: the record
   * as read at the term's start, or a fence record this leader appended since (its own or the
   * builder's). `version` can be higher (raised by a write still on its way to the log).
   */
  recorded: number;
}

/** A fence record a write must carry in its own log entry (IndexFences.recordToStage). */
export interface StagedFenceRecord {
  /** The fence key, inside the partition. */
  itemKey: Buffer;
  /** The record's key in the store. */
  key: Buffer;
  /** The record at the version the log gives the write: the highest fence known when it is appended. */
  value: (version: Version) => Buffer;
}

/**
 * The leader's side of index fences (see index-fence.ts): admits or refuses each item operation
 * before anything is decided about it.
 *
 * The fence of a (partition, table) is read from the partition's fence record once per term of
 * this node's leadership and kept in memory; within a term only this leader writes the record,
 * and its write raises the fence in memory before it is even staged. Reading once per term costs
 * the write path one map lookup (an extra RocksDB read per write would cost ~10% of its CPU).
 *
 * A write admitted just before a fence rises may still be on its way to being staged: the fence
 * write therefore waits, before it is staged and acknowledged, until every write of the partition
 * admitted earlier has been staged and is on local disk (or decided not to write). So once the
 * index builder has every partition's acknowledgement, no write with an old index list is still
 * to land anywhere: a range read of the partition shows every item the backfill must cover.
 *
 * Between UpdateTable and the fence, writes with the old and with the new index list both come:
 * a new-list write gives the item an entry in the new index, and an old-list write of the same item
 * after it would change the item without removing that entry, which the backfill (it indexes items
 * as they are) would never remove either. So a write that carries a newer version than the fence
 * raises the fence to it (`decide`, under the item's lock: any later write of the item is decided
 * after), and carries the raised fence record in its own log entry (`recordToStage`) unless an
 * earlier entry of this term has one: every later leader that has the write has the fence too.
 */
export class IndexFences {
  /** By partition and table id (latin1). */
  private readonly known = new Map<string, KnownFence>();
  /** Reads of fence records under way, shared by the writes that need them. */
  private readonly loading = new Map<string, Promise<void>>();
  /** Per partition: admitted writes not yet staged and on local disk. */
  private readonly admitted = new Map<number, Set<Promise<void>>>();

  constructor(private readonly c: IndexFencesComponents) {}

  /**
   * Call as partition leader for every item operation, holding the item's lock, before deciding
   * anything about it. Throws StaleIndexListError for a write with an old index list; a write of a
   * fence record raises the fence and returns once the writes admitted before it are staged.
   */
  admit(op: ItemOp, body: ItemOpBody): Promise<void> | undefined {
    if (isFenceKey(op.key)) return this.raise(op.partition, tableIdOf(op.key, true), body.schemaVersion ?? 0);
    if (!isFenced(op.kind)) return undefined;
    const id = this.idOf(op.partition, tableIdOf(op.key, false));
    const known = this.current(op.partition, id);
    if (known !== undefined) return this.decide(op, body, known);
    return this.load(op.partition, id).then(() => this.decide(op, body, this.current(op.partition, id) ?? 0));
  }

  private decide(op: ItemOp, body: ItemOpBody, required: number): undefined {
    const refusal = fenceRefusal(op.kind, body.schemaVersion, required);
    if (refusal && !this.c.plantedBugs?.staleIndexListAdmitted) {
      this.c.refusals.inc();
      throw new StaleIndexListError(refusal);
    }
    const raised = fenceRaisedBy(op.kind, body.schemaVersion, required);
    if (raised !== undefined) {
      this.learn(op.partition, this.idOf(op.partition, tableIdOf(op.key, false)), raised);
      this.c.log.info('index fence raised by a write with a newer index list', { partition: op.partition, schemaVersion: raised, previous: required });
    }
    this.track(op.partition, op.key);
    return undefined;
  }

  /**
   * Call as leader for an admitted write about to be proposed (under its item's lock): the fence
   * record its entry must carry, or undefined when an earlier entry of this term (or the record as
   * the term found it) holds a fence as high as the write's version. Once the entry is appended,
   * call `staged`. Writes of tables whose index list never changed (version 0) never carry one.
   */
  recordToStage(op: ItemOp, body: ItemOpBody): StagedFenceRecord | undefined {
    // Most tables never changed their index list (version 0): no lookup at all on their writes.
    const carried = body.schemaVersion ?? 0;
    if (carried === 0 || !isFenced(op.kind) || isFenceKey(op.key)) return undefined;
    const tableId = tableIdOf(op.key, false);
    const id = this.idOf(op.partition, tableId);
    const known = this.known.get(id);
    const recorded = known && known.term === this.c.termOf(op.partition) ? known.recorded : 0;
    if (carried <= recorded) return undefined;
    const itemKey = fenceKeyOf(tableId);
    // The highest fence known when the entry is appended (any term's: in memory a fence is only ever
    // at least what the record holds), so that a write never puts the record below another's.
    const value = (version: Version) => encodeRecord(version, fenceItemOf(Math.max(carried, this.known.get(id)?.version ?? 0)), 0);
    return { itemKey, key: dataKey(op.partition, itemKey), value };
  }

  /** A write (or a fence record's write) of this version was appended to the partition's log in this term. */
  staged(op: ItemOp, body: ItemOpBody): void {
    if (!body.schemaVersion || !isFenced(op.kind)) return;
    const known = this.known.get(this.idOf(op.partition, tableIdOf(op.key, isFenceKey(op.key))));
    if (known && known.term === this.c.termOf(op.partition)) known.recorded = Math.max(known.recorded, body.schemaVersion ?? 0);
  }

  private idOf(partition: number, tableId: Buffer): string {
    return `${partition}:${tableId.toString('latin1')}`;
  }

  /** The fence known in the partition's current term, or undefined when it must be read first. */
  private current(partition: number, id: string): number | undefined {
    const known = this.known.get(id);
    return known && known.term === this.c.termOf(partition) ? known.version : undefined;
  }

  /** Learns at least `version` for the fence in the current term (fences only rise). */
  private learn(partition: number, id: string, version: number): void {
    const term = this.c.termOf(partition);
    const known = this.known.get(id);
    if (known && known.term === term) known.version = Math.max(known.version, version);
    else this.known.set(id, { term, version, recorded: 0 });
  }

  /** Reads the partition's fence record of the table (once per term, shared by concurrent writes). */
  private load(partition: number, id: string): Promise<void> {
    let loading = this.loading.get(id);
    if (!loading) {
      const tableId = Buffer.from(id.slice(id.indexOf(':') + 1), 'latin1');
      loading = (async () => {
        try {
          const record = await this.c.replicas.current(dataKey(partition, fenceKeyOf(tableId)));
          const version = record && !record.tombstone ? fenceVersionOf(recordItem(record)) : 0;
          this.learn(partition, id, version);
          // What the term's first entries see: the applied record (a new leader serves once its log is applied).
          const known = this.known.get(id)!;
          known.recorded = Math.max(known.recorded, version);
        } finally {
          this.loading.delete(id);
        }
      })();
      this.loading.set(id, loading);
    }
    return loading;
  }

  /** A write of the fence record: raise the fence, then let the writes admitted before it land. */
  private async raise(partition: number, tableId: Buffer, version: number): Promise<void> {
    const id = this.idOf(partition, tableId);
    // What the record holds already counts too: a fence never goes down.
    if (this.current(partition, id) === undefined) await this.load(partition, id);
    this.learn(partition, id, version);
    const earlier = [...(this.admitted.get(partition) ?? [])];
    if (earlier.length > 0) await Promise.all(earlier);
    this.c.log.info('index fence raised', { partition, tableId: tableId.toString('hex'), schemaVersion: version, writesAwaited: earlier.length });
  }

  /**
   * Remembers an admitted write until it has been staged and is on local disk (where a range read
   * sees it): the item's lock is taken once more behind the write, which releases it once its
   * records are staged (or it decided not to write), then the record's sync is awaited. Neither
   * step can fail. (Costs a write ~3-5 µs of CPU, about 1% of it.)
   */
  private track(partition: number, itemKey: Buffer): void {
    let admitted = this.admitted.get(partition);
    if (!admitted) this.admitted.set(partition, (admitted = new Set()));
    const landed: Promise<void> = this.c.replicas
      .withKey(partition, itemKey, async (key) => key)
      .then((key) => this.c.replicas.settled(key))
      .then(() => {
        admitted!.delete(landed);
      });
    admitted.add(landed);
  }
}
