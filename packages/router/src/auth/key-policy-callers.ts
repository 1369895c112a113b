import type http from 'node:http';
import type { Environment } from '@triad/runtime';
import { policyCaller, UNRESTRICTED_CALLER, type Caller } from '../authorization/caller';
import type { AccessKeyStore } from './access-key-store';
import type { Principal } from './principal';

/**
 * The Caller of each request in enforce mode: the policies attached to the key that signed it.
 * An admin key, an unverified principal (open mode: nothing is protected there) and a key with no
 * policy attached may do everything; a key with policies only what they allow, evaluated as IAM
 * does (docs/security.md says why a key without policies is not denied everything).
 */
export function keyPolicyCallers(keys: AccessKeyStore, accountId: string, env: Pick<Environment, 'nowMs'>): (principal: Principal, req: http.IncomingMessage) => Caller {
  return (principal, req) => {
    if (!principal.authenticated || principal.admin) return UNRESTRICTED_CALLER;
    const policies = keys.policiesOf(principal.accessKeyId);
    if (!policies || policies.length === 0) return UNRESTRICTED_CALLER;
    return policyCaller(
      { accessKeyId: principal.accessKeyId, userName: principal.name, admin: false, policies },
      {
        accountId,
        nowMs: env.nowMs(),
        secureTransport: (req.socket as { encrypted?: boolean }).encrypted === true,
        sourceIp: req.socket.remoteAddress,
      },
    );
  };
}
