import { Sha256HmacKey } from '@triad/encryption';

/** SigV4's one algorithm name (SigV4a, AWS4-ECDSA-P256-SHA256, is not supported). */
export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
/** The last part of every credential scope. */
export const SCOPE_TERMINATOR = 'aws4_request';

/** RFC 3986 percent-encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is encoded, hex upper-case. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export { sha256Hex } from '@triad/encryption';

export function hmac(key: Buffer | string, data: string): Buffer {
  return new Sha256HmacKey(key).digest(data);
}

/** 20150830T123600Z for a time in milliseconds since the epoch (SigV4's ISO 8601 basic format). */
export function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The last date parsed: requests signed in the same second share it (one parse per second, not per request). */
let lastDate: { text: string; ms: number | undefined } = { text: '', ms: undefined };

/** Milliseconds since the epoch for 20150830T123600Z, or undefined if it is not that format or no real date. */
export function parseAmzDate(text: string): number | undefined {
  if (text === lastDate.text) return lastDate.ms;
  const ms = parseAmzDateUncached(text);
  lastDate = { text, ms };
  return ms;
}

function parseAmzDateUncached(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // Date.UTC rolls 20150231 over into March: a date that does not exist is refused.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return ms;
}
