/** What a member is, as every other member learns it by gossip. */

export type MemberRole = 'router' | 'storage';

/**
 * - `alive`: answers probes.
 * - `suspect`: a probe failed; it has a suspicion timeout to refute before it is declared dead.
 * - `dead`: failed and did not refute. It keeps its place in the ring; only `remove` forgets it.
 * - `left`: said goodbye on purpose (graceful shutdown).
 */
export type MemberStatus = 'alive' | 'suspect' | 'dead' | 'left';

export const MEMBER_STATUSES: readonly MemberStatus[] = ['alive', 'suspect', 'dead', 'left'];

/** What a member advertises about itself; it changes only with a new incarnation. */
export interface MemberInfo {
  id: string;
  zone: string;
  role: MemberRole;
  /** host:port of its gRPC services (membership shares the server with the others). */
  address: string;
  /** host:port of its Prometheus endpoint, when it has one. */
  metricsAddress?: string;
}

/** A member's advertised identity plus its status, as one process believes it. */
export interface MemberState extends MemberInfo {
  status: MemberStatus;
  /**
   * Only the member itself increases it: to refute a suspicion (or a stale death) about itself,
   * to change what it advertises, and to leave. Higher incarnations override lower ones.
   */
  incarnation: number;
}

/** A status change (or a first sighting) seen by one member, for logs and metrics. */
export interface MemberEvent {
  memberId: string;
  /** `undefined` when the member was not known before. */
  from: MemberStatus | undefined;
  to: MemberStatus;
  /** The member as now believed (a copy). */
  member: MemberState;
}

const STATUS_RANK: Record<MemberStatus, number> = { alive: 0, suspect: 1, dead: 2, left: 3 };

/**
 * SWIM's precedence between two claims about one member: the higher incarnation wins; at equal
 * incarnations suspect beats alive, dead beats suspect, and left beats dead (a member that left
 * on purpose is more precisely described by `left` than by `dead`).
 */
export function supersedes(claim: MemberState, current: MemberState): boolean {
  if (claim.incarnation !== current.incarnation) return claim.incarnation > current.incarnation;
  return STATUS_RANK[claim.status] > STATUS_RANK[current.status];
}

/** True when two states advertise the same identity (what only a new incarnation may change). */
export function sameInfo(a: MemberInfo, b: MemberInfo): boolean {
  return a.zone === b.zone && a.role === b.role && a.address === b.address && a.metricsAddress === b.metricsAddress;
}

export function copyState(state: MemberState): MemberState {
  const copy: MemberState = {
    id: state.id,
    zone: state.zone,
    role: state.role,
    address: state.address,
    status: state.status,
    incarnation: state.incarnation,
  };
  if (state.metricsAddress !== undefined) copy.metricsAddress = state.metricsAddress;
  return copy;
}
