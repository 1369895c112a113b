import { conditionHolds } from './condition-evaluation';
import type { PolicyDocument, Statement } from './policy-document';
import { substituteVariables } from './policy-variables';
import type { AuthorizationRequest } from './request-context';
import { wildcardMatch } from './wildcard';

/**
 * IAM's decision for one request under a principal's identity policies: an explicit Deny in any
 * statement that applies wins; otherwise an Allow that applies allows; otherwise the request is
 * denied by default (no policy allows it).
 */
export type Decision =
  | { effect: 'allow'; sid?: string }
  | { effect: 'explicitDeny'; sid?: string }
  | { effect: 'implicitDeny' };

export function evaluatePolicies(policies: readonly PolicyDocument[], request: AuthorizationRequest): Decision {
  let allow: Decision | undefined;
  for (const policy of policies) {
    for (const statement of policy.statements) {
      if (!statementApplies(statement, request)) continue;
      if (statement.effect === 'Deny') return { effect: 'explicitDeny', sid: statement.sid };
      allow ??= { effect: 'allow', sid: statement.sid };
    }
  }
  return allow ?? { effect: 'implicitDeny' };
}

export function statementApplies(statement: Statement, request: AuthorizationRequest): boolean {
  return actionMatches(statement, request.action) && resourceMatches(statement, request) && statement.conditions.every((c) => conditionHolds(c, request.keys));
}

/** Actions compare without regard to case (`dynamodb:getitem` is `dynamodb:GetItem`). */
function actionMatches(statement: Statement, action: string): boolean {
  if (statement.actions) return statement.actions.some((pattern) => wildcardMatch(pattern, action, true));
  return !statement.notActions!.some((pattern) => wildcardMatch(pattern, action, true));
}

/** Resources compare case-sensitively, as ARNs do, after policy variables are substituted. */
function resourceMatches(statement: Statement, request: AuthorizationRequest): boolean {
  const matches = (pattern: string): boolean => {
    const resolved = substituteVariables(pattern, request.keys);
    return resolved !== undefined && wildcardMatch(resolved, request.resource);
  };
  if (statement.resources) return statement.resources.some(matches);
  return !statement.notResources!.some(matches);
}
