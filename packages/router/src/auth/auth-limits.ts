/**
 * Limits of request authentication (SigV4), access keys and the audit log. Units last.
 */

/** AWS accepts a signature made at most 5 minutes before or after its own clock reads. */
export const SIGNATURE_CLOCK_SKEW_MS_MAX = 5 * 60 * 1000;
/** A presigned request may be valid for at most 7 days (X-Amz-Expires), as AWS allows. */
export const PRESIGNED_EXPIRES_SECONDS_MAX = 7 * 24 * 60 * 60;
/**
 * Derived signing keys kept (one per key, day, region and service): enough for every key of a large
 * cluster across a day boundary; beyond it the oldest is dropped and derived again when needed.
 */
export const SIGNING_KEY_CACHE_ENTRIES_MAX = 10_000;
/**
 * Authorization header prefixes (key, scope and signed headers: the text before `Signature=`) kept
 * parsed: one per key, day and SDK a router sees; past this the cache starts over.
 */
export const AUTHORIZATION_PREFIXES_CACHED_MAX = 1_000;
/** ... each at most this long (an SDK's is ~250 characters): the cache holds at most ~1 MB of them. */
export const AUTHORIZATION_PREFIX_CACHED_CHARS_MAX = 1_024;
/** Signed headers one request may name: SDKs sign fewer than 10; a bound keeps canonicalisation cheap. */
export const SIGNED_HEADERS_COUNT_MAX = 64;
/** Access keys the catalog may hold: every router keeps them all in memory. */
export const ACCESS_KEYS_COUNT_MAX = 10_000;
/** Access key ids are up to 128 characters, as IAM's are (IAM's have at least 16; an id is not a secret, so operators may pick short ones). */
export const ACCESS_KEY_ID_CHARS_MIN = 1;
export const ACCESS_KEY_ID_CHARS_MAX = 128;
/** A secret shorter than this is refused: HMAC keys that short are guessable. */
export const SECRET_ACCESS_KEY_CHARS_MIN = 16;
/** ... and one longer than this is refused (IAM's secrets are 40 characters). */
export const SECRET_ACCESS_KEY_CHARS_MAX = 128;
/** A key's name, for people (shown in `triad keys list` and the audit log). */
export const ACCESS_KEY_NAME_CHARS_MAX = 128;
/** Every router re-reads the access keys this often, so a key created, disabled or deleted elsewhere counts within about a second. */
export const ACCESS_KEYS_REFRESH_MS = 1_000;
/**
 * Secrets one refresh re-seals under the current master key during a rotation (one conditional
 * write each to the system partition's leader): keeps a refresh short, and still moves the most
 * keys a cluster may hold (ACCESS_KEYS_COUNT_MAX) in under two minutes.
 */
export const RESEALS_PER_REFRESH_MAX = 100;
/**
 * Audit lines waiting for the disk, in bytes: past this (a disk far slower than the request rate)
 * lines are dropped and counted (triad_audit_lines_dropped_total) rather than memory growing.
 */
export const AUDIT_BUFFER_BYTES_MAX = 16 * 1024 * 1024;
/**
 * How often a router looks whether its credentials file changed (Kubernetes rewrites a mounted
 * Secret in place within a minute or so of an update): a rotated secret counts without a restart.
 */
export const CREDENTIALS_FILE_CHECK_MS = 10_000;
/** Inline policies one access key may carry (IAM allows a user's inline policies 2,048 characters in all; Triad counts documents). */
export const KEY_POLICIES_MAX = 10;
/** A policy's name, as IAM's PolicyName: 1-128 of letters, digits and +=,.@_-. */
export const POLICY_NAME_PATTERN = /^[\w+=,.@-]{1,128}$/;
