import { InvalidSignatureException, UnrecognizedClientException } from '@triad/model';
import { SIGNATURE_CLOCK_SKEW_MS_MAX } from './auth-limits';
import { canonicalRequest, stringToSign } from './canonical-request';
import { parseSignature, type SignatureParts } from './parse-signature';
import type { Principal } from './principal';
import type { SignedRequest } from './signed-request';
import type { SigningKeyCache } from './signing-key-cache';
import { SCOPE_TERMINATOR, amzDate, sha256Hex } from './sigv4-encoding';

/** An access key as verification needs it: its secret in clear (held in memory only). */
export interface VerificationKey {
  accessKeyId: string;
  secret: string;
  name: string;
  enabled: boolean;
  admin: boolean;
}

export interface VerifyOptions {
  /** The service credential scopes must name: 'dynamodb'. */
  service: string;
  /** The region credential scopes must name: the router's. */
  region: string;
  /** Now, on the router's wall clock (ms since the epoch). */
  nowMs: number;
}

export const SIGNATURE_MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
/** Triad issues no temporary credentials; a session token is refused with the type AWS uses for a bad one, and says why. */
export const SESSION_TOKEN_MESSAGE =
  'The security token included in the request is invalid. Triad does not issue session tokens (X-Amz-Security-Token): sign with an access key and its secret.';

/**
 * Verifies a request's SigV4 signature as AWS does, on the bytes received, and says who signed it.
 * Throws DynamoDB's errors: MissingAuthenticationToken (no signature), IncompleteSignature
 * (malformed), UnrecognizedClient (unknown or disabled key, session token), InvalidSignature
 * (wrong scope, outside the 5-minute window, expired presigned URL, or a signature that does not
 * match). Pure: the keys, the clock and the cache are handed in.
 */
export function verifySignature(
  request: SignedRequest,
  findKey: (accessKeyId: string) => VerificationKey | undefined,
  cache: SigningKeyCache,
  options: VerifyOptions,
): Principal {
  const parts = parseSignature(request);
  if (parts.sessionToken !== undefined) throw new UnrecognizedClientException(SESSION_TOKEN_MESSAGE);
  const key = findKey(parts.accessKeyId);
  if (!key || !key.enabled) throw new UnrecognizedClientException();
  checkScope(parts, options);
  checkTime(parts, options.nowMs);
  const canonical = canonicalRequest(request, parts, sha256Hex(request.body));
  const { date, region, service } = parts.scope;
  const signingKey = cache.signingKey(key.accessKeyId, key.secret, date, region, service);
  if (!signatureMatches(parts.signature, signingKey.digestHex(stringToSign(parts, canonical)))) {
    throw new InvalidSignatureException(SIGNATURE_MISMATCH_MESSAGE);
  }
  return { accessKeyId: key.accessKeyId, name: key.name, admin: key.admin, authenticated: true };
}

const SIGNATURE_HEX_CHARS = 64;
const UPPER_A = 65;
const UPPER_F = 70;
const LOWER_CASE_BIT = 32;

/**
 * Whether the signature sent is the one computed (64 lower-case hex digits), in constant time: every
 * character is compared, the differences accumulated, and nothing returns early, so how long it
 * takes says nothing of the expected signature. Hex digits compare without regard to case (a
 * signature is bytes; A-F is a-f). Anything that is not a hex digit differs from every character
 * of the expected hex, so a signature that is not 64 hex digits cannot match. (A loop rather than
 * decoding both into buffers for crypto.timingSafeEqual: three native calls fewer per request.)
 */
function signatureMatches(given: string, expectedHex: string): boolean {
  if (given.length !== SIGNATURE_HEX_CHARS) return false;
  let difference = 0;
  for (let i = 0; i < SIGNATURE_HEX_CHARS; i++) {
    let c = given.charCodeAt(i);
    // Branches on the sender's own signature only, never on the expected one.
    if (c >= UPPER_A && c <= UPPER_F) c |= LOWER_CASE_BIT;
    difference |= c ^ expectedHex.charCodeAt(i);
  }
  return difference === 0;
}

function checkScope(parts: SignatureParts, options: VerifyOptions): void {
  const { date, region, service, terminator } = parts.scope;
  // The common case, without slicing the request's date.
  if (service === options.service && region === options.region && terminator === SCOPE_TERMINATOR && date.length === 8 && parts.requestDate.startsWith(date)) return;
  if (service !== options.service) throw new InvalidSignatureException(`Credential should be scoped to correct service: '${options.service}'. `);
  if (region !== options.region) throw new InvalidSignatureException(`Credential should be scoped to a valid region, not '${region}'. `);
  if (terminator !== SCOPE_TERMINATOR) {
    throw new InvalidSignatureException(`Credential should be scoped with a valid terminator: '${SCOPE_TERMINATOR}', not '${terminator}'. `);
  }
  if (date !== parts.requestDate.slice(0, 8)) {
    throw new InvalidSignatureException(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${date}' != '${parts.requestDate.slice(0, 8)}', from '${parts.dateSource}'.`,
    );
  }
}

/** AWS's window: 5 minutes either side of its clock (a presigned URL: until it expires). */
function checkTime(parts: SignatureParts, nowMs: number): void {
  // Dates are formatted only for a refusal: most requests pass, and formatting costs more than comparing.
  if (parts.requestTimeMs - nowMs > SIGNATURE_CLOCK_SKEW_MS_MAX) {
    throw new InvalidSignatureException(
      `Signature not yet current: ${parts.requestDate} is still later than ${amzDate(nowMs + SIGNATURE_CLOCK_SKEW_MS_MAX)} (${amzDate(nowMs)} + 5 min.)`,
    );
  }
  if (parts.presigned && parts.expiresSeconds !== undefined) {
    const expiresMs = parts.expiresSeconds * 1000;
    if (nowMs - parts.requestTimeMs > expiresMs) {
      throw new InvalidSignatureException(
        `Signature expired: ${parts.requestDate} is now earlier than ${amzDate(nowMs - expiresMs)} (${amzDate(nowMs)} - ${parts.expiresSeconds} sec.)`,
      );
    }
    return;
  }
  if (nowMs - parts.requestTimeMs > SIGNATURE_CLOCK_SKEW_MS_MAX) {
    throw new InvalidSignatureException(
      `Signature expired: ${parts.requestDate} is now earlier than ${amzDate(nowMs - SIGNATURE_CLOCK_SKEW_MS_MAX)} (${amzDate(nowMs)} - 5 min.)`,
    );
  }
}
