/**
 * UpdateExpression parser.
 *
 *   update    := clause+
 *   clause    := SET set (',' set)* | REMOVE path (',' path)* | ADD path :value (',' ...)* | DELETE path :value (',' ...)*
 *   set       := path '=' setValue
 *   setValue  := '(' setValue ')' | operand ( ('+' | '-') operand )?
 *   operand   := '(' operand ')' | :value | function '(' operand (',' operand)* ')' | path
 *
 * Clauses may come in any order, each at most once; no two target paths may overlap.
 */
import type { DocumentPath, SetAction, UpdateExpression, UpdateValue, ValueAction } from './ast';
import { formatPath } from './ast';
import type { ExpressionContext } from './context';
import { ExpressionParser, type ErrorCategory } from './parser-base';
import { attributeType as attributeTypeOf } from '../attribute-value';

type Clause = 'SET' | 'REMOVE' | 'ADD' | 'DELETE';
const CLAUSES = new Set<string>(['SET', 'REMOVE', 'ADD', 'DELETE']);

const FUNCTION_ARITY: Record<string, number> = { if_not_exists: 2, list_append: 2 };

/** Functions DynamoDB knows but only in condition expressions. */
const CONDITION_FUNCTIONS = new Set(['attribute_exists', 'attribute_not_exists', 'attribute_type', 'begins_with', 'contains', 'size']);

/** DynamoDB's names for types in ADD / DELETE operand errors. */
const TYPE_WORDS: Record<string, string> = {
  S: 'STRING',
  N: 'NUMBER',
  B: 'BINARY',
  NULL: 'NULL',
  BOOL: 'BOOLEAN',
  L: 'LIST',
  M: 'MAP',
};

const ERROR_ORDER: readonly ErrorCategory[] = [
  'operators',
  'reserved',
  'unknownFunction',
  'section',
  'attrName',
  'attrValue',
  'nesting',
  'listIndex',
  'pathOverlap',
  'pathConflict',
  'operandType',
  'function',
];

class UpdateParser extends ExpressionParser {
  private readonly result: UpdateExpression = { set: [], remove: [], add: [], delete: [] };
  private readonly seenClauses = new Set<Clause>();
  private readonly targets: DocumentPath[] = [];

  constructor(text: string, ctx: ExpressionContext) {
    super('UpdateExpression', text, ctx);
  }

  parse(): UpdateExpression {
    do this.parseClause();
    while (!this.atEnd());
    this.checkOperatorCount();
    this.throwRecorded(ERROR_ORDER);
    return this.result;
  }

  private atClauseKeyword(): boolean {
    const token = this.peek();
    return token.type === 'identifier' && CLAUSES.has(token.text.toUpperCase());
  }

  private parseClause(): void {
    if (!this.atClauseKeyword()) throw this.syntaxError();
    const clause = this.next().text.toUpperCase() as Clause;
    for (;;) {
      switch (clause) {
        case 'SET':
          this.result.set.push(this.parseSetAction());
          break;
        case 'REMOVE':
          this.result.remove.push(this.parseTarget());
          break;
        case 'ADD':
          this.result.add.push(this.parseValueAction('ADD'));
          break;
        case 'DELETE':
          this.result.delete.push(this.parseValueAction('DELETE'));
          break;
      }
      if (!this.atPunct(',')) break;
      this.next();
    }
    if (this.seenClauses.has(clause)) {
      this.record('section', `The "${clause}" section can only be used once in an update expression;`);
    }
    this.seenClauses.add(clause);
  }

  /** A target path; clause keywords cannot start one. */
  private parseTarget(): DocumentPath {
    if (this.atClauseKeyword() || !this.atPathStart()) throw this.syntaxError();
    const { path, missing } = this.parsePath();
    if (missing !== undefined) this.record('attrName', missing);
    this.checkOverlap(path);
    return path;
  }

  private checkOverlap(path: DocumentPath): void {
    for (const earlier of this.targets) {
      const relation = comparePaths(earlier, path);
      const paths = `must remove or rewrite one of these paths; path one: ${formatPath(earlier)}, path two: ${formatPath(path)}`;
      if (relation === 'overlap') this.record('pathOverlap', `Two document paths overlap with each other; ${paths}`);
      else if (relation === 'conflict') this.record('pathConflict', `Two document paths conflict with each other; ${paths}`);
    }
    this.targets.push(path);
  }

  private parseSetAction(): SetAction {
    const path = this.parseTarget();
    this.expectPunct('=');
    return { path, value: this.parseSetValue() };
  }

  private parseSetValue(wrapped = false): UpdateValue {
    // A parenthesised whole value, `SET a = (b + :c)` (one pair; the operands may have their own).
    if (!wrapped && this.atPunct('(') && this.closesValue(this.pos)) {
      this.next();
      const value = this.parseSetValue(true);
      this.expectPunct(')');
      return value;
    }
    const left = this.parseOperand();
    if (this.atPunct('+') || this.atPunct('-')) {
      const operator = this.next().text;
      this.countOperator();
      const right = this.parseOperand();
      for (const operand of [left, right]) {
        if (operand.type === 'value') {
          const type = attributeTypeOf(operand.value);
          if (type !== 'N') this.functionTypeError(operator, type);
        }
      }
      return { type: operator === '+' ? 'plus' : 'minus', left, right };
    }
    return left;
  }

  /** Whether the '(' at `open` closes right before the end of a SET value. */
  private closesValue(open: number): boolean {
    let depth = 0;
    for (let i = open; i < this.tokens.length; i++) {
      const token = this.tokens[i]!;
      if (token.type === 'punct' && token.text === '(') depth += 1;
      else if (token.type === 'punct' && token.text === ')') {
        depth -= 1;
        if (depth === 0) {
          const after = this.tokens[i + 1];
          if (after === undefined || after.type === 'eof') return true;
          if (after.type === 'punct') return after.text === ',';
          return after.type === 'identifier' && CLAUSES.has(after.text.toUpperCase());
        }
      }
    }
    return false;
  }

  /** An operand, optionally in one pair of parentheses. */
  private parseOperand(): UpdateValue {
    if (!this.atPunct('(')) return this.parseAtom();
    this.next();
    const operand = this.parseAtom();
    this.expectPunct(')');
    return operand;
  }

  private parseAtom(): UpdateValue {
    const token = this.peek();
    if (token.type === 'value') {
      this.next();
      const { value, missing } = this.resolveValue(token);
      if (missing !== undefined) this.record('attrValue', missing);
      return { type: 'value', value };
    }
    if (token.type === 'identifier' && this.atPunct('(', 1) && !CLAUSES.has(token.text.toUpperCase())) {
      this.next();
      this.next();
      this.countOperator();
      this.enter();
      const args = [this.parseOperand()];
      while (this.atPunct(',')) {
        this.next();
        args.push(this.parseOperand());
      }
      this.leave();
      this.expectPunct(')');
      return this.buildFunction(token.text, args);
    }
    if (this.atClauseKeyword() || !this.atPathStart()) throw this.syntaxError();
    const { path, missing } = this.parsePath();
    if (missing !== undefined) this.record('attrName', missing);
    return { type: 'path', path };
  }

  private functionTypeError(name: string, type: string): void {
    this.record('function', `Incorrect operand type for operator or function; operator or function: ${name}, operand type: ${type}`);
  }

  private buildFunction(name: string, args: UpdateValue[]): UpdateValue {
    const placeholder: UpdateValue = { type: 'value', value: { NULL: true } };
    const arity = FUNCTION_ARITY[name];
    if (arity === undefined) {
      this.record(
        'unknownFunction',
        CONDITION_FUNCTIONS.has(name)
          ? `The function is not allowed in an update expression; function: ${name}`
          : `Invalid function name; function: ${name}`,
      );
      return placeholder;
    }
    if (args.length !== arity) {
      this.record(
        'function',
        `Incorrect number of operands for operator or function; operator or function: ${name}, number of operands: ${args.length}`,
      );
      return placeholder;
    }
    const [first, second] = args as [UpdateValue, UpdateValue];
    if (name === 'if_not_exists') {
      if (first.type !== 'path') {
        this.record('function', `Operator or function requires a document path; operator or function: ${name}`);
        return placeholder;
      }
      return { type: 'if_not_exists', path: first.path, fallback: second };
    }
    for (const arg of args) {
      if (arg.type === 'value') {
        const type = attributeTypeOf(arg.value);
        if (type !== 'L') {
          this.functionTypeError(name, type);
          break;
        }
      }
    }
    return { type: 'list_append', first, second };
  }

  private parseValueAction(operator: 'ADD' | 'DELETE'): ValueAction {
    const path = this.parseTarget();
    const token = this.peek();
    if (token.type !== 'value') throw this.syntaxError();
    this.next();
    const { value, missing } = this.resolveValue(token);
    if (missing !== undefined) this.record('attrValue', missing);
    else {
      const type = attributeTypeOf(value);
      const word = TYPE_WORDS[type];
      if (word !== undefined && !(operator === 'ADD' && type === 'N')) {
        this.record('operandType', `Incorrect operand type for operator or function; operator: ${operator}, operand type: ${word}`);
      }
    }
    return { path, value };
  }
}

/**
 * How two target paths relate: one a prefix of the other (overlap), diverging where one indexes a
 * list and the other names a map key (conflict), or independent.
 */
function comparePaths(a: DocumentPath, b: DocumentPath): 'overlap' | 'conflict' | 'independent' {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    if (typeof a[i] !== typeof b[i]) return 'conflict';
    if (a[i] !== b[i]) return 'independent';
  }
  return 'overlap';
}

/** Parses an UpdateExpression into a resolved, JSON-serialisable tree. */
export function parseUpdate(text: string, ctx: ExpressionContext): UpdateExpression {
  return new UpdateParser(text, ctx).parse();
}
