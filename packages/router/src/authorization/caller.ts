import { AccessDeniedException } from '@triad/model';
import { accessDeniedMessage, evaluatePolicies, userArn, withKeys, type AuthorizationRequest, type PolicyDocument, type RequestKeys } from '@triad/iam';

/**
 * Who sent a request, as the operations see it: they describe what they are about to do (one
 * AuthorizationRequest per action and resource, per item inside a batch) and the caller allows it
 * or throws DynamoDB's AccessDeniedException. Operations call it after validating the request
 * and resolving the table, before touching any data.
 */
export interface Caller {
  authorize(requests: readonly AuthorizationRequest[]): void;
}

/** Open mode (`--auth open`) and requests from inside the cluster: everything is allowed. */
export const UNRESTRICTED_CALLER: Caller = { authorize() {} };

export interface PolicyPrincipal {
  accessKeyId: string;
  /** The key's name: the IAM user name in messages and in `${aws:username}`. */
  userName: string;
  /** An admin key may do anything, as an account's root user can. */
  admin: boolean;
  policies: readonly PolicyDocument[];
}

export interface RequestOrigin {
  accountId: string;
  /** The request's arrival time (aws:CurrentTime, aws:EpochTime). */
  nowMs: number;
  secureTransport: boolean;
  sourceIp?: string;
}

/** A caller whose key's identity policies decide, as IAM evaluates them (explicit deny wins, default deny). */
export function policyCaller(principal: PolicyPrincipal, origin: RequestOrigin): Caller {
  if (principal.admin) return UNRESTRICTED_CALLER;
  const principalArn = userArn(origin.accountId, principal.userName);
  const globalKeys = withKeys(new Map(), {
    'aws:username': principal.userName,
    'aws:userid': principal.accessKeyId,
    'aws:PrincipalArn': principalArn,
    'aws:PrincipalAccount': origin.accountId,
    'aws:CurrentTime': new Date(origin.nowMs).toISOString(),
    'aws:EpochTime': String(Math.floor(origin.nowMs / 1000)),
    'aws:SecureTransport': String(origin.secureTransport),
    'aws:SourceIp': origin.sourceIp,
  });
  return {
    authorize(requests) {
      for (const request of requests) {
        const decision = evaluatePolicies(principal.policies, { action: request.action, resource: request.resource, keys: mergeKeys(globalKeys, request.keys) });
        if (decision.effect !== 'allow') {
          throw new AccessDeniedException(accessDeniedMessage(principalArn, request.action, request.resource, decision));
        }
      }
    },
  };
}

function mergeKeys(globalKeys: RequestKeys, requestKeys: RequestKeys): RequestKeys {
  if (requestKeys.size === 0) return globalKeys;
  const merged = new Map(globalKeys);
  for (const [name, values] of requestKeys) merged.set(name, values);
  return merged;
}
