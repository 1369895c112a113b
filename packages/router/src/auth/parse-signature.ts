import { IncompleteSignatureException, MissingAuthenticationTokenException } from '@triad/model';
import { AUTHORIZATION_PREFIX_CACHED_CHARS_MAX, AUTHORIZATION_PREFIXES_CACHED_MAX, PRESIGNED_EXPIRES_SECONDS_MAX, SIGNED_HEADERS_COUNT_MAX } from './auth-limits';
import { headerValue, queryParameters, type SignedRequest } from './signed-request';
import { SIGV4_ALGORITHM, parseAmzDate } from './sigv4-encoding';

/** A SigV4 signature as a request carries it (Authorization header or presigned query), not yet checked. */
export interface SignatureParts {
  /** True for a presigned URL (X-Amz-* query parameters), false for an Authorization header. */
  presigned: boolean;
  accessKeyId: string;
  /** The credential scope: date (YYYYMMDD), region, service and terminator, as sent. */
  scope: Readonly<{ date: string; region: string; service: string; terminator: string }>;
  /** The same joined by '/', as the string to sign has it. */
  scopeText: string;
  /** Lower-case header names, in the order sent (SigV4 has them sorted). Shared between requests: never changed. */
  signedHeaders: readonly string[];
  /** The same joined by ';', as the canonical request has it. */
  signedHeadersText: string;
  /** Hex, as sent. */
  signature: string;
  /** The request's time as sent (X-Amz-Date, or the Date header), and in ms since the epoch. */
  requestDate: string;
  requestTimeMs: number;
  /** Where the time came from, for the scope-date message. */
  dateSource: 'X-Amz-Date' | 'Date';
  /** A presigned request's lifetime in seconds (X-Amz-Expires). */
  expiresSeconds?: number;
  /** X-Amz-Security-Token, when sent (Triad issues no session tokens). */
  sessionToken?: string;
}

export const MISSING_TOKEN_MESSAGE = 'Request is missing Authentication Token';
const NOT_BLANK = /\S/;

/**
 * Finds and parses the request's signature; throws MissingAuthenticationTokenException when it
 * carries none and IncompleteSignatureException when what it carries is malformed (AWS's wording).
 * Checks nothing against keys or clocks.
 */
export function parseSignature(request: SignedRequest): SignatureParts {
  const authorization = headerValue(request, 'authorization');
  // (A test for a non-blank character, not trim(): trim copies the header on every request.)
  if (authorization !== undefined && NOT_BLANK.test(authorization)) return parseAuthorizationHeader(request, authorization);
  const query = new Map<string, string>();
  for (const [name, value] of queryParameters(request.url)) if (!query.has(name)) query.set(name, value);
  if (query.has('X-Amz-Algorithm')) return parsePresigned(request, query);
  throw new MissingAuthenticationTokenException(MISSING_TOKEN_MESSAGE);
}

/**
 * The part of the header every SDK writes before `Signature=`: key id, credential scope and signed
 * headers. A client sends the same text on every request for a day (only the signature changes),
 * so what it says is parsed once and looked up by its text after that.
 */
const SDK_AUTHORIZATION_PREFIX = /^AWS4-HMAC-SHA256 Credential=([^,\s]+), ?SignedHeaders=([^,\s]+), ?$/;
const SIGNATURE_FIELD = 'Signature=';
const SIGNATURE_HEX_CHARS = 64;

type HeaderPrefix = Pick<SignatureParts, 'accessKeyId' | 'scope' | 'scopeText' | 'signedHeaders' | 'signedHeadersText'>;

/** Parsed header prefixes by their text; emptied when full (a flood of made-up prefixes only costs their parse, as without it). */
const headerPrefixes = new Map<string, HeaderPrefix>();
let lastPrefix: { text: string; parsed: HeaderPrefix } | undefined;

/** Whether `text` ends, from `from` on, in `[0-9a-f]{64}`: the signature as SDKs write it (read in place). */
function endsInLowerHexSignature(text: string, from: number): boolean {
  if (text.length - from !== SIGNATURE_HEX_CHARS) return false;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * The header as every SDK writes it (`AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=<64
 * lower-case hex>`), or undefined for any other shape (the general parser below handles the rest).
 */
function sdkAuthorizationPrefix(header: string): HeaderPrefix | undefined {
  const at = header.length - SIGNATURE_HEX_CHARS - SIGNATURE_FIELD.length;
  if (at <= 0 || !header.startsWith(SIGNATURE_FIELD, at) || !endsInLowerHexSignature(header, at + SIGNATURE_FIELD.length)) return undefined;
  // The prefix used last, compared in place (no copy of it to look up): a client sends the same all day.
  if (lastPrefix !== undefined && at === lastPrefix.text.length && header.startsWith(lastPrefix.text)) return lastPrefix.parsed;
  const text = header.slice(0, at);
  const known = headerPrefixes.get(text);
  if (known !== undefined) {
    lastPrefix = { text, parsed: known };
    return known;
  }
  const sdk = SDK_AUTHORIZATION_PREFIX.exec(text);
  if (!sdk) return undefined;
  const credential = credentialParts(sdk[1]);
  const signedHeaders = signedHeaderList(sdk[2]);
  const prefix: HeaderPrefix = { ...credential, signedHeaders, signedHeadersText: signedHeaders.join(';') };
  if (text.length <= AUTHORIZATION_PREFIX_CACHED_CHARS_MAX) {
    if (headerPrefixes.size >= AUTHORIZATION_PREFIXES_CACHED_MAX) headerPrefixes.clear();
    headerPrefixes.set(text, prefix);
    lastPrefix = { text, parsed: prefix };
  }
  return prefix;
}

function parseAuthorizationHeader(request: SignedRequest, header: string): SignatureParts {
  const xAmzDate = headerValue(request, 'x-amz-date');
  const sdk = xAmzDate === undefined ? undefined : sdkAuthorizationPrefix(header);
  if (sdk !== undefined) {
    const ms = parseAmzDate(xAmzDate!);
    if (ms === undefined) throw badAmzDate(xAmzDate!);
    return {
      presigned: false,
      accessKeyId: sdk.accessKeyId,
      scope: sdk.scope,
      scopeText: sdk.scopeText,
      signedHeaders: sdk.signedHeaders,
      signedHeadersText: sdk.signedHeadersText,
      signature: header.slice(header.length - SIGNATURE_HEX_CHARS),
      requestDate: xAmzDate!,
      requestTimeMs: ms,
      dateSource: 'X-Amz-Date',
      sessionToken: headerValue(request, 'x-amz-security-token'),
    };
  }
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  const algorithm = space < 0 ? trimmed : trimmed.slice(0, space);
  const rest = space < 0 ? '' : trimmed.slice(space + 1);
  const fields = new Map<string, string>();
  for (const part of rest.split(',')) {
    const pair = part.trim();
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq < 0) {
      throw new IncompleteSignatureException(`'${pair}' not a valid key=value pair (missing equal-sign) in Authorization header: '${header}'.`);
    }
    fields.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  const date = headerValue(request, 'date');
  const missing: string[] = [];
  if (!credential) missing.push("Authorization header requires 'Credential' parameter.");
  if (!signature) missing.push("Authorization header requires 'Signature' parameter.");
  if (!signedHeaders) missing.push("Authorization header requires 'SignedHeaders' parameter.");
  if (xAmzDate === undefined && date === undefined) missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (missing.length > 0) throw new IncompleteSignatureException(`${missing.join(' ')} Authorization=${header}`);
  if (algorithm !== SIGV4_ALGORITHM) throw new IncompleteSignatureException(`Unsupported AWS 'algorithm': '${algorithm}'`);
  const time = requestTime(xAmzDate, date);
  return {
    presigned: false,
    ...credentialParts(credential!),
    ...signedHeaderParts(signedHeaders!),
    signature: signature!,
    ...time,
    sessionToken: headerValue(request, 'x-amz-security-token'),
  };
}

/** AWS's query-string parameters of a presigned request, in the order its message names them. */
const PRESIGNED_REQUIRED = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date'];

function parsePresigned(request: SignedRequest, query: Map<string, string>): SignatureParts {
  const missing = PRESIGNED_REQUIRED.filter((name) => !query.get(name));
  if (missing.length > 0) {
    throw new IncompleteSignatureException(
      `${missing.map((name) => `AWS query-string parameters must include '${name}'.`).join(' ')} Re-examine the query-string parameters.`,
    );
  }
  const algorithm = query.get('X-Amz-Algorithm')!;
  if (algorithm !== SIGV4_ALGORITHM) throw new IncompleteSignatureException(`Unsupported AWS 'algorithm': '${algorithm}'`);
  let expiresSeconds: number | undefined;
  const expires = query.get('X-Amz-Expires');
  if (expires !== undefined) {
    if (!/^\d{1,10}$/.test(expires)) throw new IncompleteSignatureException(`X-Amz-Expires must be a whole number of seconds, not '${expires}'.`);
    expiresSeconds = Number(expires);
    if (expiresSeconds > PRESIGNED_EXPIRES_SECONDS_MAX) {
      throw new IncompleteSignatureException(`X-Amz-Expires must be less than a week (in seconds) that is; ${PRESIGNED_EXPIRES_SECONDS_MAX}`);
    }
  }
  return {
    presigned: true,
    ...credentialParts(query.get('X-Amz-Credential')!),
    ...signedHeaderParts(query.get('X-Amz-SignedHeaders')!),
    signature: query.get('X-Amz-Signature')!,
    ...requestTime(query.get('X-Amz-Date'), undefined),
    expiresSeconds,
    sessionToken: query.get('X-Amz-Security-Token') ?? headerValue(request, 'x-amz-security-token'),
  };
}

/** ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request. */
function credentialParts(credential: string): Pick<SignatureParts, 'accessKeyId' | 'scope' | 'scopeText'> {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    throw new IncompleteSignatureException(
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
    );
  }
  const [accessKeyId, date, region, service, terminator] = parts;
  return { accessKeyId, scope: { date, region, service, terminator }, scopeText: `${date}/${region}/${service}/${terminator}` };
}

function signedHeaderParts(value: string): Pick<SignatureParts, 'signedHeaders' | 'signedHeadersText'> {
  const signedHeaders = signedHeaderList(value);
  return { signedHeaders, signedHeadersText: signedHeaders.join(';') };
}

function signedHeaderList(value: string): string[] {
  const names = value.split(';').map((name) => name.trim().toLowerCase());
  if (names.some((name) => name === '')) throw new IncompleteSignatureException(`SignedHeaders must list header names separated by ';', got '${value}'.`);
  if (names.length > SIGNED_HEADERS_COUNT_MAX) throw new IncompleteSignatureException(`SignedHeaders names more than ${SIGNED_HEADERS_COUNT_MAX} headers.`);
  return names;
}

function badAmzDate(xAmzDate: string): IncompleteSignatureException {
  return new IncompleteSignatureException(`Date must be in ISO-8601 'basic format'. Got '${xAmzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
}

function requestTime(xAmzDate: string | undefined, date: string | undefined): Pick<SignatureParts, 'requestDate' | 'requestTimeMs' | 'dateSource'> {
  if (xAmzDate !== undefined) {
    const ms = parseAmzDate(xAmzDate);
    if (ms === undefined) throw badAmzDate(xAmzDate);
    return { requestDate: xAmzDate, requestTimeMs: ms, dateSource: 'X-Amz-Date' };
  }
  // RFC 7231's HTTP date (Mon, 09 Sep 2011 23:36:00 GMT): the SDKs send X-Amz-Date, old clients Date.
  const ms = date !== undefined && /GMT$/.test(date) ? Date.parse(date) : NaN;
  if (Number.isNaN(ms)) throw new IncompleteSignatureException(`Date must be in RFC 1123 format with GMT. Got '${date ?? ''}'.`);
  const basic = new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return { requestDate: basic, requestTimeMs: ms, dateSource: 'Date' };
}
