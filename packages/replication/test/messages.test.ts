import { HEARTBEAT_ENTRIES_MAX, MalformedMessageError, TERM_MAX, decodeMessage, type Message } from '../src';

const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const EXAMPLES: Message[] = [
  { type: 'VoteRequest', partition: 3, term: 7, preVote: true, force: false, lastLogTerm: 0, lastLogIndex: 0 },
  { type: 'VoteResponse', partition: 3, term: 7, preVote: false, granted: true },
  { type: 'Heartbeat', round: 12, boot: 99, draining: false, entries: [{ partition: 0, term: 2 }, { partition: 64, term: 1 }] },
  { type: 'HeartbeatAck', round: 12, boot: 5, draining: true, entries: [{ partition: 0, term: 3, ok: false }] },
  { type: 'TimeoutNow', partition: 64, term: 2, leasesClear: true },
];

describe('decodeMessage', () => {
  it.each(EXAMPLES.map((m) => [m.type, m]))('round-trips a %s through JSON', (_type, message) => {
    expect(decodeMessage(wire(message))).toEqual(message);
  });

  it('keeps only the known fields', () => {
    expect(decodeMessage({ ...EXAMPLES[0], extra: 1 })).toEqual(EXAMPLES[0]);
    const hb = { ...EXAMPLES[2], entries: [{ partition: 1, term: 1, junk: true }] };
    expect(decodeMessage(hb)).toEqual({ ...EXAMPLES[2], entries: [{ partition: 1, term: 1 }] });
  });

  it.each([
    ['not an object', 'x'],
    ['an array', []],
    ['null', null],
    ['an unknown type', { type: 'AppendEntries' }],
    ['a missing field', { type: 'VoteRequest', partition: 1, term: 1, preVote: true }],
    ['a negative term', { ...EXAMPLES[0], term: -1 }],
    ['a fractional partition', { ...EXAMPLES[0], partition: 1.5 }],
    ['a term beyond u32', { ...EXAMPLES[0], term: TERM_MAX + 1 }],
    ['a partition beyond the maximum', { ...EXAMPLES[4], partition: 1e9 }],
    ['a string boolean', { ...EXAMPLES[1], granted: 'true' }],
    ['entries that are not an array', { ...EXAMPLES[2], entries: {} }],
    ['a malformed entry', { ...EXAMPLES[3], entries: [{ partition: 0, term: 1 }] }],
    ['a missing boot id', { type: 'Heartbeat', round: 1, draining: false, entries: [] }],
  ])('rejects %s', (_what, value) => {
    expect(() => decodeMessage(value)).toThrow(MalformedMessageError);
  });

  it('rejects a heartbeat with more entries than any node can share', () => {
    const entries = Array.from({ length: HEARTBEAT_ENTRIES_MAX + 1 }, () => ({ partition: 0, term: 0 }));
    expect(() => decodeMessage({ ...EXAMPLES[2], entries })).toThrow(/more than/);
  });
});
