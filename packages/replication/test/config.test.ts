import { DEFAULT_ELECTION_CONFIG, InvalidConfigError, resolveElectionConfig } from '../src';

describe('resolveElectionConfig', () => {
  it('fills in safe defaults', () => {
    expect(resolveElectionConfig()).toEqual({
      heartbeatIntervalMs: 100,
      electionTimeoutMinMs: 1000,
      electionTimeoutMaxMs: 2000,
      leaseDurationMs: 900,
      rankedElectionTimeouts: true,
      clockDriftMarginMs: 100,
      balanceHoldMs: 3000,
      balanceTransfersPerRoundMax: 8,
    });
    expect(resolveElectionConfig({ balanceHoldMs: 0, electionTimeoutMaxMs: undefined }).balanceHoldMs).toBe(0);
  });

  it.each([
    ['a lease that outlives the stickiness of its voters', { leaseDurationMs: 950 }, /must not exceed electionTimeoutMinMs/],
    ['a minimum timeout above the maximum', { electionTimeoutMinMs: 2500 }, /exceeds/],
    ['a lease shorter than three heartbeats', { heartbeatIntervalMs: 400 }, /three heartbeat intervals/],
    ['a margin that does not cover clock drift', { clockDriftMarginMs: 10 }, /clock drift/],
    ['a zero heartbeat interval', { heartbeatIntervalMs: 0 }, /positive/],
    ['a fractional value', { leaseDurationMs: 800.5 }, /integer/],
    ['a negative value', { balanceHoldMs: -1 }, /integer/],
    ['an unknown option', { electionTimeoutMs: 1000 } as never, /unknown/],
  ])('refuses %s', (_what, options, message) => {
    expect(() => resolveElectionConfig(options)).toThrow(InvalidConfigError);
    expect(() => resolveElectionConfig(options)).toThrow(message);
  });

  it('exposes frozen defaults', () => {
    expect(Object.isFrozen(DEFAULT_ELECTION_CONFIG)).toBe(true);
  });
});
