import type http from 'node:http';
import type { PolicyDocument } from '@triad/iam';
import type { Environment } from '@triad/runtime';
import { PolicyAuthorizer, UNRESTRICTED_CALLER, type Caller } from '../authorization/caller';
import type { AccessKeyStore } from './access-key-store';
import type { Principal } from './principal';

/**
 * The Caller of each request in enforce mode: the policies attached to the key that signed it.
 * An admin key, an unverified principal (open mode: nothing is protected there) and a key with no
 * policy attached may do everything; a key with policies only what they allow, evaluated as IAM
 * does (docs/security.md says why a key without policies is not denied everything).
 *
 * Each key's policies are compiled once: the store hands out the same parsed list until the key's
 * policies change (a new list then), so the compiled form is kept by that list and a changed
 * policy takes effect with the store's next refresh, as before.
 */
export function keyPolicyCallers(
  keys: Pick<AccessKeyStore, 'policiesOf'>,
  accountId: string,
  env: Pick<Environment, 'nowMs'>,
): (principal: Principal, req: http.IncomingMessage) => Caller {
  const authorizers = new WeakMap<readonly PolicyDocument[], PolicyAuthorizer>();
  return (principal, req) => {
    if (!principal.authenticated || principal.admin) return UNRESTRICTED_CALLER;
    const policies = keys.policiesOf(principal.accessKeyId);
    if (!policies || policies.length === 0) return UNRESTRICTED_CALLER;
    let authorizer = authorizers.get(policies);
    // The key's name is its user name in policies and messages: a renamed key gets a new authorizer.
    if (authorizer === undefined || authorizer.principal.accessKeyId !== principal.accessKeyId || authorizer.principal.userName !== principal.name) {
      authorizer = new PolicyAuthorizer({ accessKeyId: principal.accessKeyId, userName: principal.name, policies }, accountId);
      authorizers.set(policies, authorizer);
    }
    return authorizer.callerFor({
      nowMs: env.nowMs(),
      secureTransport: (req.socket as { encrypted?: boolean }).encrypted === true,
      sourceIp: req.socket.remoteAddress,
    });
  };
}
