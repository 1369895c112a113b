import { parseTestDelays } from '../src/test-delays';

describe('parseTestDelays', () => {
  it('is empty without the variable', () => {
    expect(parseTestDelays(undefined).size).toBe(0);
    expect(parseTestDelays('').size).toBe(0);
  });

  it('takes a plain delay or one limited to keys containing a string', () => {
    expect(parseTestDelays('{"write.afterLeaseCheck":1500}').get('write.afterLeaseCheck')).toEqual({ ms: 1500, keyContains: undefined });
    expect(parseTestDelays('{"write.afterLeaseCheck":{"ms":20,"keyContains":"stale-"}}').get('write.afterLeaseCheck')).toEqual({
      ms: 20,
      keyContains: Buffer.from('stale-'),
    });
  });

  it('refuses unknown points, bad delays and bad filters, so that a misconfigured node does not start', () => {
    expect(() => parseTestDelays('{"write.afterLeasCheck":10}')).toThrow(/unknown point/);
    expect(() => parseTestDelays('{"write.afterLeaseCheck":-1}')).toThrow(/0-60000 ms/);
    expect(() => parseTestDelays('{"write.afterLeaseCheck":{"ms":"10"}}')).toThrow(/0-60000 ms/);
    expect(() => parseTestDelays('{"write.afterLeaseCheck":{"ms":10,"keyContains":""}}')).toThrow(/keyContains/);
    expect(() => parseTestDelays('[1]')).toThrow(/JSON object/);
    expect(() => parseTestDelays('{')).toThrow();
  });
});
