import { RegisterOperation, RegisterValue } from '../src';

/** Terse constructors for hand-written histories; `key` defaults to 'k'. */
export const write = (client: number, value: RegisterValue, invokeMs: number, completeMs: number, key = 'k'): RegisterOperation => ({
  clientId: client,
  key,
  kind: 'write',
  input: value,
  invokeMs,
  completeMs,
  ok: true,
});

export const read = (client: number, value: RegisterValue | undefined, invokeMs: number, completeMs: number, key = 'k'): RegisterOperation => ({
  clientId: client,
  key,
  kind: 'read',
  output: value,
  invokeMs,
  completeMs,
  ok: true,
});

export const del = (client: number, invokeMs: number, completeMs: number, key = 'k'): RegisterOperation => ({
  clientId: client,
  key,
  kind: 'delete',
  invokeMs,
  completeMs,
  ok: true,
});

export const cas = (
  client: number,
  expected: RegisterValue | undefined,
  value: RegisterValue | undefined,
  output: boolean,
  invokeMs: number,
  completeMs: number,
  key = 'k',
): RegisterOperation => ({ clientId: client, key, kind: 'cas', input: { expected, value }, output, invokeMs, completeMs, ok: true });

/** The same operation with an unknown outcome (a timeout): no completion, no output. */
export const unknown = (op: RegisterOperation): RegisterOperation => {
  const { completeMs: _completeMs, output: _output, ...rest } = op;
  return { ...rest, ok: 'unknown' } as RegisterOperation;
};

/** The same operation, definitely failed (e.g. a validation error). */
export const failed = (op: RegisterOperation): RegisterOperation => ({ ...op, ok: false }) as RegisterOperation;
