import type http from 'node:http';
import { isUtf8 } from 'node:buffer';
import { SerializationException } from '@triad/model';

/**
 * Reading a request body within limits, and turning it into JSON as DynamoDB's deserialiser
 * would: bytes that are not UTF-8, and JSON escapes that leave half of a surrogate pair, are a
 * SerializationException, never replaced by U+FFFD (which made distinct keys collide).
 */

/** Why a body was not read whole. */
export type BodyRefusal =
  /** Content-Length above the limit (refused before a byte of the body is read). */
  | 'too_large_declared'
  /** A chunked (or lying) body that ran past the limit. */
  | 'too_large'
  /** Buffering it would pass the router's budget of body bytes in memory. */
  | 'over_budget';

export class BodyRefused extends Error {
  constructor(readonly reason: BodyRefusal) {
    super(`request body refused: ${reason}`);
  }
}

/** The client went away (reset, or closed its side) before its body arrived whole: its error, not ours. */
export class ClientAborted extends Error {
  constructor(cause?: unknown) {
    super(`client aborted the request${cause ? `: ${String(cause)}` : ''}`);
  }
}

/** The shared budget of buffered body bytes across requests. */
export interface BodyBudget {
  /** Takes `bytes` from the budget; false (and nothing taken) when they do not fit. */
  take(bytes: number): boolean;
  give(bytes: number): void;
}

export function bodyBudget(bytesMax: number): BodyBudget & { readonly inUse: number } {
  let inUse = 0;
  return {
    get inUse() {
      return inUse;
    },
    take(bytes) {
      if (inUse + bytes > bytesMax) return false;
      inUse += bytes;
      return true;
    },
    give(bytes) {
      inUse -= bytes;
    },
  };
}

/** The declared Content-Length when it is above `bytesMax` (checked before reading anything). */
export function declaredTooLarge(req: Pick<http.IncomingMessage, 'headers'>, bytesMax: number): boolean {
  const declared = req.headers['content-length'];
  return declared !== undefined && Number(declared) > bytesMax;
}

/**
 * Reads the body up to `bytesMax`, taking what it buffers from `budget` (given back by the
 * returned `release`, which the caller runs when the request is done). Rejects with BodyRefused
 * or ClientAborted; leaves the stream paused after a refusal so the caller can decide to drain it.
 */
export function readBody(req: http.IncomingMessage, bytesMax: number, budget: BodyBudget): Promise<{ body: Buffer; release: () => void }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    const release = () => {
      budget.give(length);
      length = 0;
    };
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.pause();
      release();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      if (length + chunk.length > bytesMax) return fail(new BodyRefused('too_large'));
      if (!budget.take(chunk.length)) return fail(new BodyRefused('over_budget'));
      length += chunk.length;
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (settled) return;
      settled = true;
      resolve({ body: Buffer.concat(chunks, length), release });
    });
    req.on('error', (error) => fail(new ClientAborted(error)));
    // A client that closes without finishing its body may get neither 'end' nor 'error'.
    req.on('close', () => {
      if (!req.complete) fail(new ClientAborted());
    });
  });
}

/** Escapes of UTF-16 surrogates (`\uD800`-`\uDFFF`): only then can parsed strings hold a lone half. */
const SURROGATE_ESCAPE = /\\u[dD][89abcdefABCDEF][0-9a-fA-F]{2}/;
/** A high surrogate not followed by a low one, or a low one not after a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function wellFormed(value: unknown): boolean {
  if (typeof value === 'string') return !LONE_SURROGATE.test(value);
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every(wellFormed);
  for (const key of Object.keys(value)) {
    if (LONE_SURROGATE.test(key) || !wellFormed((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/**
 * The body as JSON: undefined for an empty body. A body that is not UTF-8, not JSON, or whose
 * strings (values or member names) hold a lone surrogate is a SerializationException without a
 * message, as DynamoDB answers a body it cannot deserialise.
 */
export function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  if (!isUtf8(raw)) throw new SerializationException('');
  const text = raw.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SerializationException('');
  }
  // Walking every string costs; only a body that escapes a surrogate can hold a lone one.
  if (SURROGATE_ESCAPE.test(text) && !wellFormed(body)) throw new SerializationException('');
  return body;
}
