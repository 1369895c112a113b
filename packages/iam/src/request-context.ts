/**
 * What a policy is evaluated against: one action on one resource, with the condition keys the
 * request carries (`aws:username`, `dynamodb:LeadingKeys`, …). Keys are compared without regard
 * to case, as IAM does; a key absent from `keys` is absent from the request. Every value is a list
 * (a single-valued key has one): IAM's multivalued keys need it, and one shape keeps the
 * comparisons simple.
 */
export interface AuthorizationRequest {
  /** `dynamodb:GetItem` */
  action: string;
  /** `arn:aws:dynamodb:us-east-1:000000000000:table/Books` (or `*` for actions on no resource) */
  resource: string;
  keys: RequestKeys;
}

export type RequestKeys = ReadonlyMap<string, readonly string[]>;

/**
 * What evaluation reads of a request's keys: one key's values by lower-case name. A RequestKeys
 * is one; a caller may also answer from layers (the request's own keys, then the principal's)
 * without merging them into a new map per request.
 */
export interface KeyLookup {
  get(name: string): readonly string[] | undefined;
}

/** Builds request keys from a plain record, lower-casing names and leaving out undefined ones. */
export function requestKeys(entries: Record<string, string | readonly string[] | undefined>): RequestKeys {
  const keys = new Map<string, readonly string[]>();
  for (const [name, value] of Object.entries(entries)) {
    if (value === undefined) continue;
    keys.set(name.toLowerCase(), typeof value === 'string' ? [value] : value);
  }
  return keys;
}

/** The same keys with `more` added (or replacing those of the same name). */
export function withKeys(keys: RequestKeys, more: Record<string, string | readonly string[] | undefined>): RequestKeys {
  const merged = new Map(keys);
  for (const [name, value] of requestKeys(more)) merged.set(name, value);
  return merged;
}
