/**
 * The election protocol's messages: plain JSON objects with a `type` discriminator, sent between
 * storage nodes as JSON bytes inside gRPC. The sender's id comes from the transport, not from the
 * message. Field names are part of the wire format: add fields, never rename or reuse them.
 */
import { MalformedMessageError } from './errors';
import { BOOT_ID_MAX, HEARTBEAT_ENTRIES_MAX, PARTITION_ID_MAX, TERM_MAX } from './limits';

/**
 * Asks for a vote in `term` (a real vote) or asks whether the receiver would vote in `term`
 * (`preVote`: nothing changes on either side). `force` marks a campaign started by a leadership
 * transfer (the leader has already stopped serving), which voters grant despite leader stickiness.
 */
export interface VoteRequest {
  type: 'VoteRequest';
  partition: number;
  term: number;
  preVote: boolean;
  force: boolean;
  /** The candidate's last log entry: voters refuse a candidate whose log is behind theirs. */
  lastLogTerm: number;
  lastLogIndex: number;
}

/** Answer to a `VoteRequest`. `term` is the request's term when granted, the voter's own otherwise. */
export interface VoteResponse {
  type: 'VoteResponse';
  partition: number;
  term: number;
  preVote: boolean;
  granted: boolean;
}

export interface HeartbeatEntry {
  partition: number;
  term: number;
}

/**
 * One per pair of nodes per round, coalescing every partition the sender leads that the receiver
 * replicates. `round` identifies the round so that the ack can be matched with its send time,
 * which starts the lease. `draining` advertises that the sender wants to shed leadership.
 */
export interface Heartbeat {
  type: 'Heartbeat';
  round: number;
  /** The sender's boot id, random per process start: a change tells peers it restarted. */
  boot: number;
  draining: boolean;
  entries: HeartbeatEntry[];
}

/** `ok: false` rejects a stale leader: `term` is then the follower's higher term. */
export interface HeartbeatAckEntry {
  partition: number;
  term: number;
  ok: boolean;
}

/** The answer to one `Heartbeat`, echoing its round. */
export interface HeartbeatAck {
  type: 'HeartbeatAck';
  round: number;
  boot: number;
  draining: boolean;
  entries: HeartbeatAckEntry[];
}

/**
 * From the leader of `term` to the replica it hands leadership to: campaign now. The leader has
 * stopped serving before sending it. `leasesClear` says that no lease of an earlier term can still
 * be valid (the leader's own lease wait had passed), so the new leader need not wait one out.
 */
export interface TimeoutNow {
  type: 'TimeoutNow';
  partition: number;
  term: number;
  leasesClear: boolean;
}

export type Message = VoteRequest | VoteResponse | Heartbeat | HeartbeatAck | TimeoutNow;
export type MessageType = Message['type'];

type Shape = Record<string, 'partition' | 'term' | 'round' | 'u32' | 'boolean' | 'index'>;

const SHAPES: Record<Exclude<MessageType, 'Heartbeat' | 'HeartbeatAck'>, Shape> = {
  VoteRequest: { partition: 'partition', term: 'term', preVote: 'boolean', force: 'boolean', lastLogTerm: 'term', lastLogIndex: 'index' },
  VoteResponse: { partition: 'partition', term: 'term', preVote: 'boolean', granted: 'boolean' },
  TimeoutNow: { partition: 'partition', term: 'term', leasesClear: 'boolean' },
};
const HEARTBEAT_SHAPE: Shape = { round: 'round', boot: 'u32', draining: 'boolean' };
const HEARTBEAT_ENTRY_SHAPE: Shape = { partition: 'partition', term: 'term' };
const HEARTBEAT_ACK_ENTRY_SHAPE: Shape = { partition: 'partition', term: 'term', ok: 'boolean' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkFields(value: Record<string, unknown>, shape: Shape, what: string): void {
  for (const [field, kind] of Object.entries(shape)) {
    const v = value[field];
    const ok =
      kind === 'boolean'
        ? typeof v === 'boolean'
        : typeof v === 'number' &&
          Number.isSafeInteger(v) &&
          v >= 0 &&
          (kind === 'partition' ? v <= PARTITION_ID_MAX : kind === 'term' ? v <= TERM_MAX : kind === 'u32' ? v <= BOOT_ID_MAX : true);
    if (!ok) throw new MalformedMessageError(`${what}.${field}: invalid ${kind} ${JSON.stringify(v)}`);
  }
}

function pick<T>(value: Record<string, unknown>, shape: Shape): T {
  const out: Record<string, unknown> = {};
  for (const field of Object.keys(shape)) out[field] = value[field];
  return out as T;
}

function decodeEntries<T>(value: unknown, shape: Shape, what: string): T[] {
  if (!Array.isArray(value)) throw new MalformedMessageError(`${what}.entries must be an array`);
  if (value.length > HEARTBEAT_ENTRIES_MAX) {
    throw new MalformedMessageError(`${what}.entries has ${value.length} entries, more than ${HEARTBEAT_ENTRIES_MAX}`);
  }
  return value.map((entry, i) => {
    if (!isRecord(entry)) throw new MalformedMessageError(`${what}.entries[${i}] must be an object`);
    checkFields(entry, shape, `${what}.entries[${i}]`);
    return pick<T>(entry, shape);
  });
}

/**
 * Checks that a value parsed from the wire is a well-formed message and returns a copy with only
 * the known fields. Throws {@link MalformedMessageError}; the transport drops such messages.
 */
export function decodeMessage(value: unknown): Message {
  if (!isRecord(value)) throw new MalformedMessageError('message must be an object');
  const type = value.type;
  switch (type) {
    case 'VoteRequest':
    case 'VoteResponse':
    case 'TimeoutNow': {
      checkFields(value, SHAPES[type], type);
      return { type, ...pick<Record<string, unknown>>(value, SHAPES[type]) } as unknown as Message;
    }
    case 'Heartbeat':
      checkFields(value, HEARTBEAT_SHAPE, type);
      return {
        type,
        round: value.round as number,
        boot: value.boot as number,
        draining: value.draining as boolean,
        entries: decodeEntries<HeartbeatEntry>(value.entries, HEARTBEAT_ENTRY_SHAPE, type),
      };
    case 'HeartbeatAck':
      checkFields(value, HEARTBEAT_SHAPE, type);
      return {
        type,
        round: value.round as number,
        boot: value.boot as number,
        draining: value.draining as boolean,
        entries: decodeEntries<HeartbeatAckEntry>(value.entries, HEARTBEAT_ACK_ENTRY_SHAPE, type),
      };
    default:
      throw new MalformedMessageError(`unknown message type ${JSON.stringify(type)}`);
  }
}
