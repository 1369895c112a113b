import type { Condition } from './policy-document';
import type { ConditionOperator, Ordering } from './condition-operator';
import type { KeyLookup } from './request-context';
import { substituteVariables } from './policy-variables';
import { wildcardMatch } from './wildcard';

/**
 * Whether one condition holds for a request, by IAM's rules:
 * - an absent key fails a positive operator and satisfies a negated one (StringNotEquals, …);
 *   `...IfExists` makes an absent key satisfy any operator; `Null` tests presence itself;
 * - `ForAllValues:` holds when every value of the key matches some policy value — also when the
 *   key is absent or empty (IAM's documented trap: pair it with a Null check when that matters);
 * - `ForAnyValue:` holds when at least one value matches, never when the key is absent;
 * - a positive operator matches a value when any policy value matches it, a negated one when none does.
 */
export function conditionHolds(condition: Condition, keys: KeyLookup): boolean {
  const { operator } = condition;
  const requestValues = keys.get(condition.key);
  const absent = !requestValues || requestValues.length === 0;
  if (operator.comparison === 'null') {
    return condition.values.some((v) => (v.toLowerCase() === 'true') === absent);
  }
  const policyValues = condition.values.map((v) => (usesVariables(operator) ? substituteVariables(v, keys) : v));
  const matchesOne = (requestValue: string): boolean => {
    const anyMatch = policyValues.some((p) => p !== undefined && policyValueMatches(operator, requestValue, p));
    return operator.negated ? !anyMatch : anyMatch;
  };
  if (operator.set === 'forAllValues') return absent || requestValues.every(matchesOne);
  if (operator.set === 'forAnyValue') return !absent && requestValues.some(matchesOne);
  if (absent) return operator.ifExists || operator.negated;
  // A single-valued key: its one value. A multivalued key without a qualifier: IAM compares each
  // value, and the condition holds if any does.
  return requestValues.some(matchesOne);
}

/** Whether policy variables are substituted in the operator's values (string and ARN comparisons). */
export function usesVariables(operator: ConditionOperator): boolean {
  return operator.comparison === 'string' || operator.comparison === 'stringIgnoreCase' || operator.comparison === 'stringLike' || operator.comparison === 'arn' || operator.comparison === 'arnLike';
}

/** The positive comparison of one request value with one policy value. */
export function policyValueMatches(operator: ConditionOperator, requestValue: string, policyValue: string): boolean {
  switch (operator.comparison) {
    case 'string':
    case 'arn':
      return requestValue === policyValue;
    case 'stringIgnoreCase':
      return requestValue.toLowerCase() === policyValue.toLowerCase();
    case 'stringLike':
    case 'arnLike':
      return wildcardMatch(policyValue, requestValue);
    case 'bool':
      return requestValue.toLowerCase() === policyValue.toLowerCase();
    case 'numeric':
      return ordered(Number(requestValue), Number(policyValue), operator.ordering);
    case 'date':
      return ordered(toEpochMs(requestValue), toEpochMs(policyValue), operator.ordering);
    case 'null':
      return false;
  }
}

function ordered(a: number, b: number, ordering: Ordering): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  switch (ordering) {
    case 'eq':
      return a === b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
  }
}

/** IAM dates: ISO 8601 or seconds since the epoch. */
function toEpochMs(value: string): number {
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  return Date.parse(value);
}
