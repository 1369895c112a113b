/**
 * Where master keys come from: the seam between Triad's envelope encryption and a key service.
 * A master key never leaves its provider's hands: the provider wraps (encrypts) and unwraps data
 * keys, the way Vault's transit engine and cloud KMSs (AWS KMS Encrypt/Decrypt, GCP KMS, Azure
 * Key Vault wrapKey/unwrapKey) work, so any of them fits behind this interface. Calls are
 * asynchronous (a KMS is a network call) and made only when a keyring is opened or rotated, never
 * per value.
 */
export interface KeyProvider {
  /** A human-readable name for logs and errors ("key file /etc/triad/master.key", "vault transit key triad"). */
  readonly description: string;
  /** The master key that wraps new data keys now (a fingerprint for a key file, a key ARN or name for a KMS). */
  readonly currentKeyId: string;
  /** Wraps a data key under the current master key, bound to `context` (it opens only under the same context). */
  wrap(dataKey: Buffer, context: string): Promise<WrappedKey>;
  /**
   * Unwraps a data key that `wrapped.masterKeyId` wrapped (the current master key or, during a
   * rotation, a previous one the provider still holds). Throws when the key is unknown, the bytes
   * were changed, or the context differs.
   */
  unwrap(wrapped: WrappedKey, context: string): Promise<Buffer>;
}

/** A data key as stored: which master key wrapped it, and the wrapped bytes (base64). */
export interface WrappedKey {
  masterKeyId: string;
  ciphertext: string;
}
