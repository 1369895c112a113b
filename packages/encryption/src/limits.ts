/**
 * Sizes of the encryption at rest, named with units last. AES-256-GCM throughout: the one AEAD
 * that Node's OpenSSL accelerates everywhere (AES-NI, PCLMULQDQ), so sealing costs a few
 * microseconds per value.
 */

/** AES-256: a master key and a data key are 32 bytes. */
export const MASTER_KEY_BYTES = 32;
export const DATA_KEY_BYTES = 32;

/** GCM's nonce: 96 bits, the size NIST SP 800-38D recommends (any other size is hashed into one). */
export const NONCE_BYTES = 12;

/** GCM's full 128-bit tag: shorter tags weaken authenticity and save nothing that matters here. */
export const TAG_BYTES = 16;

/**
 * Data keys one keyring holds (each rotation adds one; old ones stay to open what they sealed).
 * Data keys are rotated rarely (nonces are counters, never random, so no key wears out by use);
 * a bound keeps a corrupt or hostile keyring file from growing without end.
 */
export const DATA_KEYS_MAX = 1024;

/** A keyring file larger than this is refused (DATA_KEYS_MAX wrapped keys fit with room). */
export const KEYRING_FILE_BYTES_MAX = 1024 * 1024;
