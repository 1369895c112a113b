import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { FaultGate } from '../src/fault-gate';
import { certainlyNotSent, isUnreachable } from '../src/storage-service';

describe('FaultGate (TRIAD_FAULT_FILE)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fault-gate-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const gateWith = (content: object | string): FaultGate => {
    const file = path.join(dir, 'faults.json');
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return new FaultGate(file);
  };

  test('passes addresses the file does not list, refuses blocked ones and holds held ones', () => {
    const gate = gateWith({ blockedAddresses: ['a:1'], heldAddresses: ['b:2'] });
    expect([gate.verdict('a:1'), gate.verdict('b:2'), gate.verdict('c:3')]).toEqual(['refuse', 'hold', 'pass']);
    expect(gate.intercept('c:3', 1_000)).toBeUndefined();
  });

  test('an unreadable file, or no file, is no fault', () => {
    expect(gateWith('{not json').verdict('a:1')).toBe('pass');
    expect(new FaultGate(undefined).verdict('a:1')).toBe('pass');
  });

  test('a refused call fails at once as UNAVAILABLE, known never to have been sent', async () => {
    const gate = gateWith({ blockedAddresses: ['a:1'] });
    const error = await gate.intercept('a:1', 60_000)!.catch((e: unknown) => e);
    expect((error as { code: number }).code).toBe(grpc.status.UNAVAILABLE);
    expect(certainlyNotSent(error)).toBe(true);
  });

  test('a held call fails only at its deadline, as DEADLINE_EXCEEDED, which the caller cannot tell from an unanswered call', async () => {
    const gate = gateWith({ heldAddresses: ['b:2'] });
    const started = performance.now();
    const error = await gate.intercept('b:2', 120)!.catch((e: unknown) => e);
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    expect((error as { code: number }).code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(isUnreachable(error)).toBe(true);
    expect(certainlyNotSent(error)).toBe(false);
  });

  test('the file is read again: a fault lifted is lifted for new calls', () => {
    const gate = gateWith({ heldAddresses: ['b:2'] });
    fs.writeFileSync(path.join(dir, 'faults.json'), JSON.stringify({}));
    gate.reload();
    expect(gate.verdict('b:2')).toBe('pass');
  });

  test('a request naming a blocked partition is refused at once, whatever its address; others pass', async () => {
    const gate = gateWith({ blockedPartitions: [16] });
    expect(gate.interceptPartitions([{ partition: 3 }, { partition: 15 }])).toBeUndefined();
    const error = await gate.interceptPartitions([{ partition: 3 }, { partition: 16 }])!.catch((e: unknown) => e);
    expect((error as Error).message).toBe('partition 16 is cut off (fault injection)');
    expect(certainlyNotSent(error)).toBe(true);
    expect(gate.verdict('a:1')).toBe('pass');
  });
});
