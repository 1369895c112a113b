/** Master key rotation's pure decisions: which key a sealed secret names, its state, what to re-seal. */
import { countBySealState, sealedKeyId, sealState, secretsToReseal } from '../../src/auth/master-key-rotation';

const keys = { keyId: 'new0000000000000', previousKeyIds: ['old0000000000000'] };
const underNew = 'v1:new0000000000000:AAAA';
const underOld = 'v1:old0000000000000:BBBB';
const underOther = 'v1:other00000000000:CCCC';

describe('master key rotation decisions', () => {
  test('the key id is read from the sealed value; anything else is not a sealed value', () => {
    expect(sealedKeyId(underOld)).toBe('old0000000000000');
    for (const bad of ['', 'v1', 'v1:', 'v1:id', 'v2:id:AAAA', 'v1:id:AA:extra', 'plain secret']) expect(sealedKeyId(bad)).toBeUndefined();
  });

  test('current, previous, or a key this router does not hold', () => {
    expect(sealState(underNew, keys)).toBe('current');
    expect(sealState(underOld, keys)).toBe('previous');
    expect(sealState(underOther, keys)).toBe('unknown');
    expect(sealState('garbage', keys)).toBe('unknown');
    expect(sealState(underNew, undefined)).toBe('unknown');
    expect(countBySealState([underNew, underOld, underOld, underOther], keys)).toEqual({ current: 1, previous: 2, unknown: 1 });
  });

  test('re-sealed: secrets under a previous key that were opened, sorted by id, at most the limit', () => {
    const entries = [
      { accessKeyId: 'C', sealedSecret: underOld, opened: true },
      { accessKeyId: 'A', sealedSecret: underOld, opened: true },
      { accessKeyId: 'B', sealedSecret: underNew, opened: true },
      { accessKeyId: 'D', sealedSecret: underOther, opened: false },
      { accessKeyId: 'E', sealedSecret: underOld, opened: false },
      { accessKeyId: 'F', sealedSecret: underOld, opened: true },
    ];
    expect(secretsToReseal(entries, keys, 10).map((e) => e.accessKeyId)).toEqual(['A', 'C', 'F']);
    expect(secretsToReseal(entries, keys, 2).map((e) => e.accessKeyId)).toEqual(['A', 'C']);
    // No previous key (no rotation under way), or no master key: nothing.
    expect(secretsToReseal(entries, { keyId: keys.keyId, previousKeyIds: [] }, 10)).toEqual([]);
    expect(secretsToReseal(entries, undefined, 10)).toEqual([]);
  });
});
