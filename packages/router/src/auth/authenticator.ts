import { MissingAuthenticationTokenException } from '@triad/model';
import type { Environment } from '@triad/runtime';
import type { AuthMode } from './auth-mode';
import { MISSING_TOKEN_MESSAGE } from './parse-signature';
import { openModePrincipal, type Principal } from './principal';
import { headerValue, queryParameters, type SignedRequest } from './signed-request';
import { SigningKeyCache } from './signing-key-cache';
import { verifySignature, type VerificationKey } from './verify-signature';

/** Says who sent a request, or throws DynamoDB's authentication error. */
export interface Authenticator {
  readonly mode: AuthMode;
  authenticate(request: SignedRequest): Principal;
}

/** The keys an enforcing authenticator verifies against (AccessKeyStore, or a fixed list in tests). */
export interface KeySource {
  find(accessKeyId: string): VerificationKey | undefined;
}

/** Verifies every signature (SigV4, service "dynamodb", the router's region). */
export class EnforcingAuthenticator implements Authenticator {
  readonly mode = 'enforce';
  readonly signingKeys = new SigningKeyCache();
  /** Made once: a closure made per request costs an allocation (and, under tsx, a defineProperty for its name). */
  private readonly findKey = (accessKeyId: string) => this.keys.find(accessKeyId);

  constructor(
    private readonly keys: KeySource,
    private readonly region: string,
    private readonly env: Environment,
  ) {}

  authenticate(request: SignedRequest): Principal {
    return verifySignature(request, this.findKey, this.signingKeys, { service: 'dynamodb', region: this.region, nowMs: this.env.nowMs() });
  }
}

/**
 * Accepts any SigV4-looking credentials, as Triad always did and DynamoDB Local does: a request
 * must carry an Authorization header (or a presigned query) that starts like SigV4.
 */
export class OpenAuthenticator implements Authenticator {
  readonly mode = 'open';

  authenticate(request: SignedRequest): Principal {
    const header = headerValue(request, 'authorization');
    if (header) {
      if (!header.trim().startsWith('AWS4-')) throw new MissingAuthenticationTokenException(MISSING_TOKEN_MESSAGE);
      return openModePrincipal(/Credential=([^/,\s]*)/.exec(header)?.[1] ?? '');
    }
    const query = new Map(queryParameters(request.url));
    if (!query.has('X-Amz-Algorithm')) throw new MissingAuthenticationTokenException(MISSING_TOKEN_MESSAGE);
    return openModePrincipal(query.get('X-Amz-Credential')?.split('/')[0] ?? '');
  }
}
