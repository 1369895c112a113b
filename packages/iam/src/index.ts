export { accessDeniedMessage, userArn } from './access-denied';
export { parseConditionOperator, type ConditionOperator } from './condition-operator';
export { conditionHolds } from './condition-evaluation';
export { POLICY_DOCUMENT_CHARS_MAX } from './limits';
export { parsePolicyDocument, PolicyError, type Condition, type PolicyDocument, type Statement } from './policy-document';
export { evaluatePolicies, statementApplies, type Decision } from './policy-evaluation';
export { substituteVariables } from './policy-variables';
export { requestKeys, withKeys, type AuthorizationRequest, type RequestKeys } from './request-context';
export { wildcardMatch } from './wildcard';
