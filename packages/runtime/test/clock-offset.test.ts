import { parseClockOffsetMs } from '../src/clock-offset';

describe('the wall clock offset (TRIAD_CLOCK_OFFSET_MS)', () => {
  test('absent or empty is no offset; numbers are milliseconds, negative ones too', () => {
    expect(parseClockOffsetMs(undefined)).toBe(0);
    expect(parseClockOffsetMs('')).toBe(0);
    expect(parseClockOffsetMs('1500')).toBe(1500);
    expect(parseClockOffsetMs('-2500.5')).toBe(-2500.5);
  });

  test('anything else is refused, naming the variable', () => {
    expect(() => parseClockOffsetMs('soon')).toThrow(/TRIAD_CLOCK_OFFSET_MS/);
    expect(() => parseClockOffsetMs(String(2 * 24 * 60 * 60 * 1000))).toThrow(/within/);
  });

  test('a process started with an offset reads its wall clock shifted by it, and its monotonic clock not', () => {
    const previous = process.env.TRIAD_CLOCK_OFFSET_MS;
    process.env.TRIAD_CLOCK_OFFSET_MS = '-3600000';
    try {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { realEnvironment } = require('../src/real-environment') as typeof import('../src/real-environment');
        const before = Date.now();
        const read = realEnvironment.nowMs();
        expect(read).toBeGreaterThanOrEqual(before - 3_600_000);
        expect(read).toBeLessThan(before - 3_600_000 + 1_000);
        expect(Math.abs(realEnvironment.monotonicMs() - performance.now())).toBeLessThan(1_000);
      });
    } finally {
      if (previous === undefined) delete process.env.TRIAD_CLOCK_OFFSET_MS;
      else process.env.TRIAD_CLOCK_OFFSET_MS = previous;
    }
  });
});
