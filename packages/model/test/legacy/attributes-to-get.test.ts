import { projectItem } from '../../src/expressions';
import { attributesToGetToProjection } from '../../src/legacy';
import { INVALID, expectValidation, sample } from './helpers';

describe('attributesToGetToProjection', () => {
  it('projects top-level attributes by literal name', () => {
    expect(attributesToGetToProjection(['n', 'a.b'])).toEqual([['n'], ['a.b']]);
    expect(projectItem(sample(), attributesToGetToProjection(['n', 'a.b', 'missing']))).toEqual({ n: { N: '5' }, 'a.b': { S: 'dotted' } });
  });

  it('rejects duplicates', () => {
    expectValidation(() => attributesToGetToProjection(['a', 'b', 'a']), `${INVALID}Duplicate value in attribute name: a`);
  });
});
