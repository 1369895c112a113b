import type { Configuration } from '@triad/replication';

/**
 * The next single-server step of a partition move, from the configuration in force in the
 * partition's log (so a move resumes wherever a crash, a new leader or a lost proposal left it):
 * every incoming node joins as a learner, then is promoted once it holds the committed log, then
 * every leaving node is removed — never by the leader itself while it is one of them (it hands
 * leadership to a staying member first). Pure.
 */
export type ConfigurationStep =
  | { kind: 'propose'; what: 'add-learner' | 'promote' | 'remove'; node: string; next: Configuration }
  | { kind: 'hand-over'; node: string }
  | { kind: 'done' };

export function nextConfigurationStep(
  current: Configuration,
  move: { incoming: readonly string[]; leaving: readonly string[]; order: readonly string[] },
  selfId: string,
  /** Planted bug `moveSwapsVotersAtOnce` (simulation only): a learner's promotion also removes the leaving voters, in one step. */
  plantedSwap = false,
): ConfigurationStep {
  const { voters, learners } = current;
  const member = (id: string) => voters.includes(id) || learners.includes(id);
  // Voters in the layout's preference order for the new set, any others after.
  const ordered = (ids: readonly string[]) => [...move.order.filter((id) => ids.includes(id)), ...ids.filter((id) => !move.order.includes(id))];
  for (const node of move.incoming) {
    if (!member(node)) return { kind: 'propose', what: 'add-learner', node, next: { voters: [...voters], learners: [...learners, node] } };
  }
  for (const node of move.incoming) {
    if (learners.includes(node)) {
      if (plantedSwap && !move.leaving.includes(selfId)) {
        const kept = [...voters, node].filter((id) => !move.leaving.includes(id));
        return { kind: 'propose', what: 'promote', node, next: { voters: ordered(kept), learners: learners.filter((id) => id !== node && !move.leaving.includes(id)) } };
      }
      return { kind: 'propose', what: 'promote', node, next: { voters: ordered([...voters, node]), learners: learners.filter((id) => id !== node) } };
    }
  }
  for (const node of move.leaving) {
    if (!member(node)) continue;
    if (node === selfId) return { kind: 'hand-over', node };
    return { kind: 'propose', what: 'remove', node, next: { voters: ordered(voters.filter((id) => id !== node)), learners: learners.filter((id) => id !== node) } };
  }
  return { kind: 'done' };
}
