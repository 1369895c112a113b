import type { PersistRecord, PersistedElectionState } from '@triad/replication';
import type { StorageEngine, WriteOp } from '../storage/storage-engine';
import { prefixEnd } from '../storage/storage-keys';

const ELECTION_PREFIX = 0x65; // 'e'

function electionKey(partition: number): Buffer {
  const key = Buffer.alloc(3);
  key.writeUInt8(ELECTION_PREFIX, 0);
  key.writeUInt16BE(partition, 1);
  return key;
}

/** Each partition's term and vote, durable before any election message that depends on them is sent. */
export class ElectionStore {
  constructor(private readonly store: StorageEngine) {}

  async load(): Promise<Map<number, PersistedElectionState>> {
    const states = new Map<number, PersistedElectionState>();
    const prefix = Buffer.from([ELECTION_PREFIX]);
    await this.store.forEach({ gte: prefix, lt: prefixEnd(prefix) }, (key, value) => {
      states.set(key.readUInt16BE(1), JSON.parse(value.toString('utf8')) as PersistedElectionState);
      return true;
    });
    return states;
  }

  /** The writes that make these records durable, for the same group commit as the log entries. */
  opsFor(records: readonly PersistRecord[]): WriteOp[] {
    return records.map((r) => ({ type: 'put', key: electionKey(r.partition), value: Buffer.from(JSON.stringify({ term: r.term, votedFor: r.votedFor })) }));
  }
}
