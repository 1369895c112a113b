/**
 * Two kinds of failure, TigerBeetle-style: an `AssertionError` is a programmer error (a broken
 * invariant or a misused API) and should crash the process; the typed errors below are operating
 * conditions (a bad message from the network, a bad configuration) that callers handle.
 */

export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

/** Crashes on a broken invariant. The message says which. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** A message from the network that is not a well-formed election message: drop it and log. */
export class MalformedMessageError extends Error {
  override readonly name = 'MalformedMessageError';
}

/** An election configuration that would be unsafe or meaningless: refuse to start. */
export class InvalidConfigError extends Error {
  override readonly name = 'InvalidConfigError';
}
