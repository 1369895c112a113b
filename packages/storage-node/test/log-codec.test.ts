import { MalformedMessageError } from '@triad/replication';
import { decodeEntry, decodeLogMessages, encodeEntry, encodeLogMessages, type ReplicatedEntry, type ReplicationMessage } from '../src/log/log-codec';

const record = (key: string, value: string) => ({ itemKey: Buffer.from(key), value: Buffer.from(value) });

describe('log codec', () => {
  const entries: ReplicatedEntry[] = [
    { term: 3, index: 7, payload: undefined },
    { term: 3, index: 8, payload: { records: [record('a', 'x'), record('b', '')] } },
    { term: 4, index: 9, payload: undefined, promote: { node: 'storage-b-1', generation: 2 } },
    { term: 4, index: 2 ** 40, payload: { records: [], layout: Buffer.from('{"epoch":3}') } },
    { term: 4, index: 10, payload: undefined, config: { voters: ['storage-a-1', 'storage-b-1', 'storage-c-1'], learners: ['storage-a-2'] } },
  ];

  it('round-trips entries as stored', () => {
    for (const entry of entries) expect(decodeEntry(encodeEntry(entry))).toEqual(entry);
  });

  it('round-trips every log message', () => {
    const messages: ReplicationMessage[] = [
      { type: 'Append', partition: 5, term: 4, prevIndex: 6, prevTerm: 3, commit: 6, entries: entries.slice(0, 3) },
      { type: 'AppendResponse', partition: 5, term: 4, success: true, match: 9, learner: false, generation: 1 },
      { type: 'AppendResponse', partition: 0, term: 9, success: false, match: 0, learner: true, generation: 3 },
      { type: 'Append', partition: 5, term: 4, prevIndex: 9, prevTerm: 4, commit: 9, entries: entries.slice(4) },
      {
        type: 'InstallSnapshot',
        partition: 64,
        term: 4,
        index: 100,
        snapshotTerm: 2,
        commit: 120,
        generation: 2,
        config: { voters: ['storage-a-2', 'storage-b-1', 'storage-c-1'], learners: [] },
      },
    ];
    expect(decodeLogMessages(encodeLogMessages(messages))).toEqual(messages);
  });

  it('refuses truncated bytes, trailing bytes and entries that do not follow prevIndex', () => {
    const good = encodeLogMessages([{ type: 'Append', partition: 1, term: 4, prevIndex: 6, prevTerm: 3, commit: 0, entries: entries.slice(0, 2) }]);
    expect(() => decodeLogMessages(good.subarray(0, good.length - 1))).toThrow(MalformedMessageError);
    expect(() => decodeLogMessages(Buffer.concat([good, Buffer.from([0])]))).toThrow(MalformedMessageError);
    const gap = encodeLogMessages([{ type: 'Append', partition: 1, term: 4, prevIndex: 5, prevTerm: 3, commit: 0, entries: entries.slice(0, 2) }]);
    expect(() => decodeLogMessages(gap)).toThrow(MalformedMessageError);
    const futureTerm = encodeLogMessages([{ type: 'Append', partition: 1, term: 2, prevIndex: 6, prevTerm: 1, commit: 0, entries: entries.slice(0, 1) }]);
    expect(() => decodeLogMessages(futureTerm)).toThrow(MalformedMessageError);
  });
});
