import { IncompleteSignatureException } from '@triad/model';
import type { SignatureParts } from './parse-signature';
import { queryParameters, type SignedRequest } from './signed-request';
import { SIGV4_ALGORITHM, sha256Hex, uriEncode } from './sigv4-encoding';

/**
 * SigV4's canonical request (AWS's "Create a canonical request"):
 *   METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HashedPayload
 * rebuilt from what the request carried, so that any change on the way (another body, header or
 * query) makes another signature.
 */
export function canonicalRequest(request: SignedRequest, parts: SignatureParts, payloadHash: string): string {
  const method = request.method === 'POST' ? 'POST' : request.method.toUpperCase();
  const { url } = request;
  return `${method}\n${canonicalUri(url)}\n${canonicalQuery(url, parts.presigned)}\n${canonicalHeaders(request, parts.signedHeaders)}\n${parts.signedHeadersText}\n${payloadHash}`;
}

/** AWS4-HMAC-SHA256 \n time \n scope \n hash of the canonical request. */
export function stringToSign(parts: SignatureParts, canonical: string): string {
  return `${SIGV4_ALGORITHM}\n${parts.requestDate}\n${parts.scopeText}\n${sha256Hex(canonical)}`;
}

/**
 * The path as services other than S3 sign it: "." and ".." segments and empty segments resolved,
 * then each segment URI-encoded once more than it was sent (the SDKs encode the encoded path).
 */
export function canonicalUri(url: string): string {
  // DynamoDB's requests all go to '/': the common case skips the work.
  if (url === '/') return '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return uriEncode(normalized).replace(/%2F/g, '/') || '/';
}

/** Parameters encoded, sorted by name then value; a presigned request's own X-Amz-Signature left out. */
export function canonicalQuery(url: string, presigned: boolean): string {
  if (!url.includes('?')) return '';
  return queryParameters(url)
    .filter(([name]) => !(presigned && name === 'X-Amz-Signature'))
    .map(([name, value]) => [uriEncode(name), uriEncode(value)])
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** name:value lines of the signed headers: values trimmed, inner runs of spaces made one, repeats joined by ','. */
export function canonicalHeaders(request: SignedRequest, signedHeaders: readonly string[]): string {
  if (!signedHeaders.includes('host') && !signedHeaders.includes(':authority')) {
    throw new IncompleteSignatureException("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  let lines = '';
  for (const name of signedHeaders) {
    const values = request.headers[name];
    if (values === undefined) throw new IncompleteSignatureException(`'${name}' is named as a SignedHeader, but it does not exist in the HTTP request.`);
    lines += `${name}:${values.length === 1 ? canonicalHeaderValue(values[0]) : values.map(canonicalHeaderValue).join(',')}\n`;
  }
  const unsigned = unsignedAmzHeaders(request, signedHeaders);
  if (unsigned !== undefined) throw new IncompleteSignatureException(`There were headers present in the request which were not signed: ${unsigned.join(', ')}`);
  return lines;
}

/**
 * The x-amz-* headers present but not signed, sorted, or undefined when there are none (every
 * request but a forged one). An x-amz-* header changes what the request does (X-Amz-Target picks
 * the operation): one sent unsigned could be swapped on the way. The payload hash header is
 * exempt: the body is hashed as received.
 */
function unsignedAmzHeaders(request: SignedRequest, signedHeaders: readonly string[]): string[] | undefined {
  let unsigned: Set<string> | undefined;
  const raw = request.rawHeaders;
  if (raw !== undefined) {
    // Names as sent (any case); most are not x-amz-*, told by their first two characters.
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      if (name.length < AMZ_PREFIX.length || (name.charCodeAt(0) | LOWER_CASE_BIT) !== X || name.charCodeAt(1) !== DASH) continue;
      // Sent in lower case and signed, as SDKs send X-Amz-Date and X-Amz-Target: nothing to lower-case.
      if (signedHeaders.includes(name)) continue;
      const lower = name.toLowerCase();
      if (isUnsignedAmz(lower, signedHeaders)) (unsigned ??= new Set()).add(lower);
    }
  } else {
    for (const name in request.headers) if (isUnsignedAmz(name, signedHeaders)) (unsigned ??= new Set()).add(name);
  }
  return unsigned && [...unsigned].sort();
}

const AMZ_PREFIX = 'x-amz-';
const X = 0x78;
const DASH = 0x2d;
const LOWER_CASE_BIT = 0x20;

function isUnsignedAmz(lowerName: string, signedHeaders: readonly string[]): boolean {
  return lowerName.startsWith(AMZ_PREFIX) && lowerName !== 'x-amz-content-sha256' && !signedHeaders.includes(lowerName);
}

/**
 * A header value trimmed, inner runs of white space made one space. Most values need nothing done:
 * printable ASCII with single spaces inside, which one scan tells; anything else (white space at an
 * end, a tab, CR or LF, two spaces, any character outside ASCII) goes the regexps' way.
 */
function canonicalHeaderValue(value: string): string {
  const last = value.length - 1;
  for (let i = 0; i <= last; i++) {
    const c = value.charCodeAt(i);
    if (c > SPACE && c < DEL) continue;
    if (c === SPACE && i > 0 && i < last && value.charCodeAt(i + 1) !== SPACE) continue;
    const trimmed = value.trim();
    return /\s\s|[\t\r\n]/.test(trimmed) ? trimmed.replace(/\s+/g, ' ') : trimmed;
  }
  return value;
}

const SPACE = 0x20;
const DEL = 0x7f;
