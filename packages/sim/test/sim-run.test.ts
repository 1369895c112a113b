import { checkRegisters, focusTrace, formatSimReport, runSeed, summarize } from '../src';

// The nodes' winston loggers write to stderr: only what goes wrong.
process.env.TRIAD_LOG_LEVEL ??= 'error';

describe('seeded simulation runs (workload, fault schedule, checks)', () => {
  test('short seeds of the real code pass every check, with faults and operations of every outcome', async () => {
    const results = [];
    for (const seed of [101, 102, 103]) results.push(await runSeed({ seed, steps: 12 }));
    const report = summarize(results);
    expect(report.failed).toEqual([]);
    expect(report.operations).toBeGreaterThan(3 * 4 * 12);
    expect(Object.values(report.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(report.leaderSamples).toBeGreaterThan(0);
    expect(formatSimReport(report, 1000)).toMatch(/seeds run: +3 \(0 failed\)/);
  }, 60_000);

  test('the same seed replays the same run, trace line for line', async () => {
    const first = await runSeed({ seed: 7, steps: 8, keepTrace: true });
    const again = await runSeed({ seed: 7, steps: 8, keepTrace: true });
    expect(again.trace).toEqual(first.trace);
    expect(first.trace!.some((line) => line.includes('call   client-'))).toBe(true);
  }, 60_000);

  test('fault points strike only where enabled, and the report counts them by name', async () => {
    // Planted bugs are found in short-seeds/planted-bugs.test.ts.
    const results = [];
    for (const seed of [101, 102]) results.push(await runSeed({ seed, steps: 12, faultPoints: ['write.afterLeaseCheck', 'replica.dropReply'] }));
    const report = summarize(results);
    expect(report.failed).toEqual([]);
    expect(results[0]!.faultPointsEnabled).toEqual(['write.afterLeaseCheck', 'replica.dropReply']);
    expect(Object.keys(report.faultPoints).sort()).toEqual(['replica.dropReply', 'write.afterLeaseCheck']);
    expect(report.faultPoints['write.afterLeaseCheck']).toBeGreaterThan(0);
    expect(formatSimReport(report, 1000)).toMatch(/fault points: +replica\.dropReply \d+, write\.afterLeaseCheck \d+/);
  }, 60_000);
});

describe('the register checks', () => {
  const at = (invokeMs: number, completeMs: number) => ({ invokeMs, completeMs, ok: true as const });

  test('a final value from before the last acknowledged write is a lost write', () => {
    const failures: string[] = [];
    checkRegisters(
      [
        { ...at(0, 1), kind: 'write', input: 'a', key: 'g0#s0', clientId: 'c1' },
        { ...at(2, 3), kind: 'write', input: 'b', key: 'g0#s0', clientId: 'c1' },
        { ...at(10, 11), kind: 'read', output: 'a', key: 'g0#s0', clientId: 'final' },
      ],
      failures,
    );
    expect(failures.some((f) => f.startsWith('acknowledged write lost: g0#s0 reads a'))).toBe(true);
    expect(failures.some((f) => f.startsWith('not linearizable'))).toBe(true);
  });

  test('a write of unknown outcome may be the final value', () => {
    const failures: string[] = [];
    checkRegisters(
      [
        { ...at(0, 1), kind: 'write', input: 'a', key: 'g0#s0', clientId: 'c1' },
        { invokeMs: 2, ok: 'unknown', kind: 'write', input: 'b', key: 'g0#s0', clientId: 'c2' },
        { ...at(10, 11), kind: 'read', output: 'b', key: 'g0#s0', clientId: 'final' },
      ],
      failures,
    );
    expect(failures).toEqual([]);
  });
});

describe('a replay\'s focused trace', () => {
  test('keeps every fault and the calls and answers on the keys (and their groups) the failures name', () => {
    const trace = [
      '       1.000 net    #1 router-a->storage-a execute sent 28B ',
      '       2.000 call   client-0 g1#s0 PutItem',
      '       3.000 answer client-0 g1#s0 PutItem ok client-0:1 (sent at 2.000)',
      '       4.000 call   client-1 g2#s1 GetItem',
      '       5.000 FAULT  crash storage-b (unsynced log records 3, kept 0)',
      '       6.000 call   client-2 g1 Query',
      '       7.000 call   client-2 c0 UpdateItem ADD',
      '       8.000 call   client-3 g1#s1 PutItem if g1#s0',
    ];
    expect(focusTrace(trace, ['not linearizable: key g1#s0: key "g1#s0" …', 'counter c0 is 3: …'])).toEqual([trace[1], trace[2], trace[4], trace[5], trace[6]]);
  });
});
