import { policyValueMatches, usesVariables } from './condition-evaluation';
import type { Condition, PolicyDocument, Statement } from './policy-document';
import type { Decision } from './policy-evaluation';
import { substituteVariables } from './policy-variables';
import type { KeyLookup } from './request-context';
import { compileWildcard, wildcardMatch } from './wildcard';

/**
 * A principal's policies made ready to evaluate many requests: what `evaluatePolicies` works out
 * per request from the documents (lower-cased action names, glob regexps, whether values hold
 * policy variables) is worked out once, when the policies change. It gives the same decisions as
 * `evaluatePolicies`, its naive twin, against which it is tested on random policies and requests
 * (test/compiled-policies.test.ts).
 */
export interface CompiledPolicies {
  evaluate(action: string, resource: string, keys: KeyLookup): Decision;
}

type Matcher = (value: string) => boolean;

/** Action or resource patterns: exact ones in a set, globs compiled, patterns with policy variables resolved per request. */
interface PatternSet {
  exact: ReadonlySet<string>;
  globs: readonly Matcher[];
  /** Resources holding `${…}` (actions take no variables), matched as `evaluatePolicies` does. */
  variable: readonly string[];
}

interface CompiledCondition {
  condition: Condition;
  /** Matchers of the policy values when none needs a variable substituted (most conditions). */
  fixed?: readonly Matcher[];
}

interface CompiledStatement {
  sid?: string;
  deny: boolean;
  actions: PatternSet;
  /** NotAction: the statement applies to actions that match none. */
  actionsNegated: boolean;
  resources: PatternSet;
  resourcesNegated: boolean;
  conditions: readonly CompiledCondition[];
}

export function compilePolicies(policies: readonly PolicyDocument[]): CompiledPolicies {
  const statements: CompiledStatement[] = [];
  for (const policy of policies) for (const statement of policy.statements) statements.push(compileStatement(statement));
  return {
    evaluate(action, resource, keys) {
      const actionLower = action.toLowerCase();
      let allow: CompiledStatement | undefined;
      for (const statement of statements) {
        if (!applies(statement, actionLower, action, resource, keys)) continue;
        if (statement.deny) return { effect: 'explicitDeny', sid: statement.sid };
        allow ??= statement;
      }
      return allow === undefined ? { effect: 'implicitDeny' } : { effect: 'allow', sid: allow.sid };
    },
  };
}

function compileStatement(statement: Statement): CompiledStatement {
  return {
    sid: statement.sid,
    deny: statement.effect === 'Deny',
    actions: patternSet(statement.actions ?? statement.notActions!, true),
    actionsNegated: statement.actions === undefined,
    resources: patternSet(statement.resources ?? statement.notResources!, false),
    resourcesNegated: statement.resources === undefined,
    conditions: statement.conditions.map(compileCondition),
  };
}

/** Actions compare without regard to case (exact ones are kept lower-cased), resources with it. */
function patternSet(patterns: readonly string[], isAction: boolean): PatternSet {
  const exact = new Set<string>();
  const globs: Matcher[] = [];
  const variable: string[] = [];
  for (const pattern of patterns) {
    if (!isAction && pattern.includes('${')) variable.push(pattern);
    else if (pattern.includes('*') || pattern.includes('?')) globs.push(compileWildcard(pattern, isAction));
    else exact.add(isAction ? pattern.toLowerCase() : pattern);
  }
  return { exact, globs, variable };
}

function compileCondition(condition: Condition): CompiledCondition {
  const { operator } = condition;
  if (operator.comparison === 'null') return { condition };
  if (usesVariables(operator) && condition.values.some((v) => v.includes('${'))) return { condition };
  const like = operator.comparison === 'stringLike' || operator.comparison === 'arnLike';
  return {
    condition,
    fixed: condition.values.map((policyValue): Matcher => (like ? compileWildcard(policyValue) : (requestValue) => policyValueMatches(operator, requestValue, policyValue))),
  };
}

function applies(statement: CompiledStatement, actionLower: string, action: string, resource: string, keys: KeyLookup): boolean {
  if (matchesAny(statement.actions, actionLower, action, keys) === statement.actionsNegated) return false;
  if (matchesAny(statement.resources, resource, resource, keys) === statement.resourcesNegated) return false;
  for (const condition of statement.conditions) if (!holds(condition, keys)) return false;
  return true;
}

/** `exactKey`: the value as exact patterns are kept (lower case for actions). */
function matchesAny(set: PatternSet, exactKey: string, value: string, keys: KeyLookup): boolean {
  if (set.exact.has(exactKey)) return true;
  for (const glob of set.globs) if (glob(value)) return true;
  for (const pattern of set.variable) {
    const resolved = substituteVariables(pattern, keys);
    if (resolved !== undefined && wildcardMatch(resolved, value)) return true;
  }
  return false;
}

/** IAM's rules for one condition, exactly as condition-evaluation.ts's `conditionHolds` (see there), with the policy values prepared. */
function holds(compiled: CompiledCondition, keys: KeyLookup): boolean {
  const { condition } = compiled;
  const { operator } = condition;
  const requestValues = keys.get(condition.key);
  const absent = !requestValues || requestValues.length === 0;
  if (operator.comparison === 'null') {
    for (const v of condition.values) if ((v.toLowerCase() === 'true') === absent) return true;
    return false;
  }
  if (operator.set === 'forAllValues') {
    if (absent) return true;
    for (const value of requestValues) if (!matchesOne(compiled, value, keys)) return false;
    return true;
  }
  if (operator.set === 'forAnyValue') {
    if (absent) return false;
    for (const value of requestValues) if (matchesOne(compiled, value, keys)) return true;
    return false;
  }
  if (absent) return operator.ifExists || operator.negated;
  for (const value of requestValues) if (matchesOne(compiled, value, keys)) return true;
  return false;
}

/** A positive operator: some policy value matches; a negated one: none does. */
function matchesOne(compiled: CompiledCondition, requestValue: string, keys: KeyLookup): boolean {
  const { operator, values } = compiled.condition;
  let anyMatch = false;
  if (compiled.fixed !== undefined) {
    for (const matches of compiled.fixed) {
      if (matches(requestValue)) {
        anyMatch = true;
        break;
      }
    }
  } else {
    for (const value of values) {
      const policyValue = substituteVariables(value, keys);
      if (policyValue !== undefined && policyValueMatches(operator, requestValue, policyValue)) {
        anyMatch = true;
        break;
      }
    }
  }
  return operator.negated ? !anyMatch : anyMatch;
}
