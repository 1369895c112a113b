/**
 * Who sent a request, as the router carries it to each operation (and, later, to IAM-style policy
 * checks). In open mode nobody is verified: the principal says so.
 */
export interface Principal {
  /** The access key the request was signed with (as sent, in open mode; '' when none could be read). */
  accessKeyId: string;
  /** The key's name in the catalog ('anonymous' in open mode). */
  name: string;
  /** An admin key manages access keys (`triad keys`). Everyone is admin in open mode. */
  admin: boolean;
  /** True when the signature was verified against the key's secret (enforce mode). */
  authenticated: boolean;
}

/** The principal of a request in open mode: whatever key it names, unverified. */
export function openModePrincipal(accessKeyId: string): Principal {
  return { accessKeyId, name: 'anonymous', admin: true, authenticated: false };
}
