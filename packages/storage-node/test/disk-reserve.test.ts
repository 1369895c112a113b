import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import winston from 'winston';
import type { Environment } from '@triad/runtime';
import { DiskReserve, belowReserve, reserveMessage } from '../src/storage/disk-reserve';
import { PRIVATE_DIR_MODE, freeDiskBytes, makePrivateDirectory } from '../src/storage/private-files';
import { listenHost as hostOf } from '@triad/rpc';

const log = winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });

/** An environment whose one interval runs when the test says. */
function manualEnv() {
  let tick: (() => void) | undefined;
  const env = { setInterval: (callback: () => void) => ((tick = callback), 1), clearInterval: () => (tick = undefined) } as unknown as Environment;
  return { env, tick: () => tick?.() };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('DiskReserve', () => {
  test('refuses writes while free space is below the reserve, and takes them again once it is not', async () => {
    let free = 5_000;
    const readings: number[] = [];
    const { env, tick } = manualEnv();
    const reserve = new DiskReserve(async () => free, 1_000, env, log, (r) => readings.push(r.freeBytes));
    expect(reserve.refusal()).toBeUndefined();
    await reserve.start();
    expect(reserve.refusal()).toBeUndefined();
    free = 999;
    tick();
    await settle();
    expect(reserve.refusal()).toBe('free disk space 999 bytes is below the reserve of 1000 bytes: writes are refused until space is freed');
    free = 1_000;
    tick();
    await settle();
    expect(reserve.refusal()).toBeUndefined();
    expect(readings).toEqual([5_000, 999, 1_000]);
  });

  test('a failed reading keeps the last verdict', async () => {
    let fail = false;
    const { env, tick } = manualEnv();
    const reserve = new DiskReserve(async () => {
      if (fail) throw new Error('EIO');
      return 10;
    }, 100, env, log);
    await reserve.start();
    expect(reserve.refusal()).toBeDefined();
    fail = true;
    tick();
    await settle();
    expect(reserve.refusal()).toBeDefined();
  });

  test('the verdict and its message', () => {
    expect(belowReserve({ freeBytes: 0, reserveBytes: 0 })).toBe(false);
    expect(belowReserve({ freeBytes: 1, reserveBytes: 2 })).toBe(true);
    expect(reserveMessage({ freeBytes: 1, reserveBytes: 2 })).toContain('below the reserve of 2 bytes');
  });
});

describe('private data directory', () => {
  test('is created 0700, and an existing wider one is narrowed', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-private-'));
    try {
      const fresh = path.join(base, 'a', 'b');
      makePrivateDirectory(fresh);
      expect(fs.statSync(fresh).mode & 0o777).toBe(PRIVATE_DIR_MODE);
      const wide = path.join(base, 'wide');
      fs.mkdirSync(wide, { mode: 0o755 });
      fs.chmodSync(wide, 0o755);
      makePrivateDirectory(wide);
      expect(fs.statSync(wide).mode & 0o777).toBe(PRIVATE_DIR_MODE);
      expect(await freeDiskBytes(base)).toBeGreaterThan(0);
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});

test('the metrics server binds the host the node listens on', () => {
  expect(hostOf('127.0.0.1:7000')).toBe('127.0.0.1');
  expect(hostOf('0.0.0.0:7000')).toBe('0.0.0.0');
  expect(hostOf('[::1]:7000')).toBe('::1');
  expect(hostOf('storage-a-1.triad:7000')).toBe('storage-a-1.triad');
});
