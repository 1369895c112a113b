import type { Decision } from './policy-evaluation';

/**
 * The message of DynamoDB's AccessDeniedException, in AWS's current wording: who, which action,
 * which resource, and why (no policy allows it, or a policy denies it).
 */
export function accessDeniedMessage(principalArn: string, action: string, resource: string, decision: Exclude<Decision, { effect: 'allow' }>): string {
  const base = `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource}`;
  return decision.effect === 'explicitDeny'
    ? `${base} with an explicit deny in an identity-based policy`
    : `${base} because no identity-based policy allows the ${action} action`;
}

/** The ARN a key's principal goes by in messages and in `aws:PrincipalArn`: an IAM user named like the key. */
export function userArn(accountId: string, userName: string): string {
  return `arn:aws:iam::${accountId}:user/${userName}`;
}
