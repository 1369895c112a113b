import { SIMULATION_EPOCH_MS, Simulator, sleep } from '../src';

describe('Simulator: ordering', () => {
  test('timers fire in order of time, ties in the order they were set, deferred work after what is queued for now', async () => {
    const sim = new Simulator(1);
    const env = sim.environment();
    const fired: string[] = [];
    env.setTimeout(() => fired.push('b@20'), 20);
    env.setTimeout(() => fired.push('a@10'), 10);
    env.setTimeout(() => fired.push('c@20'), 20);
    env.setTimeout(() => {
      fired.push('d@10');
      env.defer(() => fired.push(`deferred@${sim.nowMs}`));
      env.setTimeout(() => fired.push(`e@${sim.nowMs}`), 10);
    }, 10);
    await sim.runUntilIdle();
    expect(fired).toEqual(['a@10', 'd@10', 'deferred@10', 'b@20', 'c@20', 'e@20']);
    expect(sim.nowMs).toBe(20);
  });

  test('two environments share one queue and one true time', async () => {
    const sim = new Simulator(1);
    const [a, b] = [sim.environment({ name: 'a' }), sim.environment({ name: 'b' })];
    const fired: string[] = [];
    a.setTimeout(() => fired.push('a@30'), 30);
    b.setTimeout(() => fired.push('b@15'), 15);
    b.setTimeout(() => fired.push('b@30'), 30);
    await sim.runUntilIdle();
    expect(fired).toEqual(['b@15', 'a@30', 'b@30']);
  });

  test('a delay that is not in [1, 2^31 - 1] ms is 1 ms, as in Node', async () => {
    const sim = new Simulator(1);
    const env = sim.environment();
    const at: number[] = [];
    env.setTimeout(() => at.push(sim.nowMs), 0);
    env.setTimeout(() => at.push(sim.nowMs), -5);
    env.setTimeout(() => at.push(sim.nowMs), Number.NaN);
    env.setTimeout(() => at.push(sim.nowMs), 2 ** 31);
    await sim.runUntilIdle();
    expect(at).toEqual([1, 1, 1, 1]);
  });

  test('promise continuations an event starts run before the next event', async () => {
    const sim = new Simulator(1);
    const env = sim.environment();
    const log: string[] = [];
    const worker = async (name: string, pauses: number[]) => {
      for (const ms of pauses) {
        await sleep(env, ms);
        await Promise.resolve();
        log.push(`${name}@${sim.nowMs}`);
      }
    };
    const done = Promise.all([worker('x', [10, 10, 10]), worker('y', [15, 15])]);
    await sim.runUntilIdle();
    await done;
    // At 30 both wake: y's pause was set at 15, before x's at 20, so y goes first.
    expect(log).toEqual(['x@10', 'y@15', 'x@20', 'y@30', 'x@30']);
  });

  test('step runs one event at a time and says when none is left', () => {
    const sim = new Simulator(1);
    const env = sim.environment();
    const fired: number[] = [];
    env.setTimeout(() => fired.push(1), 5);
    env.setTimeout(() => fired.push(2), 7);
    expect(sim.step()).toBe(true);
    expect(fired).toEqual([1]);
    expect(sim.nowMs).toBe(5);
    expect(sim.step()).toBe(true);
    expect(sim.step()).toBe(false);
    expect(fired).toEqual([1, 2]);
    expect(sim.eventCount).toBe(2);
  });
});

describe('Simulator: cancellation', () => {
  test('a cleared timeout never fires; clearing an undefined or finished one is harmless', async () => {
    const sim = new Simulator(1);
    const env = sim.environment();
    const fired: string[] = [];
    const kept = env.setTimeout(() => fired.push('kept'), 10);
    const cleared = env.setTimeout(() => fired.push('cleared'), 5);
    env.clearTimeout(cleared);
    env.clearTimeout(undefined);
    await sim.runUntilIdle();
    env.clearTimeout(kept);
    expect(fired).toEqual(['kept']);
    // The cancelled timer did not move time either: the run ended at the last event that ran.
    expect(sim.nowMs).toBe(10);
  });

  test('a timer cleared by an earlier event at the same instant does not fire', async () => {
    const sim = new Simulator(1);
    const env = sim.environment();
    const fired: string[] = [];
    env.setTimeout(() => env.clearTimeout(later), 10);
    const later = env.setTimeout(() => fired.push('later'), 10);
    await sim.runUntilIdle();
    expect(fired).toEqual([]);
  });

  test('a stopped environment runs nothing more, and drops what it schedules later; others go on', async () => {
    const sim = new Simulator(1);
    const [crashing, surviving] = [sim.environment(), sim.environment()];
    const fired: string[] = [];
    crashing.setInterval(() => fired.push(`tick@${sim.nowMs}`), 10);
    crashing.setTimeout(() => fired.push('late'), 50);
    surviving.setTimeout(() => {
      crashing.stop();
      crashing.setTimeout(() => fired.push('after stop'), 1);
      crashing.defer(() => fired.push('deferred after stop'));
    }, 25);
    surviving.setTimeout(() => fired.push(`other@${sim.nowMs}`), 60);
    await sim.runUntilIdle();
    expect(fired).toEqual(['tick@10', 'tick@20', 'other@60']);
  });
});

describe('Simulator: intervals', () => {
  test('an interval fires every period until cleared, also from its own callback', async () => {
    const sim = new Simulator(1);
    const env = sim.environment();
    const at: number[] = [];
    const handle = env.setInterval(() => {
      at.push(sim.nowMs);
      if (at.length === 4) env.clearInterval(handle);
    }, 25);
    await sim.runUntilIdle();
    expect(at).toEqual([25, 50, 75, 100]);
  });

  test('advanceTo runs what is due by then, unreferenced timers included, and leaves time there', async () => {
    const sim = new Simulator(1);
    const env = sim.environment();
    const at: number[] = [];
    env.setInterval(() => at.push(sim.nowMs), 30).unref();
    await sim.advanceTo(100);
    expect(at).toEqual([30, 60, 90]);
    expect(sim.nowMs).toBe(100);
    await sim.advanceBy(20);
    expect(at).toEqual([30, 60, 90, 120]);
    expect(sim.nowMs).toBe(120);
  });

  test('runUntilIdle stops where a Node process would exit: only unreferenced timers left', async () => {
    const sim = new Simulator(1);
    const env = sim.environment();
    const ticks: number[] = [];
    env.setInterval(() => ticks.push(sim.nowMs), 10).unref();
    const work = env.setTimeout(() => undefined, 35);
    await sim.runUntilIdle();
    expect(ticks).toEqual([10, 20, 30]);
    expect(sim.nowMs).toBe(35);
    // ref() makes a timer count again.
    work.ref();
    env.setTimeout(() => undefined, 100).unref().ref();
    await sim.runUntilIdle();
    expect(sim.nowMs).toBe(135);
  });

  test('runUntilIdle gives up on work that never ends, saying so', async () => {
    const sim = new Simulator(1);
    const env = sim.environment();
    env.setInterval(() => undefined, 10);
    await expect(sim.runUntilIdle(50)).rejects.toThrow(/still busy after 50 events/);
  });
});

describe('Simulator: clocks with drift and offset', () => {
  test('a fast clock fires its timers early in true time, and reads its own time then', async () => {
    const sim = new Simulator(1);
    const fast = sim.environment({ driftRate: 0.1 });
    const slow = sim.environment({ driftRate: -0.1 });
    const seen: { who: string; trueMs: number; monotonicMs: number }[] = [];
    fast.setTimeout(() => seen.push({ who: 'fast', trueMs: sim.nowMs, monotonicMs: fast.monotonicMs() }), 110);
    slow.setTimeout(() => seen.push({ who: 'slow', trueMs: sim.nowMs, monotonicMs: slow.monotonicMs() }), 90);
    await sim.runUntilIdle();
    expect(seen.map((s) => s.who)).toEqual(['fast', 'slow']);
    expect(seen[0].trueMs).toBeCloseTo(100, 9);
    expect(seen[0].monotonicMs).toBeCloseTo(110, 9);
    expect(seen[1].trueMs).toBeCloseTo(100, 9);
    expect(seen[1].monotonicMs).toBeCloseTo(90, 9);
  });

  test('an interval on a drifting clock keeps its period in local time', async () => {
    const sim = new Simulator(1);
    const env = sim.environment({ driftRate: -0.05 });
    const local: number[] = [];
    env.setInterval(() => local.push(env.monotonicMs()), 19).unref();
    await sim.advanceTo(80);
    expect(local.map((ms) => Math.round(ms * 1e6) / 1e6)).toEqual([19, 38, 57, 76]);
  });

  test('the wall clock starts at the epoch plus the offset and runs at the rate; a step moves it alone', async () => {
    const sim = new Simulator(1);
    const env = sim.environment({ offsetMs: -1_500, driftRate: 0.01 });
    expect(env.nowMs()).toBe(SIMULATION_EPOCH_MS - 1_500);
    await sim.advanceTo(1_000);
    expect(env.nowMs()).toBe(SIMULATION_EPOCH_MS - 1_500 + 1_010);
    expect(env.monotonicMs()).toBeCloseTo(1_010, 9);
    env.setOffsetMs(2_000);
    expect(env.nowMs()).toBe(SIMULATION_EPOCH_MS + 2_000 + 1_010);
    expect(env.monotonicMs()).toBeCloseTo(1_010, 9);
  });

  test('a process started later has its monotonic clock from 0 and shares the machine wall clock', async () => {
    const sim = new Simulator(1);
    const first = sim.environment({ offsetMs: 300 });
    await sim.advanceTo(500);
    const restarted = sim.environment({ offsetMs: 300 });
    expect(restarted.monotonicMs()).toBe(0);
    expect(first.monotonicMs()).toBe(500);
    expect(restarted.nowMs()).toBe(first.nowMs());
  });

  test('a drift rate beyond the bound is refused', () => {
    expect(() => new Simulator(1).environment({ driftRate: 0.5 })).toThrow(/drift rate/);
  });
});

describe('Simulator: randomness', () => {
  const draw = (seed: number) => {
    const sim = new Simulator(seed);
    const [a, b] = [sim.environment(), sim.environment()];
    return { a: [a.random(), a.random(), a.random()], b: [b.random(), b.random()], sim: sim.random.next() };
  };

  test('the same seed gives every environment the same sequence; another seed another', () => {
    expect(draw(42)).toEqual(draw(42));
    expect(draw(43).a).not.toEqual(draw(42).a);
    const { a, b } = draw(42);
    expect(a.slice(0, 2)).not.toEqual(b);
    for (const x of [...a, ...b]) expect(x >= 0 && x < 1).toBe(true);
  });

  test('an explicit seed fixes one environment whatever was made before it', () => {
    const one = new Simulator(1);
    const two = new Simulator(2);
    two.environment();
    expect(one.environment({ seed: 7 }).random()).toBe(two.environment({ seed: 7 }).random());
  });

  test('a whole run with random delays and promise chains replays event for event from its seed', async () => {
    const run = async (seed: number) => {
      const sim = new Simulator(seed);
      const trace: string[] = [];
      const envs = [0, 1, 2].map((i) => sim.environment({ name: `n${i}`, driftRate: (sim.random.next() - 0.5) / 100 }));
      for (const env of envs) {
        void (async () => {
          for (let i = 0; i < 5; i++) {
            await sleep(env, 1 + Math.floor(env.random() * 50));
            trace.push(`${env.name}:${i}@${sim.nowMs.toFixed(6)}`);
            if (env.random() < 0.5) env.defer(() => trace.push(`${env.name}:deferred@${sim.nowMs.toFixed(6)}`));
          }
        })();
      }
      await sim.runUntilIdle();
      return trace;
    };
    const first = await run(99);
    expect(first).toHaveLength(15 + first.filter((line) => line.includes('deferred')).length);
    expect(await run(99)).toEqual(first);
    expect(await run(100)).not.toEqual(first);
  });
});
