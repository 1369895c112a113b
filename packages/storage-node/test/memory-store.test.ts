import { MemoryDisk } from '../src/storage/memory-disk';
import { MemoryStore, type MemoryStoreHooks, type MemoryStoreStep, type StorageFault, type StorageFaultPoint } from '../src/storage/memory-store';

/**
 * What only the simulator's engine has: crashes that lose what was not synced, wipes, injected
 * I/O errors and slow syncs, and steps that the simulator orders. The behaviour both engines
 * share is in storage-engine-compliance.test.ts.
 */

const b = (text: string) => Buffer.from(text, 'latin1');
const text = (buffer: Buffer | undefined) => buffer?.toString('latin1');
const put = (key: string, value = key) => ({ type: 'put' as const, key: b(key), value: b(value) });
/** Lets every pending microtask and promise continuation run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

async function keysOf(store: MemoryStore): Promise<string[]> {
  const keys: string[] = [];
  await store.forEach({}, (key) => {
    keys.push(text(key)!);
    return true;
  });
  return keys;
}

/** Opens a new engine on the disk (a restart) and lists its keys. */
async function restart(disk: MemoryDisk, hooks?: MemoryStoreHooks): Promise<MemoryStore> {
  const store = new MemoryStore(disk, hooks);
  await store.open();
  return store;
}

/** Holds every step until the test runs it, as a simulator's event queue would. */
class HeldSteps {
  readonly held: { run: () => void; step: MemoryStoreStep; delayMs: number }[] = [];
  readonly schedule = (run: () => void, step: MemoryStoreStep, delayMs: number) => {
    this.held.push({ run, step, delayMs });
  };

  kinds(): string[] {
    return this.held.map(({ step }) => step.kind);
  }

  /** Runs the first held step of this kind (and lets its continuations run). */
  async run(kind: MemoryStoreStep['kind']): Promise<MemoryStoreStep> {
    const at = this.held.findIndex(({ step }) => step.kind === kind);
    if (at < 0) throw new Error(`no ${kind} step held (held: ${this.kinds().join(', ')})`);
    const [{ run, step }] = this.held.splice(at, 1);
    run();
    await settle();
    return step;
  }

  /** Runs held steps in order until none is left. */
  async drain(): Promise<void> {
    while (this.held.length > 0) {
      this.held.shift()!.run();
      await settle();
    }
  }
}

describe('MemoryStore crashes and wipes', () => {
  let disk: MemoryDisk;
  let store: MemoryStore;

  beforeEach(async () => {
    disk = new MemoryDisk();
    store = await restart(disk);
  });

  test('a crash keeps synced writes and loses unsynced ones', async () => {
    await store.write(put('synced'));
    await store.writeUnsynced(put('unsynced'));
    expect(await keysOf(store)).toEqual(['synced', 'unsynced']);
    expect(disk.unsyncedRecords).toBe(1);
    disk.crash();
    expect(await keysOf(await restart(disk))).toEqual(['synced']);
  });

  test('a synced write makes every unsynced write before it durable (one ordered log)', async () => {
    await store.writeUnsynced(put('applied-1'));
    await store.writeUnsynced(put('applied-2'));
    await store.write(put('vote'));
    expect(disk.unsyncedRecords).toBe(0);
    await store.writeUnsynced(put('applied-3'));
    disk.crash();
    expect(await keysOf(await restart(disk))).toEqual(['applied-1', 'applied-2', 'vote']);
  });

  test('a memtable flush makes what was applied durable', async () => {
    await store.writeUnsynced(put('a'));
    store.flush();
    await store.writeUnsynced(put('b'));
    disk.crash();
    expect(await keysOf(await restart(disk))).toEqual(['a']);
  });

  test('a process crash without power loss keeps every batch written; a power loss keeps a prefix of them', async () => {
    for (const key of ['u1', 'u2', 'u3']) await store.writeUnsynced(put(key));
    disk.crash(Infinity);
    store = await restart(disk);
    expect(await keysOf(store)).toEqual(['u1', 'u2', 'u3']);
    // Recovery made them durable.
    disk.crash();
    store = await restart(disk);
    expect(await keysOf(store)).toEqual(['u1', 'u2', 'u3']);
    for (const key of ['v1', 'v2', 'v3']) await store.writeUnsynced(put(key));
    disk.crash(2);
    expect(await keysOf(await restart(disk))).toEqual(['u1', 'u2', 'u3', 'v1', 'v2']);
  });

  test('a range clear is not synced: a crash brings the range back unless a sync came after', async () => {
    await Promise.all(['t1', 't2', 'x'].map((key) => store.write(put(key))));
    await store.clearRange(b('t'), b('u'));
    disk.crash();
    store = await restart(disk);
    expect(await keysOf(store)).toEqual(['t1', 't2', 'x']);
    await store.clearRange(b('t'), b('u'));
    await store.write(put('y'));
    disk.crash();
    expect(await keysOf(await restart(disk))).toEqual(['x', 'y']);
  });

  test('a wipe loses everything, synced or not', async () => {
    await store.write(put('a'));
    disk.wipe();
    expect(await keysOf(await restart(disk))).toEqual([]);
  });

  test('a crashed engine settles nothing it had in flight and refuses what comes after', async () => {
    let settled = false;
    void store.write(put('in-flight')).finally(() => (settled = true));
    disk.crash();
    await settle();
    expect(settled).toBe(false);
    await expect(store.get(b('a'))).rejects.toThrow('Database is not open');
    await expect(store.write(put('after'))).rejects.toThrow('Database is not open');
    expect(store.numericProperty('rocksdb.estimate-num-keys')).toBeUndefined();
    await expect(store.open()).rejects.toThrow(/dead/);
    expect(await keysOf(await restart(disk))).toEqual([]);
  });

  test('a crash while an engine opens kills it too', async () => {
    await store.close();
    const steps = new HeldSteps();
    const opening = new MemoryStore(disk, { schedule: steps.schedule });
    let opened = false;
    void opening.open().then(() => (opened = true));
    disk.crash();
    await steps.drain();
    expect(opened).toBe(false);
    expect(await keysOf(await restart(disk))).toEqual([]);
  });

  test('one engine at a time: the disk is locked while open', async () => {
    const second = new MemoryStore(disk);
    await expect(second.open()).rejects.toThrow(/IO error: While lock file/);
    await store.close();
    await second.open();
    await second.close();
  });

  test('close waits for the operations in flight', async () => {
    const writing = store.writeUnsynced(put('a'));
    const reading = store.get(b('a'));
    await store.close();
    await expect(writing).resolves.toBeUndefined();
    await expect(reading).resolves.toBeUndefined();
    await expect(store.get(b('a'))).rejects.toThrow('Database is not open');
    expect(await keysOf(await restart(disk))).toEqual(['a']);
  });
});

describe('MemoryStore steps, as the simulator orders them', () => {
  test('a synced batch is in the log when written, durable and visible only once its sync completes', async () => {
    const steps = new HeldSteps();
    const disk = new MemoryDisk();
    const store = new MemoryStore(disk, { schedule: steps.schedule });
    const opening = store.open();
    await steps.run('open');
    await opening;
    let done = false;
    const writing = store.write(put('a')).then(() => (done = true));
    void store.write(put('b'));
    expect(await steps.run('gather')).toEqual({ kind: 'gather' });
    expect(await steps.run('write')).toEqual({ kind: 'write', synced: true, ops: 2, bytes: 4 });
    expect(disk.unsyncedRecords).toBe(1);
    // Not yet visible: a read answered now does not see it.
    const before = store.get(b('a'));
    await steps.run('read');
    expect(await before).toBeUndefined();
    expect(done).toBe(false);
    await steps.run('sync');
    await writing;
    expect(disk.unsyncedRecords).toBe(0);
    const after = store.get(b('a'));
    await steps.run('read');
    expect(text(await after)).toBe('a');
  });

  test('a read is answered at its step: one issued before a write but stepped after it sees the write', async () => {
    const steps = new HeldSteps();
    const store = new MemoryStore(new MemoryDisk(), { schedule: steps.schedule });
    const opening = store.open();
    await steps.drain();
    await opening;
    const reading = store.get(b('k'));
    const writing = store.writeUnsynced(put('k', 'new'));
    await steps.run('gather');
    await steps.run('write');
    await writing;
    await steps.run('read');
    expect(text(await reading)).toBe('new');
  });

  test('a write in its sync when the power fails may survive (it is in the log) or not', async () => {
    for (const kept of [0, 1]) {
      const steps = new HeldSteps();
      const disk = new MemoryDisk();
      const store = new MemoryStore(disk, { schedule: steps.schedule });
      const opening = store.open();
      await steps.drain();
      await opening;
      void store.write(put('in-sync'));
      await steps.run('gather');
      await steps.run('write');
      disk.crash(kept);
      await steps.drain();
      const restarted = await restart(disk);
      expect(await keysOf(restarted)).toEqual(kept ? ['in-sync'] : []);
    }
  });

  test('batches are written one at a time: an unsynced write waits behind a slow sync', async () => {
    const steps = new HeldSteps();
    const fault = (point: StorageFaultPoint): StorageFault | undefined => (point.kind === 'sync' ? { kind: 'slow', delayMs: 900 } : undefined);
    const store = new MemoryStore(new MemoryDisk(), { schedule: steps.schedule, fault });
    const opening = store.open();
    await steps.drain();
    await opening;
    const order: string[] = [];
    const synced = store.write(put('s')).then(() => order.push('synced'));
    await steps.run('gather');
    await steps.run('write');
    // One group commit for both kinds: the unsynced write gathers only once the synced batch is done.
    const unsynced = store.writeUnsynced(put('u')).then(() => order.push('unsynced'));
    expect(steps.held.map(({ step, delayMs }) => [step.kind, delayMs])).toEqual([['sync', 900]]);
    await steps.run('sync');
    expect(steps.kinds()).toEqual(['gather']);
    await steps.drain();
    await Promise.all([synced, unsynced]);
    expect(order).toEqual(['synced', 'unsynced']);
  });

  test('the fault function sees each batch at its write and its sync', async () => {
    const points: StorageFaultPoint[] = [];
    const store = new MemoryStore(new MemoryDisk(), { fault: (point) => void points.push(point) });
    await store.open();
    await Promise.all([store.write(put('a')), store.write(put('bb'))]);
    await store.writeUnsynced(put('c'));
    expect(points).toEqual([
      { kind: 'write', synced: true, ops: 2, bytes: 6 },
      { kind: 'sync', synced: true, ops: 2, bytes: 6 },
      { kind: 'write', synced: false, ops: 1, bytes: 2 },
    ]);
  });

  test('the same schedule gives the same history', async () => {
    /** A small seeded generator, so that the step order is shuffled the same way each run. */
    const run = async (seed: number) => {
      let state = seed;
      const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const held: (() => void)[] = [];
      const store = new MemoryStore(new MemoryDisk(), { schedule: (step) => void held.push(step) });
      const history: string[] = [];
      const opening = store.open();
      held.shift()!();
      await opening;
      const operations = Array.from({ length: 30 }, (_, i) => {
        const key = `k${i % 5}`;
        if (i % 3 === 0) return store.get(b(key)).then((value) => history.push(`get ${key}=${text(value)}`));
        const write = i % 3 === 1 ? store.write(put(key, `v${i}`)) : store.writeUnsynced(put(key, `u${i}`));
        return write.then(() => history.push(`wrote ${key} ${i}`));
      });
      while (held.length > 0) {
        held.splice(Math.floor(random() * held.length), 1)[0]();
        await settle();
      }
      await Promise.all(operations);
      return history;
    };
    const first = await run(7);
    expect(await run(7)).toEqual(first);
    expect(first).toHaveLength(30);
  });
});

describe('MemoryStore I/O errors', () => {
  /** Fails the next log write or sync of a synced batch once armed. */
  const failNext = (kind: 'write' | 'sync') => {
    const control = {
      armed: false,
      fault: (point: StorageFaultPoint): StorageFault | undefined => {
        if (!control.armed || point.kind !== kind || !point.synced) return undefined;
        control.armed = false;
        return { kind: 'ioError' };
      },
    };
    return control;
  };

  test('a failed log write fails its batch and every write after it until the engine is reopened; reads go on', async () => {
    const disk = new MemoryDisk();
    const failure = failNext('write');
    let store = await restart(disk, { fault: failure.fault });
    await store.write(put('before'));
    failure.armed = true;
    await expect(store.write(put('bad'))).rejects.toThrow(/^IO error/);
    await expect(store.writeUnsynced(put('later'))).rejects.toThrow(/^IO error/);
    await expect(store.clearRange(b('a'), b('z'))).rejects.toThrow(/^IO error/);
    expect(await keysOf(store)).toEqual(['before']);
    expect(store.numericProperty('rocksdb.background-errors')).toBe(1);
    await store.close();
    store = await restart(disk);
    expect(await keysOf(store)).toEqual(['before']);
    await store.write(put('after-restart'));
    expect(await keysOf(store)).toEqual(['after-restart', 'before']);
  });

  test('a failed sync leaves its batch invisible but in the log: a restart replays it, a power loss may not', async () => {
    for (const powerLoss of [false, true]) {
      const disk = new MemoryDisk();
      const failure = failNext('sync');
      const store = await restart(disk, { fault: failure.fault });
      await store.write(put('ok'));
      failure.armed = true;
      const ghost = store.write(put('ghost'));
      await expect(ghost).rejects.toThrow(/^IO error: injected fault: the write-ahead log sync failed/);
      expect(await store.get(b('ghost'))).toBeUndefined();
      if (powerLoss) disk.crash();
      else await store.close();
      expect(await keysOf(await restart(disk))).toEqual(powerLoss ? ['ok'] : ['ghost', 'ok']);
    }
  });
});

describe('MemoryStore properties and sizes', () => {
  test('counts keys and bytes of the live data', async () => {
    const store = new MemoryStore();
    await store.open();
    await Promise.all([store.write(put('a', '12345')), store.write(put('bb', '1'))]);
    await store.write({ type: 'del', key: b('a') });
    await store.writeUnsynced(put('bb', '123'));
    expect(store.numericProperty('rocksdb.estimate-num-keys')).toBe(1);
    expect(store.numericProperty('rocksdb.estimate-live-data-size')).toBe(5);
    expect(await store.approximateSize(b('a'), b('c'))).toBe(5);
    expect(await store.approximateSize(b('a'), b('bb'))).toBe(0);
  });
});
