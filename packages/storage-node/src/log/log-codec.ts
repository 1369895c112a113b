import { MalformedMessageError, checkLogMessage, type Configuration, type LogEntry, type LogMessage } from '@triad/replication';

/** A write's records, in one log entry: the item, its index entries and bookkeeping records, each with its final stored value. */
export interface EntryPayload {
  records: { itemKey: Buffer; value: Buffer }[];
  /**
   * A partition's switch to a new replica set (a join or decommission step): the cluster layout
   * (JSON) with the switch done. Every replica adopts it when it applies the entry, so the switch is
   * decided by the log (committed under the old set) rather than by pushes and a timer.
   */
  layout?: Buffer;
}

export type ReplicatedEntry = LogEntry<EntryPayload>;
export type ReplicationMessage = LogMessage<EntryPayload>;

const FLAG_PAYLOAD = 1;
const FLAG_PROMOTE = 2;
const FLAG_LAYOUT = 4;
/** A configuration entry (the partition's voters and learners from it on), as JSON. */
const FLAG_CONFIG = 8;
const MESSAGE_APPEND = 1;
const MESSAGE_APPEND_RESPONSE = 2;
const MESSAGE_INSTALL_SNAPSHOT = 3;

/** Bytes a payload adds to an Append (for its size bound). */
export function payloadBytes(payload: EntryPayload): number {
  let bytes = 4 + (payload.layout?.length ?? 0);
  for (const r of payload.records) bytes += 8 + r.itemKey.length + r.value.length;
  return bytes;
}

/**
 * Writes into one growing buffer; numbers big-endian, indexes as float64 (safe integers). One
 * buffer rather than a chunk per field: a leader encodes every Append it sends, and allocating and
 * concatenating a small buffer per number cost it ~5% of its CPU under a write load.
 */
class Writer {
  private buf: Buffer;
  private at = 0;
  /** `sizeHint`: the bytes expected (exact when known, so that nothing is copied again). */
  constructor(sizeHint = 256) {
    this.buf = Buffer.allocUnsafe(sizeHint);
  }
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }
  u8(v: number): void {
    this.room(1);
    this.at = this.buf.writeUInt8(v, this.at);
  }
  u32(v: number): void {
    this.room(4);
    this.at = this.buf.writeUInt32BE(v, this.at);
  }
  f64(v: number): void {
    this.room(8);
    this.at = this.buf.writeDoubleBE(v, this.at);
  }
  bytes(v: Uint8Array): void {
    this.u32(v.length);
    this.room(v.length);
    this.buf.set(v, this.at);
    this.at += v.length;
  }
  done(): Buffer {
    return this.at === this.buf.length ? this.buf : this.buf.subarray(0, this.at);
  }
}

class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  private need(n: number): void {
    if (this.at + n > this.buf.length) throw new MalformedMessageError('log record truncated');
  }
  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.at++);
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.at);
    this.at += 8;
    return v;
  }
  bytes(): Buffer {
    const n = this.u32();
    this.need(n);
    const v = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
  get atEnd(): boolean {
    return this.at === this.buf.length;
  }
}

/** A configuration as JSON bytes (rare and small: a few node ids). */
export function encodeConfiguration(config: Configuration): Buffer {
  return Buffer.from(JSON.stringify({ voters: config.voters, learners: config.learners }), 'utf8');
}

export function decodeConfiguration(bytes: Buffer): Configuration {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new MalformedMessageError('a configuration is not JSON');
  }
  const c = parsed as Configuration;
  const ids = (v: unknown) => Array.isArray(v) && v.every((id) => typeof id === 'string');
  if (typeof c !== 'object' || c === null || !ids(c.voters) || !ids(c.learners)) throw new MalformedMessageError('a configuration lacks its voters or learners');
  return { voters: [...c.voters], learners: [...c.learners] };
}

function writeEntry(w: Writer, entry: ReplicatedEntry): void {
  w.u32(entry.term);
  w.f64(entry.index);
  w.u8((entry.payload ? FLAG_PAYLOAD : 0) | (entry.promote ? FLAG_PROMOTE : 0) | (entry.payload?.layout ? FLAG_LAYOUT : 0) | (entry.config ? FLAG_CONFIG : 0));
  if (entry.config) w.bytes(encodeConfiguration(entry.config));
  if (entry.promote) {
    w.bytes(Buffer.from(entry.promote.node, 'utf8'));
    w.u32(entry.promote.generation);
  }
  if (entry.payload?.layout) w.bytes(entry.payload.layout);
  if (entry.payload) {
    w.u32(entry.payload.records.length);
    for (const r of entry.payload.records) {
      w.bytes(r.itemKey);
      w.bytes(r.value);
    }
  }
}

/** `copy`: the entry's buffers are copies (else views of the buffer read, which the entry then keeps whole). */
function readEntry(r: Reader, copy = true): ReplicatedEntry {
  const own = copy ? (bytes: Buffer) => Buffer.from(bytes) : (bytes: Buffer) => bytes;
  const term = r.u32();
  const index = r.f64();
  const flags = r.u8();
  const entry: ReplicatedEntry = { term, index, payload: undefined };
  if (flags & FLAG_CONFIG) entry.config = decodeConfiguration(r.bytes());
  if (flags & FLAG_PROMOTE) entry.promote = { node: r.bytes().toString('utf8'), generation: r.u32() };
  const layout = flags & FLAG_LAYOUT ? own(r.bytes()) : undefined;
  if (flags & FLAG_PAYLOAD) {
    const count = r.u32();
    const records: EntryPayload['records'] = [];
    for (let i = 0; i < count; i++) records.push({ itemKey: own(r.bytes()), value: own(r.bytes()) });
    entry.payload = layout ? { records, layout } : { records };
  }
  return entry;
}

/**
 * Each entry's bytes, made once: the same bytes go to disk and, inside Appends, to every follower.
 * (Entries are never changed once made.)
 */
const encodedEntries = new WeakMap<ReplicatedEntry, Buffer>();

/** A log entry as stored in RocksDB (and carried in Appends). */
export function encodeEntry(entry: ReplicatedEntry): Buffer {
  let bytes = encodedEntries.get(entry);
  if (!bytes) {
    const w = new Writer(entry.payload ? 64 + payloadBytes(entry.payload) : 64);
    writeEntry(w, entry);
    bytes = w.done();
    encodedEntries.set(entry, bytes);
  }
  return bytes;
}

export function decodeEntry(value: Buffer, copy = true): ReplicatedEntry {
  const r = new Reader(value);
  const entry = readEntry(r, copy);
  if (!r.atEnd) throw new MalformedMessageError('log entry has trailing bytes');
  return entry;
}

/** Log messages for one peer, in one ElectionPacket's `log` field. */
export function encodeLogMessages(messages: readonly ReplicationMessage[]): Buffer {
  // The exact size of Appends (most of the bytes): header, then each entry's length and bytes.
  let size = 4;
  for (const m of messages) {
    size += 64;
    if (m.type === 'Append') for (const entry of m.entries) size += 4 + encodeEntry(entry).length;
  }
  const w = new Writer(size);
  w.u32(messages.length);
  for (const m of messages) {
    switch (m.type) {
      case 'Append':
        w.u8(MESSAGE_APPEND);
        w.u32(m.partition);
        w.u32(m.term);
        w.f64(m.prevIndex);
        w.u32(m.prevTerm);
        w.f64(m.commit);
        w.u32(m.entries.length);
        for (const entry of m.entries) w.bytes(encodeEntry(entry));
        break;
      case 'AppendResponse':
        w.u8(MESSAGE_APPEND_RESPONSE);
        w.u32(m.partition);
        w.u32(m.term);
        w.u8((m.success ? 1 : 0) | (m.learner ? 2 : 0));
        w.f64(m.match);
        w.u32(m.generation);
        break;
      case 'InstallSnapshot':
        w.u8(MESSAGE_INSTALL_SNAPSHOT);
        w.u32(m.partition);
        w.u32(m.term);
        w.f64(m.index);
        w.u32(m.snapshotTerm);
        w.f64(m.commit);
        w.u32(m.generation);
        w.bytes(encodeConfiguration(m.config));
        break;
    }
  }
  return w.done();
}

/** Decodes and checks log messages; throws MalformedMessageError for anything a peer could not have sent. */
export function decodeLogMessages(buf: Buffer): ReplicationMessage[] {
  const r = new Reader(buf);
  const count = r.u32();
  const out: ReplicationMessage[] = [];
  for (let i = 0; i < count; i++) {
    const kind = r.u8();
    const partition = r.u32();
    const term = r.u32();
    let message: ReplicationMessage;
    if (kind === MESSAGE_APPEND) {
      const prevIndex = r.f64();
      const prevTerm = r.u32();
      const commit = r.f64();
      const n = r.u32();
      const entries: ReplicatedEntry[] = [];
      for (let j = 0; j < n; j++) {
        // The bytes as received are the entry's encoding: one copy of them (so that the packet is
        // not kept) holds the entry's records too, and goes to the follower's log as it is rather
        // than the entry being encoded again.
        const bytes = Buffer.from(r.bytes());
        const entry = decodeEntry(bytes, false);
        encodedEntries.set(entry, bytes);
        entries.push(entry);
      }
      message = { type: 'Append', partition, term, prevIndex, prevTerm, commit, entries };
    } else if (kind === MESSAGE_APPEND_RESPONSE) {
      const flags = r.u8();
      message = { type: 'AppendResponse', partition, term, success: (flags & 1) !== 0, learner: (flags & 2) !== 0, match: r.f64(), generation: r.u32() };
    } else if (kind === MESSAGE_INSTALL_SNAPSHOT) {
      message = { type: 'InstallSnapshot', partition, term, index: r.f64(), snapshotTerm: r.u32(), commit: r.f64(), generation: r.u32(), config: decodeConfiguration(r.bytes()) };
    } else {
      throw new MalformedMessageError(`unknown log message kind ${kind}`);
    }
    out.push(checkLogMessage(message));
  }
  if (!r.atEnd) throw new MalformedMessageError('log messages have trailing bytes');
  return out;
}
