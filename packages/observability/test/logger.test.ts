import { createLogger } from '../src/logger';

/** A clock that counts how often a line was timestamped (every line formatted is). */
function countingClock() {
  const clock = { calls: 0, nowMs: () => (clock.calls++, 0) };
  return clock;
}

const identity = { nodeId: 'n1', zone: 'a', role: 'storage' as const };

describe('createLogger', () => {
  let written: jest.SpyInstance;
  beforeEach(() => {
    const stream = (console as unknown as { _stderr?: NodeJS.WriteStream })._stderr ?? process.stderr;
    written = jest.spyOn(stream, 'write').mockImplementation(() => true);
  });
  afterEach(() => written.mockRestore());

  it('formats no line below its level', () => {
    const clock = countingClock();
    const log = createLogger(identity, 'warn', clock);
    log.info('not written', { partition: 1 });
    log.debug('not written either');
    expect(clock.calls).toBe(0);
    log.warn('written', { partition: 1 });
    log.error('written too');
    expect(clock.calls).toBe(2);
  });

  it('follows a later change of level, and child loggers', () => {
    const clock = countingClock();
    const log = createLogger(identity, 'error', clock);
    log.info('dropped');
    log.level = 'info';
    log.info('kept');
    expect(clock.calls).toBe(1);
    log.child({ request: 'r1' }).debug('dropped');
    log.child({ request: 'r1' }).info('kept');
    expect(clock.calls).toBe(2);
  });

  it('returns the logger, for chained calls', () => {
    const log = createLogger(identity, 'error', countingClock());
    expect(log.info('dropped')).toBe(log);
  });
});
