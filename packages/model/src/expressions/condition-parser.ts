/**
 * ConditionExpression / FilterExpression / KeyConditionExpression parser.
 *
 * Grammar (DynamoDB precedence, loosest first: OR, AND, NOT, then comparisons/BETWEEN/IN/functions):
 *
 *   or        := and ( OR and )*
 *   and       := not ( AND not )*
 *   not       := NOT not | predicate
 *   predicate := primary ( comparator operand | BETWEEN operand AND operand | IN '(' operand (',' operand)* ')' )?
 *   primary   := '(' or ')' | atom
 *   operand   := '(' operand ')' | atom
 *   atom      := :value | function '(' operand (',' operand)* ')' | path
 *
 * A parenthesised group may hold a condition or a bare operand (`(a) = :v` is legal), so the first
 * pass builds a loose tree in which a bare operand is only rejected where a condition is required,
 * with the syntax error at the token that follows it — where DynamoDB's own parser stops. A second
 * pass checks functions, operand types and placeholders and builds the final `Condition`.
 */
import { IN_OPERANDS_MAX } from '../limits';
import type { AttributeValue } from '../types';
import type { Comparator, Condition, DocumentPath, ExpressionKind, Operand } from './ast';
import { formatPath } from './ast';
import type { ExpressionContext } from './context';
import { ExpressionParser, type ErrorCategory } from './parser-base';
import { attributeType as attributeTypeOf, compareScalar } from '../attribute-value';


type RawOperand =
  | { kind: 'path'; path: DocumentPath; missing?: string }
  | { kind: 'value'; value: AttributeValue; missing?: string }
  | { kind: 'call'; name: string; args: RawOperand[] };

type RawCall = Extract<RawOperand, { kind: 'call' }>;

type RawCondition =
  | { kind: 'compare'; op: Comparator; left: RawOperand; right: RawOperand }
  | { kind: 'between'; operand: RawOperand; low: RawOperand; high: RawOperand }
  | { kind: 'in'; operand: RawOperand; list: RawOperand[] }
  | { kind: 'and' | 'or'; left: RawCondition; right: RawCondition }
  | { kind: 'not'; condition: RawCondition }
  /** A function call standing as a condition (it should be a boolean function). */
  | { kind: 'function'; call: RawCall };

/** What a primary yields before we know whether a condition or an operand is wanted. */
type Loose = { condition: RawCondition } | { operand: RawOperand };

const COMPARATORS = new Set<string>(['=', '<>', '<', '<=', '>', '>=']);
const ORDERING = new Set<string>(['<', '<=', '>', '>=']);
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'BETWEEN', 'IN']);

/** Functions of condition expressions and their number of operands. */
const FUNCTION_ARITY: Record<string, number> = {
  attribute_exists: 1,
  attribute_not_exists: 1,
  attribute_type: 2,
  begins_with: 2,
  contains: 2,
  size: 1,
};

/** Functions DynamoDB knows but only in update expressions. */
const UPDATE_FUNCTIONS = new Set(['if_not_exists', 'list_append']);

const ATTRIBUTE_TYPE_NAMES = new Set(['S', 'N', 'B', 'NULL', 'SS', 'BOOL', 'L', 'BS', 'NS', 'M']);

/**
 * Errors about the expression as a whole, by priority. They outrank the errors of single
 * conditions, which DynamoDB reports for the first condition (in source order) that has any.
 */
const GLOBAL_ORDER: readonly ErrorCategory[] = [
  'operators',
  'parens',
  'unknownFunction',
  'misusedFunction',
  'reserved',
  'nesting',
  'listIndex',
  'condition',
];

/** Within one condition, which error is reported first. */
const CONDITION_ORDER: readonly ErrorCategory[] = ['placeholder', 'operandCount', 'distinct', 'function', 'inOperands'];

class ConditionParser extends ExpressionParser {
  /** Errors of the condition being checked. */
  private conditionErrors = new Map<ErrorCategory, string>();

  parse(): Condition {
    const loose = this.parseOr();
    const raw = this.requireCondition(loose);
    this.expectEnd();
    this.checkOperatorCount();
    const condition = this.checkCondition(raw);
    this.throwRecorded(GLOBAL_ORDER);
    return condition;
  }

  // --- pass 1: syntax ---------------------------------------------------------------------

  /** A bare operand where a condition is required fails at the token after it. */
  private requireCondition(loose: Loose): RawCondition {
    if ('condition' in loose) return loose.condition;
    if (loose.operand.kind === 'call') return { kind: 'function', call: loose.operand };
    throw this.syntaxError();
  }

  private parseOr(): Loose {
    let left = this.parseAnd();
    while (this.atKeyword('OR')) {
      const leftCondition = this.requireCondition(left);
      this.next();
      this.countOperator();
      const right = this.requireCondition(this.parseAnd());
      left = { condition: { kind: 'or', left: leftCondition, right } };
    }
    return left;
  }

  private parseAnd(): Loose {
    let left = this.parseNot();
    while (this.atKeyword('AND')) {
      const leftCondition = this.requireCondition(left);
      this.next();
      this.countOperator();
      const right = this.requireCondition(this.parseNot());
      left = { condition: { kind: 'and', left: leftCondition, right } };
    }
    return left;
  }

  private parseNot(): Loose {
    if (!this.atKeyword('NOT')) return this.parsePredicate();
    this.next();
    this.countOperator();
    this.enter();
    const condition = this.requireCondition(this.parseNot());
    this.leave();
    return { condition: { kind: 'not', condition } };
  }

  private parsePredicate(): Loose {
    const left = this.parsePrimary();
    const token = this.peek();
    if (token.type === 'punct' && COMPARATORS.has(token.text)) {
      if (!('operand' in left)) throw this.syntaxError();
      this.next();
      this.countOperator();
      const right = this.parseOperand();
      return { condition: { kind: 'compare', op: token.text as Comparator, left: left.operand, right } };
    }
    if (this.atKeyword('BETWEEN')) {
      if (!('operand' in left)) throw this.syntaxError();
      this.next();
      this.countOperator();
      const low = this.parseOperand();
      if (!this.atKeyword('AND')) throw this.syntaxError();
      this.next();
      const high = this.parseOperand();
      return { condition: { kind: 'between', operand: left.operand, low, high } };
    }
    if (this.atKeyword('IN')) {
      if (!('operand' in left)) throw this.syntaxError();
      this.next();
      this.countOperator();
      this.expectPunct('(');
      const list = this.parseOperandList();
      this.expectPunct(')');
      return { condition: { kind: 'in', operand: left.operand, list } };
    }
    return left;
  }

  private parsePrimary(): Loose {
    if (!this.atPunct('(')) return { operand: this.parseAtom() };
    if (this.isRedundantParen(this.pos)) this.record('parens', 'The expression has redundant parentheses;');
    this.next();
    this.enter();
    const inner = this.parseOr();
    this.leave();
    this.expectPunct(')');
    return inner;
  }

  private parseOperand(): RawOperand {
    if (!this.atPunct('(')) return this.parseAtom();
    if (this.isRedundantParen(this.pos)) this.record('parens', 'The expression has redundant parentheses;');
    this.next();
    this.enter();
    const operand = this.parseOperand();
    this.leave();
    this.expectPunct(')');
    return operand;
  }

  private parseOperandList(): RawOperand[] {
    const list = [this.parseOperand()];
    while (this.atPunct(',')) {
      this.next();
      list.push(this.parseOperand());
    }
    return list;
  }

  private parseAtom(): RawOperand {
    const token = this.peek();
    if (token.type === 'value') {
      this.next();
      const { value, missing } = this.resolveValue(token);
      return missing === undefined ? { kind: 'value', value } : { kind: 'value', value, missing };
    }
    if (token.type === 'identifier' && KEYWORDS.has(token.text.toUpperCase())) throw this.syntaxError();
    if (token.type === 'identifier' && this.atPunct('(', 1)) {
      this.next();
      this.next();
      this.countOperator();
      this.enter();
      const args = this.parseOperandList();
      this.leave();
      this.expectPunct(')');
      return { kind: 'call', name: token.text, args };
    }
    if (!this.atPathStart()) throw this.syntaxError();
    const { path, missing } = this.parsePath();
    return missing === undefined ? { kind: 'path', path } : { kind: 'path', path, missing };
  }

  // --- pass 2: semantics ------------------------------------------------------------------

  private conditionError(category: ErrorCategory, message: string): void {
    if (!this.conditionErrors.has(category)) this.conditionErrors.set(category, message);
  }

  /** Checks one condition (comparison, BETWEEN, IN or function) and latches its first error. */
  private leaf(check: () => Condition): Condition {
    this.conditionErrors = new Map();
    const condition = check();
    for (const category of CONDITION_ORDER) {
      const message = this.conditionErrors.get(category);
      if (message !== undefined) {
        this.record('condition', message);
        break;
      }
    }
    return condition;
  }

  private checkCondition(raw: RawCondition): Condition {
    switch (raw.kind) {
      case 'and':
      case 'or':
        return { type: raw.kind, left: this.checkCondition(raw.left), right: this.checkCondition(raw.right) };
      case 'not':
        return { type: 'not', condition: this.checkCondition(raw.condition) };
      case 'compare':
        return this.leaf(() => {
          const operands = [raw.left, raw.right];
          this.checkPlaceholders(operands);
          this.checkMisused(operands);
          this.checkDistinct(raw.op, raw.left, [raw.right]);
          const left = this.checkOperand(raw.left);
          const right = this.checkOperand(raw.right);
          if (ORDERING.has(raw.op)) this.checkOrderable(raw.op, operands);
          return { type: 'compare', op: raw.op, left, right };
        });
      case 'between':
        return this.leaf(() => {
          const operands = [raw.operand, raw.low, raw.high];
          this.checkPlaceholders(operands);
          this.checkMisused(operands);
          this.checkDistinct('BETWEEN', raw.operand, [raw.low, raw.high]);
          const converted = operands.map((o) => this.checkOperand(o));
          this.checkOrderable('BETWEEN', operands);
          this.checkBetweenBounds(raw.low, raw.high);
          return { type: 'between', operand: converted[0]!, low: converted[1]!, high: converted[2]! };
        });
      case 'in':
        return this.leaf(() => {
          const operands = [raw.operand, ...raw.list];
          this.checkPlaceholders(operands);
          this.checkMisused(operands);
          this.checkDistinct('IN', raw.operand, raw.list);
          if (raw.list.length > IN_OPERANDS_MAX) {
            this.conditionError('inOperands', `The IN operator is provided with too many operands; number of operands: ${raw.list.length}`);
          }
          return { type: 'in', operand: this.checkOperand(raw.operand), list: raw.list.map((o) => this.checkOperand(o)) };
        });
      case 'function':
        return this.leaf(() => {
          this.checkPlaceholders([raw.call]);
          return this.checkFunctionCondition(raw.call);
        });
    }
  }

  /** The first undefined placeholder among the operands (and inside their calls), in order. */
  private checkPlaceholders(operands: RawOperand[]): void {
    for (const operand of operands) {
      if (operand.kind === 'call') this.checkPlaceholders(operand.args);
      else if (operand.missing !== undefined) this.conditionError('placeholder', operand.missing);
    }
  }

  /** Boolean functions may only stand as conditions; size() only as an operand. */
  private checkMisused(operands: RawOperand[]): void {
    for (const operand of operands) {
      if (operand.kind === 'call' && operand.name !== 'size' && FUNCTION_ARITY[operand.name] !== undefined) {
        this.record('misusedFunction', `The function is not allowed to be used this way in an expression; function: ${operand.name}`);
      }
    }
  }

  private checkDistinct(operator: string, first: RawOperand, rest: RawOperand[]): void {
    if (first.kind !== 'path') return;
    for (const other of rest) {
      if (other.kind === 'path' && samePath(first.path, other.path)) {
        this.conditionError(
          'distinct',
          'The first operand must be distinct from the remaining operands for this operator or function; ' +
            `operator: ${operator}, first operand: ${formatPath(first.path)}`,
        );
        return;
      }
    }
  }

  /** Ordering comparisons and BETWEEN take only strings, numbers and binaries. */
  private checkOrderable(operator: string, operands: RawOperand[]): void {
    for (const operand of operands) {
      const type = staticType(operand);
      if (type !== undefined && type !== 'S' && type !== 'N' && type !== 'B') {
        this.functionTypeError(operator, type);
        return;
      }
    }
  }

  private checkBetweenBounds(low: RawOperand, high: RawOperand): void {
    if (low.kind !== 'value' || high.kind !== 'value' || low.missing !== undefined || high.missing !== undefined) return;
    const lowType = attributeTypeOf(low.value);
    const highType = attributeTypeOf(high.value);
    const bounds = `lower bound operand: AttributeValue: ${formatValue(low.value)}, upper bound operand: AttributeValue: ${formatValue(high.value)}`;
    if (lowType !== highType) {
      this.conditionError('function', `The BETWEEN operator requires same data type for lower and upper bounds; ${bounds}`);
      return;
    }
    const order = compareScalar(low.value, high.value);
    if (order !== undefined && order > 0) {
      this.conditionError('function', `The BETWEEN operator requires upper bound to be greater than or equal to lower bound; ${bounds}`);
    }
  }

  /** Name and arity checks shared by both positions; false when the call cannot be built further. */
  private checkCall(call: RawCall): boolean {
    const arity = FUNCTION_ARITY[call.name];
    if (arity === undefined) {
      this.record(
        'unknownFunction',
        UPDATE_FUNCTIONS.has(call.name)
          ? `The function is not allowed in a condition expression; function: ${call.name}`
          : `Invalid function name; function: ${call.name}`,
      );
      return false;
    }
    this.checkMisused(call.args);
    if (call.args.length !== arity) {
      this.conditionError(
        'operandCount',
        `Incorrect number of operands for operator or function; operator or function: ${call.name}, number of operands: ${call.args.length}`,
      );
      return false;
    }
    if (arity === 2) this.checkDistinct(call.name, call.args[0]!, [call.args[1]!]);
    return true;
  }

  private functionTypeError(name: string, type: string): void {
    this.conditionError('function', `Incorrect operand type for operator or function; operator or function: ${name}, operand type: ${type}`);
  }

  private requirePath(name: string, operand: RawOperand): DocumentPath {
    if (operand.kind === 'path') return operand.path;
    this.conditionError('function', `Operator or function requires a document path; operator or function: ${name}`);
    return [];
  }

  private checkFunctionCondition(call: RawCall): Condition {
    const placeholder: Condition = { type: 'attribute_exists', path: [] };
    if (!this.checkCall(call)) {
      call.args.forEach((arg) => this.checkOperand(arg));
      return placeholder;
    }
    const [first, second] = call.args as [RawOperand, RawOperand | undefined];
    switch (call.name) {
      case 'attribute_exists':
      case 'attribute_not_exists':
        this.checkOperand(first);
        return { type: call.name, path: this.requirePath(call.name, first) };
      case 'attribute_type': {
        this.checkOperand(first);
        this.checkOperand(second!);
        const path = this.requirePath(call.name, first);
        const type = staticType(second!);
        if (type !== 'S') {
          this.functionTypeError(call.name, type ?? '{NS,SS,L,BS,N,M,B,BOOL,NULL,S}');
          return placeholder;
        }
        const name = (second as { value: { S: string } }).value.S;
        if (!ATTRIBUTE_TYPE_NAMES.has(name) && (second as { missing?: string }).missing === undefined) {
          this.conditionError('function', `Invalid attribute type name found; type: ${name}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`);
        }
        return { type: 'attribute_type', path, attributeType: name };
      }
      case 'begins_with': {
        const operand = this.checkOperand(first);
        const prefix = this.checkOperand(second!);
        for (const arg of call.args) {
          const type = staticType(arg);
          if (type !== undefined && type !== 'S' && type !== 'B') {
            this.functionTypeError(call.name, type);
            break;
          }
        }
        return { type: 'begins_with', operand, prefix };
      }
      case 'contains':
        return { type: 'contains', operand: this.checkOperand(first), value: this.checkOperand(second!) };
      default: // size, standing where a condition belongs
        this.checkOperand(call);
        this.record('misusedFunction', `The function is not allowed to be used this way in an expression; function: ${call.name}`);
        return placeholder;
    }
  }

  private checkOperand(raw: RawOperand): Operand {
    switch (raw.kind) {
      case 'path':
        return { type: 'path', path: raw.path };
      case 'value':
        return { type: 'value', value: raw.value };
      case 'call': {
        const placeholder: Operand = { type: 'value', value: { NULL: true } };
        if (raw.name !== 'size') {
          // A boolean function as an operand: checkMisused of the enclosing operator reports
          // it; its own arguments are still checked.
          if (this.checkCall(raw)) this.checkFunctionCondition(raw);
          else raw.args.forEach((arg) => this.checkOperand(arg));
          return placeholder;
        }
        if (!this.checkCall(raw)) {
          raw.args.forEach((arg) => this.checkOperand(arg));
          return placeholder;
        }
        const arg = raw.args[0]!;
        const operand = this.checkOperand(arg);
        const type = staticType(arg);
        if (type === 'N' || type === 'BOOL' || type === 'NULL') this.functionTypeError('size', type);
        return { type: 'size', operand };
      }
    }
  }
}

/** The type an operand is known to have before evaluation (defined values; size() is a number). */
function staticType(operand: RawOperand): string | undefined {
  if (operand.kind === 'value') return operand.missing === undefined ? attributeTypeOf(operand.value) : undefined;
  if (operand.kind === 'call') {
    if (operand.name === 'size') return 'N';
    return FUNCTION_ARITY[operand.name] !== undefined ? 'BOOL' : undefined;
  }
  return undefined;
}

function samePath(a: DocumentPath, b: DocumentPath): boolean {
  return a.length === b.length && a.every((element, i) => element === b[i]);
}

/** `{N:5}` as DynamoDB prints a value in BETWEEN errors. */
function formatValue(value: AttributeValue): string {
  const type = attributeTypeOf(value);
  const raw = (value as Record<string, unknown>)[type];
  return `{${type}:${Array.isArray(raw) ? `[${raw.join(', ')}]` : String(raw)}}`;
}

/**
 * Parses a ConditionExpression, FilterExpression or KeyConditionExpression into a resolved,
 * JSON-serialisable tree. `kind` names the expression in error messages.
 */
export function parseCondition(
  kind: 'ConditionExpression' | 'FilterExpression' | 'KeyConditionExpression',
  text: string,
  ctx: ExpressionContext,
): Condition {
  return new ConditionParser(kind as ExpressionKind, text, ctx).parse();
}
