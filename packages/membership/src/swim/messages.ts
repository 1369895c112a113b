import { INCARNATION_MAX, MEMBERS_MAX, MEMBER_FIELD_LENGTH_MAX, PIGGYBACK_UPDATES_MAX } from '../limits';
import { MEMBER_STATUSES, type MemberState } from './types';

/**
 * SWIM messages: plain JSON objects with a `type`. Every message names its sender (`from` is the
 * sender's member id, `fromAddress` where it listens). A transport carries one message per packet
 * and may carry a direct reply back (a ping's reply is its ack; a sync's is a sync-reply).
 */

/** "Are you alive?" — answered by an ack carrying the same seqNo. */
export interface PingMessage {
  type: 'ping';
  seqNo: number;
  from: string;
  fromAddress: string;
  /** The member the sender means to reach; a different member at that address does not ack. */
  targetId: string;
  updates: MemberState[];
}

/** The answer to a ping, directly or relayed by the member that ran a ping-req. */
export interface AckMessage {
  type: 'ack';
  seqNo: number;
  from: string;
  fromAddress: string;
  updates: MemberState[];
}

/** "Please ping `targetId` for me and relay its ack" — SWIM's indirect probe. */
export interface PingReqMessage {
  type: 'ping-req';
  /** The requester's probe seqNo, echoed in the relayed ack. */
  seqNo: number;
  from: string;
  fromAddress: string;
  targetId: string;
  targetAddress: string;
  updates: MemberState[];
}

/** Full-state push (join, anti-entropy, reconnect); answered by a sync-reply with the receiver's state. */
export interface SyncMessage {
  type: 'sync';
  from: string;
  fromAddress: string;
  /** True when the sender is joining through a seed (for logs; the merge is the same). */
  join: boolean;
  members: MemberState[];
}

export interface SyncReplyMessage {
  type: 'sync-reply';
  from: string;
  fromAddress: string;
  members: MemberState[];
}

/** One-way dissemination without a probe: a graceful leave is told this way. No reply. */
export interface GossipMessage {
  type: 'gossip';
  from: string;
  fromAddress: string;
  updates: MemberState[];
}

export type SwimMessage = PingMessage | AckMessage | PingReqMessage | SyncMessage | SyncReplyMessage | GossipMessage;

export type SwimMessageType = SwimMessage['type'];

/** A message to send; `toAddress` is where the recipient listens. */
export interface OutgoingMessage {
  toAddress: string;
  message: SwimMessage;
}

/** A packet that is not a well-formed SWIM message: an operating condition (a foreign or broken peer), not a bug. */
export class InvalidSwimMessageError extends Error {
  override readonly name = 'InvalidSwimMessageError';
}

function fail(why: string): never {
  throw new InvalidSwimMessageError(`invalid swim message: ${why}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown, field: string, optional = false): string | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > MEMBER_FIELD_LENGTH_MAX) {
    fail(`${field} must be a string of 1..${MEMBER_FIELD_LENGTH_MAX} characters`);
  }
  return value;
}

function count(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(`${field} must be a non-negative integer`);
  return value;
}

function memberState(value: unknown, field: string): MemberState {
  if (!isObject(value)) fail(`${field} must be an object`);
  const role = value.role;
  if (role !== 'router' && role !== 'storage') fail(`${field}.role must be router or storage`);
  const status = value.status;
  if (!MEMBER_STATUSES.includes(status as MemberState['status'])) fail(`${field}.status must be one of ${MEMBER_STATUSES.join(', ')}`);
  const state: MemberState = {
    id: text(value.id, `${field}.id`)!,
    zone: text(value.zone, `${field}.zone`)!,
    role,
    address: text(value.address, `${field}.address`)!,
    status: status as MemberState['status'],
    incarnation: count(value.incarnation, `${field}.incarnation`),
  };
  if (state.incarnation > INCARNATION_MAX) fail(`${field}.incarnation exceeds ${INCARNATION_MAX}`);
  const metricsAddress = text(value.metricsAddress, `${field}.metricsAddress`, true);
  if (metricsAddress !== undefined) state.metricsAddress = metricsAddress;
  return state;
}

function states(value: unknown, field: string, max: number): MemberState[] {
  if (!Array.isArray(value)) fail(`${field} must be an array`);
  if (value.length > max) fail(`${field} has ${value.length} entries, more than ${max}`);
  return value.map((entry, i) => memberState(entry, `${field}[${i}]`));
}

/**
 * Checks a decoded packet and returns it as a typed message, keeping only the known fields.
 * Throws InvalidSwimMessageError when it is not one.
 */
export function parseSwimMessage(value: unknown): SwimMessage {
  if (!isObject(value)) fail('not an object');
  const from = text(value.from, 'from')!;
  const fromAddress = text(value.fromAddress, 'fromAddress')!;
  switch (value.type) {
    case 'ping':
      return {
        type: 'ping',
        seqNo: count(value.seqNo, 'seqNo'),
        from,
        fromAddress,
        targetId: text(value.targetId, 'targetId')!,
        updates: states(value.updates, 'updates', PIGGYBACK_UPDATES_MAX),
      };
    case 'ack':
      return { type: 'ack', seqNo: count(value.seqNo, 'seqNo'), from, fromAddress, updates: states(value.updates, 'updates', PIGGYBACK_UPDATES_MAX) };
    case 'ping-req':
      return {
        type: 'ping-req',
        seqNo: count(value.seqNo, 'seqNo'),
        from,
        fromAddress,
        targetId: text(value.targetId, 'targetId')!,
        targetAddress: text(value.targetAddress, 'targetAddress')!,
        updates: states(value.updates, 'updates', PIGGYBACK_UPDATES_MAX),
      };
    case 'sync':
      if (typeof value.join !== 'boolean') fail('join must be a boolean');
      return { type: 'sync', from, fromAddress, join: value.join, members: states(value.members, 'members', MEMBERS_MAX) };
    case 'sync-reply':
      return { type: 'sync-reply', from, fromAddress, members: states(value.members, 'members', MEMBERS_MAX) };
    case 'gossip':
      return { type: 'gossip', from, fromAddress, updates: states(value.updates, 'updates', PIGGYBACK_UPDATES_MAX) };
    default:
      return fail(`unknown type ${JSON.stringify(value.type)}`);
  }
}
