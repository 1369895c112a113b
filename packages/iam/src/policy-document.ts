import { POLICY_DOCUMENT_CHARS_MAX, POLICY_STATEMENTS_MAX, POLICY_VERSIONS } from './limits';
import { parseConditionOperator, type ConditionOperator } from './condition-operator';

/** One condition of a statement: operator, context key (lower case, as IAM compares keys) and the values it allows. */
export interface Condition {
  operator: ConditionOperator;
  key: string;
  values: string[];
}

export interface Statement {
  sid?: string;
  effect: 'Allow' | 'Deny';
  /** Exactly one of actions / notActions is set. */
  actions?: string[];
  notActions?: string[];
  /** Exactly one of resources / notResources is set. */
  resources?: string[];
  notResources?: string[];
  /** All must hold (IAM ANDs operators and keys; the values of one key are ORed). */
  conditions: Condition[];
}

export interface PolicyDocument {
  version: string;
  statements: Statement[];
}

/** A document IAM would refuse with MalformedPolicyDocument; the message says what is wrong. */
export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

const STATEMENT_FIELDS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition', 'Principal', 'NotPrincipal']);

/**
 * Parses an identity policy (JSON text or an already parsed object) as IAM reads one: Statement
 * may be one object or a list; Action, Resource and condition values may be one string or a list.
 * An identity policy names no Principal (the key it is attached to is the principal).
 */
export function parsePolicyDocument(input: string | unknown): PolicyDocument {
  let raw: unknown = input;
  if (typeof input === 'string') {
    if (input.replace(/\s+/g, '').length > POLICY_DOCUMENT_CHARS_MAX) {
      throw new PolicyError(`The policy is longer than ${POLICY_DOCUMENT_CHARS_MAX} characters (whitespace not counted).`);
    }
    try {
      raw = JSON.parse(input);
    } catch {
      throw new PolicyError('Syntax errors in policy: not valid JSON.');
    }
  }
  if (!isObject(raw)) throw new PolicyError('Syntax errors in policy: a policy is a JSON object.');
  const version = raw.Version === undefined ? '2008-10-17' : raw.Version;
  if (typeof version !== 'string' || !(POLICY_VERSIONS as readonly string[]).includes(version)) {
    throw new PolicyError(`The policy's Version must be one of ${POLICY_VERSIONS.join(', ')}.`);
  }
  const statementsRaw = Array.isArray(raw.Statement) ? raw.Statement : raw.Statement === undefined ? undefined : [raw.Statement];
  if (!statementsRaw || statementsRaw.length === 0) throw new PolicyError('Missing required field Statement.');
  if (statementsRaw.length > POLICY_STATEMENTS_MAX) throw new PolicyError(`A policy may hold at most ${POLICY_STATEMENTS_MAX} statements.`);
  return { version, statements: statementsRaw.map((s, i) => parseStatement(s, i)) };
}

function parseStatement(raw: unknown, index: number): Statement {
  const where = `Statement ${index + 1}`;
  if (!isObject(raw)) throw new PolicyError(`${where} is not a JSON object.`);
  for (const field of Object.keys(raw)) {
    if (!STATEMENT_FIELDS.has(field)) throw new PolicyError(`${where} has an unknown field ${field}.`);
  }
  if (raw.Principal !== undefined || raw.NotPrincipal !== undefined) {
    throw new PolicyError('Policy document should not specify a principal.');
  }
  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny') throw new PolicyError(`${where}: Effect must be Allow or Deny.`);
  if (raw.Sid !== undefined && typeof raw.Sid !== 'string') throw new PolicyError(`${where}: Sid must be a string.`);
  const statement: Statement = { effect: raw.Effect, conditions: [] };
  if (raw.Sid !== undefined) statement.sid = raw.Sid as string;
  [statement.actions, statement.notActions] = exactlyOne(raw, 'Action', 'NotAction', where, 'Policy statement must contain actions.');
  [statement.resources, statement.notResources] = exactlyOne(raw, 'Resource', 'NotResource', where, 'Policy statement must contain resources.');
  for (const action of statement.actions ?? statement.notActions ?? []) {
    if (action !== '*' && !/^[A-Za-z0-9-]+:[A-Za-z0-9*?]*$/.test(action)) throw new PolicyError(`${where}: action ${JSON.stringify(action)} is not service:Name.`);
  }
  if (raw.Condition !== undefined) statement.conditions = parseConditions(raw.Condition, where);
  return statement;
}

function exactlyOne(raw: Record<string, unknown>, field: string, notField: string, where: string, missing: string): [string[] | undefined, string[] | undefined] {
  if (raw[field] !== undefined && raw[notField] !== undefined) throw new PolicyError(`${where} has both ${field} and ${notField}.`);
  if (raw[field] === undefined && raw[notField] === undefined) throw new PolicyError(missing);
  const present = raw[field] !== undefined ? field : notField;
  const values = stringList(raw[present], `${where}: ${present}`);
  if (values.length === 0) throw new PolicyError(missing);
  return present === field ? [values, undefined] : [undefined, values];
}

function parseConditions(raw: unknown, where: string): Condition[] {
  if (!isObject(raw)) throw new PolicyError(`${where}: Condition must be a JSON object.`);
  const conditions: Condition[] = [];
  for (const [operatorName, block] of Object.entries(raw)) {
    const operator = parseConditionOperator(operatorName);
    if (!operator) throw new PolicyError(`${where}: unknown condition operator ${operatorName}.`);
    if (!isObject(block)) throw new PolicyError(`${where}: the ${operatorName} block must be a JSON object.`);
    for (const [key, value] of Object.entries(block)) {
      const values = stringList(value, `${where}: ${operatorName} ${key}`, true);
      conditions.push({ operator, key: key.toLowerCase(), values });
    }
  }
  return conditions;
}

function stringList(value: unknown, where: string, scalarsAllowed = false): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => {
    if (typeof v === 'string') return v;
    if (scalarsAllowed && (typeof v === 'boolean' || typeof v === 'number')) return String(v);
    throw new PolicyError(`${where} must be a string or a list of strings.`);
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
