import { nextConfigurationStep } from '../src/movement/configuration-steps';

/** A move of one partition from {a1, b1, c1} to {a2, b1, c1}, as a join of a2 in zone a makes it. */
const MOVE = { incoming: ['a2'], leaving: ['a1'], order: ['a2', 'b1', 'c1'] };
const O = ['a1', 'b1', 'c1'];

describe('the configuration steps of a partition move', () => {
  it('adds the incoming node as a learner, promotes it, then removes the leaving node', () => {
    expect(nextConfigurationStep({ voters: O, learners: [] }, MOVE, 'b1')).toEqual({ kind: 'propose', what: 'add-learner', node: 'a2', next: { voters: O, learners: ['a2'] } });
    expect(nextConfigurationStep({ voters: O, learners: ['a2'] }, MOVE, 'b1')).toEqual({ kind: 'propose', what: 'promote', node: 'a2', next: { voters: ['a2', 'b1', 'c1', 'a1'], learners: [] } });
    expect(nextConfigurationStep({ voters: ['a2', 'b1', 'c1', 'a1'], learners: [] }, MOVE, 'b1')).toEqual({
      kind: 'propose',
      what: 'remove',
      node: 'a1',
      next: { voters: ['a2', 'b1', 'c1'], learners: [] },
    });
    expect(nextConfigurationStep({ voters: ['a2', 'b1', 'c1'], learners: [] }, MOVE, 'b1')).toEqual({ kind: 'done' });
  });

  it('resumes from whatever the log holds, and never lets the leaving leader remove itself', () => {
    // A new leader found the promotion done already.
    expect(nextConfigurationStep({ voters: ['b1', 'c1', 'a1', 'a2'], learners: [] }, MOVE, 'c1')).toMatchObject({ what: 'remove', node: 'a1' });
    expect(nextConfigurationStep({ voters: ['a1', 'b1', 'c1', 'a2'], learners: [] }, MOVE, 'a1')).toEqual({ kind: 'hand-over', node: 'a1' });
  });
});
