import { AccessDeniedException } from '@triad/model';
import { accessDeniedMessage, compilePolicies, requestKeys, userArn, type AuthorizationRequest, type CompiledPolicies, type KeyLookup, type PolicyDocument, type RequestKeys } from '@triad/iam';

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
  return new PolicyAuthorizer(principal, origin.accountId).callerFor(origin);
}

/**
 * What authorizing one principal's requests takes that does not change from request to request:
 * its policies compiled, its ARN, its own condition keys (aws:username, aws:userid,
 * aws:PrincipalArn, aws:PrincipalAccount). Made once per key and policy set (key-policy-callers.ts
 * keeps them), so that a request costs only the evaluation itself.
 */
export class PolicyAuthorizer {
  readonly principalArn: string;
  private readonly compiled: CompiledPolicies;
  private readonly principalKeys: RequestKeys;

  constructor(
    readonly principal: Omit<PolicyPrincipal, 'admin'>,
    readonly accountId: string,
  ) {
    this.principalArn = userArn(accountId, principal.userName);
    this.compiled = compilePolicies(principal.policies);
    this.principalKeys = requestKeys({
      'aws:username': principal.userName,
      'aws:userid': principal.accessKeyId,
      'aws:PrincipalArn': this.principalArn,
      'aws:PrincipalAccount': accountId,
    });
  }

  /** The caller of one request from this principal, arriving as `origin` says. */
  callerFor(origin: Omit<RequestOrigin, 'accountId'>): Caller {
    return new PolicyCaller(this.compiled, this.principalArn, new RequestKeyLayers(this.principalKeys, origin));
  }
}

/** One request's caller: a class, not a closure made per request. */
class PolicyCaller implements Caller {
  constructor(
    private readonly compiled: CompiledPolicies,
    private readonly principalArn: string,
    private readonly keys: RequestKeyLayers,
  ) {}

  authorize(requests: readonly AuthorizationRequest[]): void {
    for (const request of requests) {
      this.keys.request = request.keys;
      const decision = this.compiled.evaluate(request.action, request.resource, this.keys);
      if (decision.effect !== 'allow') {
        throw new AccessDeniedException(accessDeniedMessage(this.principalArn, request.action, request.resource, decision));
      }
    }
  }
}

const TRUE: readonly string[] = ['true'];
const FALSE: readonly string[] = ['false'];

/**
 * A request's condition keys as IAM sees them: the operation's own (dynamodb:LeadingKeys, …) first,
 * then the request's global keys (aws:CurrentTime, aws:EpochTime, aws:SecureTransport,
 * aws:SourceIp; the time formatted only if a policy asks for it), then the principal's. Looked up
 * layer by layer rather than merged into a new map for every request.
 */
class RequestKeyLayers implements KeyLookup {
  request: RequestKeys = new Map();
  private currentTime?: readonly string[];
  private epochTime?: readonly string[];
  private sourceIp?: readonly string[];

  constructor(
    private readonly principalKeys: RequestKeys,
    private readonly origin: Omit<RequestOrigin, 'accountId'>,
  ) {}

  get(name: string): readonly string[] | undefined {
    const own = this.request.get(name);
    if (own !== undefined) return own;
    switch (name) {
      case 'aws:currenttime':
        return (this.currentTime ??= [new Date(this.origin.nowMs).toISOString()]);
      case 'aws:epochtime':
        return (this.epochTime ??= [String(Math.floor(this.origin.nowMs / 1000))]);
      case 'aws:securetransport':
        return this.origin.secureTransport ? TRUE : FALSE;
      case 'aws:sourceip':
        return this.origin.sourceIp === undefined ? undefined : (this.sourceIp ??= [this.origin.sourceIp]);
    }
    return this.principalKeys.get(name);
  }
}
