/**
 * IAM's condition operators: a base comparison, optionally negated, optionally `...IfExists`
 * (true when the key is absent) and optionally qualified for multivalued keys (`ForAllValues:`,
 * `ForAnyValue:`).
 */
export type Comparison = 'string' | 'stringIgnoreCase' | 'stringLike' | 'numeric' | 'date' | 'bool' | 'arn' | 'arnLike' | 'null';
export type Ordering = 'eq' | 'lt' | 'le' | 'gt' | 'ge';

export interface ConditionOperator {
  name: string;
  comparison: Comparison;
  ordering: Ordering;
  /** StringNotEquals, NumericNotEquals, ArnNotLike, …: true when no policy value matches. */
  negated: boolean;
  ifExists: boolean;
  set?: 'forAllValues' | 'forAnyValue';
}

const BASE_OPERATORS: Record<string, Omit<ConditionOperator, 'name' | 'ifExists' | 'set'>> = {
  StringEquals: { comparison: 'string', ordering: 'eq', negated: false },
  StringNotEquals: { comparison: 'string', ordering: 'eq', negated: true },
  StringEqualsIgnoreCase: { comparison: 'stringIgnoreCase', ordering: 'eq', negated: false },
  StringNotEqualsIgnoreCase: { comparison: 'stringIgnoreCase', ordering: 'eq', negated: true },
  StringLike: { comparison: 'stringLike', ordering: 'eq', negated: false },
  StringNotLike: { comparison: 'stringLike', ordering: 'eq', negated: true },
  NumericEquals: { comparison: 'numeric', ordering: 'eq', negated: false },
  NumericNotEquals: { comparison: 'numeric', ordering: 'eq', negated: true },
  NumericLessThan: { comparison: 'numeric', ordering: 'lt', negated: false },
  NumericLessThanEquals: { comparison: 'numeric', ordering: 'le', negated: false },
  NumericGreaterThan: { comparison: 'numeric', ordering: 'gt', negated: false },
  NumericGreaterThanEquals: { comparison: 'numeric', ordering: 'ge', negated: false },
  DateEquals: { comparison: 'date', ordering: 'eq', negated: false },
  DateNotEquals: { comparison: 'date', ordering: 'eq', negated: true },
  DateLessThan: { comparison: 'date', ordering: 'lt', negated: false },
  DateLessThanEquals: { comparison: 'date', ordering: 'le', negated: false },
  DateGreaterThan: { comparison: 'date', ordering: 'gt', negated: false },
  DateGreaterThanEquals: { comparison: 'date', ordering: 'ge', negated: false },
  Bool: { comparison: 'bool', ordering: 'eq', negated: false },
  ArnEquals: { comparison: 'arn', ordering: 'eq', negated: false },
  ArnNotEquals: { comparison: 'arn', ordering: 'eq', negated: true },
  ArnLike: { comparison: 'arnLike', ordering: 'eq', negated: false },
  ArnNotLike: { comparison: 'arnLike', ordering: 'eq', negated: true },
  Null: { comparison: 'null', ordering: 'eq', negated: false },
};

const SET_QUALIFIERS = { 'ForAllValues:': 'forAllValues', 'ForAnyValue:': 'forAnyValue' } as const;

/** The operator named `name`, or undefined when IAM has no such operator. */
export function parseConditionOperator(name: string): ConditionOperator | undefined {
  let rest = name;
  let set: ConditionOperator['set'];
  for (const [prefix, qualifier] of Object.entries(SET_QUALIFIERS)) {
    if (rest.startsWith(prefix)) {
      set = qualifier;
      rest = rest.slice(prefix.length);
    }
  }
  let ifExists = false;
  if (rest.endsWith('IfExists')) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  const base = Object.prototype.hasOwnProperty.call(BASE_OPERATORS, rest) ? BASE_OPERATORS[rest] : undefined;
  // Null takes neither IfExists nor a set qualifier: it is itself the test of presence.
  if (!base || (base.comparison === 'null' && (ifExists || set))) return undefined;
  return { name, ...base, ifExists, set };
}
