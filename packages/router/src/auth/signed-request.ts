/**
 * What signature verification reads of an HTTP request, and nothing more: so that it stays pure
 * (tested on AWS's vectors without a socket) and verifies the body bytes as they arrived.
 */
export interface SignedRequest {
  /** The HTTP method as received (SigV4 signs it upper-case). */
  method: string;
  /** The request target as received: path and query, still percent-encoded. */
  url: string;
  /** Every value of every header, by lower-case name (Node's `headersDistinct`). */
  headers: Record<string, string[] | undefined>;
  /**
   * The same headers as received, name then value (Node's `rawHeaders`), when at hand: verification
   * then finds the x-amz-* names in it rather than enumerating `headers` (a dictionary), per request.
   */
  rawHeaders?: readonly string[];
  /** The body bytes as received. */
  body: Buffer;
}

/** The first value of a header, if it has one. */
export function headerValue(request: SignedRequest, name: string): string | undefined {
  return request.headers[name]?.[0];
}

/** The query string's parameters as received (names and values percent-decoded), in order. */
export function queryParameters(url: string): [string, string][] {
  const at = url.indexOf('?');
  if (at < 0 || at === url.length - 1) return [];
  return url
    .slice(at + 1)
    .split('&')
    .filter((pair) => pair.length > 0)
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? [decode(pair), ''] : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))];
    });
}

/** Percent-decoding that keeps a malformed escape as it came (a signature over it simply fails). */
export function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
