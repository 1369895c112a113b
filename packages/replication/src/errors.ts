/**
 * Two kinds of failure, TigerBeetle-style: an `AssertionError` is a programmer error (a broken
 * invariant or a misused API) and should crash the process; the typed errors below are operating
 * conditions (a bad message from the network, a bad configuration) that callers handle.
 */

export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

/**
 * Crashes on a broken invariant. Pass the message as a function when it interpolates values: it
 * is then only built on failure (hot paths assert on every message).
 */
export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new AssertionError(typeof message === 'string' ? message : message());
}

/** A message from the network that is not a well-formed election message: drop it and log. */
export class MalformedMessageError extends Error {
  override readonly name = 'MalformedMessageError';
}

/** An election configuration that would be unsafe or meaningless: refuse to start. */
export class InvalidConfigError extends Error {
  override readonly name = 'InvalidConfigError';
}
