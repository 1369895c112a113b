import type { MemberState } from '@triad/membership';

/**
 * Whether `selfId` is the live router (alive or suspected, as gossip sees members) with the
 * smallest id: background work that one router is enough for (the global index reconciler) runs
 * there. Routers that see membership differently may both think so; such work must tolerate that.
 */
export function isFirstLiveRouter(members: readonly Pick<MemberState, 'id' | 'role' | 'status'>[], selfId: string): boolean {
  const live = members.filter((m) => m.role === 'router' && (m.status === 'alive' || m.status === 'suspect')).map((m) => m.id);
  if (!live.includes(selfId)) live.push(selfId);
  return live.sort()[0] === selfId;
}
