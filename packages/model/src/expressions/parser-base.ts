/**
 * What every expression parser shares: the token cursor, DynamoDB's syntax-error format, document
 * paths, placeholder resolution, and the deferred "semantic" errors.
 *
 * DynamoDB reports a syntax error as soon as the grammar fails, but reports semantic errors
 * (reserved words, undefined placeholders, bad function use, ...) only after a complete parse, and
 * then by a fixed priority of categories rather than by position. So the parsers record semantic
 * errors here (the first of each category) and `throwRecorded` picks the winner.
 */
import { ValidationException } from '../errors';
import { utf8Bytes } from '../item-size';
import { EXPRESSION_BYTES_MAX, EXPRESSION_OPERATORS_MAX, NESTING_DEPTH_MAX } from '../limits';
import type { AttributeValue } from '../types';
import type { DocumentPath, ExpressionKind } from './ast';
import type { ExpressionContext } from './context';
import { isReservedWord } from './reserved-words';
import { tokenize, type Token } from './tokenizer';

export type ErrorCategory =
  | 'operators'
  | 'parens'
  | 'unknownFunction'
  | 'misusedFunction'
  | 'reserved'
  | 'section'
  | 'placeholder'
  | 'attrName'
  | 'attrValue'
  | 'nesting'
  | 'listIndex'
  | 'operandCount'
  | 'distinct'
  | 'function'
  | 'operandType'
  | 'inOperands'
  | 'pathOverlap'
  | 'pathConflict'
  /** The first error of a single condition (see condition-parser.ts). */
  | 'condition';


/**
 * How deep the recursive-descent parser may nest (parentheses, NOT, function calls) before it
 * gives up. Anything deeper than this necessarily has redundant parentheses or more than
 * EXPRESSION_OPERATORS_MAX operators, so DynamoDB would reject it anyway; the cap keeps a 4 KB
 * expression of '(((...' from overflowing the stack.
 */
export const PARSE_DEPTH_MAX = 400;

/** A path as parsed, before its top-level restrictions are checked by the caller. */
export interface ParsedPath {
  path: DocumentPath;
  /** Index of the path's first token (for error positions). */
  tokenIndex: number;
  /** The error for the first undefined `#name` in the path, for the caller to report. */
  missing?: string;
}

/** A `:value` token resolved; `missing` is the error when it is not defined. */
export interface ResolvedValue {
  value: AttributeValue;
  missing?: string;
}

export function invalidExpression(kind: ExpressionKind, message: string): ValidationException {
  return new ValidationException(`Invalid ${kind}: ${message}`);
}

export class ExpressionParser {
  readonly tokens: Token[];
  pos = 0;
  /** For each '(' token index, the index of its matching ')' (absent when unbalanced). */
  private readonly closingParen = new Map<number, number>();
  private readonly recorded = new Map<ErrorCategory, string>();
  private depth = 0;
  /** Operators and functions consumed so far. */
  operatorCount = 0;

  constructor(
    readonly kind: ExpressionKind,
    readonly source: string,
    readonly ctx: ExpressionContext,
  ) {
    if (source.length === 0) throw invalidExpression(kind, 'The expression can not be empty;');
    const size = utf8Bytes(source);
    if (size > EXPRESSION_BYTES_MAX) {
      throw invalidExpression(kind, `Expression size has exceeded the maximum allowed size; expression size: ${size}`);
    }
    this.tokens = tokenize(source);
    const open: number[] = [];
    this.tokens.forEach((token, index) => {
      if (token.type !== 'punct') return;
      if (token.text === '(') open.push(index);
      else if (token.text === ')') {
        const opener = open.pop();
        if (opener !== undefined) this.closingParen.set(opener, index);
      }
    });
  }

  // --- cursor -----------------------------------------------------------------------------

  peek(offset = 0): Token {
    const index = Math.min(this.pos + offset, this.tokens.length - 1);
    return this.tokens[index]!;
  }

  next(): Token {
    const token = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos += 1;
    return token;
  }

  atPunct(text: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.type === 'punct' && token.text === text;
  }

  /** Keywords are case-insensitive identifiers. */
  atKeyword(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.type === 'identifier' && token.text.toUpperCase() === word;
  }

  atEnd(): boolean {
    return this.peek().type === 'eof';
  }

  expectPunct(text: string): Token {
    if (!this.atPunct(text)) throw this.syntaxError();
    return this.next();
  }

  expectEnd(): void {
    if (!this.atEnd()) throw this.syntaxError();
  }

  /**
   * DynamoDB's syntax error: the offending token, and the source from the start of the token
   * before it to the end of the token after it.
   */
  syntaxError(index = this.pos): ValidationException {
    const token = this.tokens[index]!;
    const before = index > 0 ? this.tokens[index - 1]! : token;
    const after = token.type === 'eof' ? token : this.tokens[index + 1]!;
    const near = this.source.slice(before.start, after.end);
    return invalidExpression(this.kind, `Syntax error; token: "${token.text}", near: "${near}"`);
  }

  /** Whether the '(' at `open` directly wraps another parenthesised group: `((x))`. */
  isRedundantParen(open: number): boolean {
    const close = this.closingParen.get(open);
    const inner = open + 1;
    const innerToken = this.tokens[inner];
    if (close === undefined || innerToken === undefined) return false;
    if (innerToken.type !== 'punct' || innerToken.text !== '(') return false;
    return this.closingParen.get(inner) === close - 1;
  }

  // --- deferred errors --------------------------------------------------------------------

  record(category: ErrorCategory, message: string): void {
    if (!this.recorded.has(category)) this.recorded.set(category, message);
  }

  hasRecorded(category: ErrorCategory): boolean {
    return this.recorded.has(category);
  }

  /** Throws the recorded error of the highest-priority category, if any. */
  throwRecorded(order: readonly ErrorCategory[]): void {
    for (const category of order) {
      const message = this.recorded.get(category);
      if (message !== undefined) throw invalidExpression(this.kind, message);
    }
  }

  // --- placeholders and paths -------------------------------------------------------------

  /** Resolves a `:value` token; an undefined one yields a NULL stand-in and its error. */
  resolveValue(token: Token): ResolvedValue {
    const value = this.ctx.resolveValue(token.text);
    if (value !== undefined) return { value };
    return {
      value: { NULL: true },
      missing: `An expression attribute value used in expression is not defined; attribute value: ${token.text}`,
    };
  }

  // --- nesting ----------------------------------------------------------------------------

  /** Counts one operator or function against EXPRESSION_OPERATORS_MAX. */
  countOperator(): void {
    this.operatorCount += 1;
  }

  /** Records the operator-count error once parsing is complete. */
  checkOperatorCount(): void {
    if (this.operatorCount > EXPRESSION_OPERATORS_MAX) {
      this.record('operators', `The expression contains too many operators; operator count: ${this.operatorCount}`);
    }
  }

  /** Enters one level of recursion; see PARSE_DEPTH_MAX. */
  enter(): void {
    this.depth += 1;
    if (this.depth <= PARSE_DEPTH_MAX) return;
    const parens = this.recorded.get('parens');
    if (parens !== undefined) throw invalidExpression(this.kind, parens);
    throw invalidExpression(this.kind, `The expression contains too many operators; operator count: ${this.countOperatorTokens()}`);
  }

  leave(): void {
    this.depth -= 1;
  }

  /** An estimate of the operators in the whole source, for an expression too deep to parse. */
  private countOperatorTokens(): number {
    let count = 0;
    this.tokens.forEach((token, index) => {
      if (token.type === 'punct' && ['=', '<>', '<', '<=', '>', '>=', '+', '-'].includes(token.text)) count += 1;
      else if (token.type === 'identifier') {
        const next = this.tokens[index + 1]!;
        if (next.type === 'punct' && next.text === '(') count += 1;
        else if (['AND', 'OR', 'NOT', 'IN', 'BETWEEN'].includes(token.text.toUpperCase())) count += 1;
      }
    });
    return count;
  }

  // --- paths ------------------------------------------------------------------------------

  /** Whether the current token can start a document path. */
  atPathStart(): boolean {
    const token = this.peek();
    return token.type === 'identifier' || token.type === 'name';
  }

  /** One path component: a literal attribute name (not reserved) or a `#name` placeholder. */
  private parsePathName(missing: { message?: string }): string {
    const token = this.peek();
    if (token.type === 'name') {
      this.next();
      const name = this.ctx.resolveName(token.text);
      if (name !== undefined) return name;
      missing.message ??= `An expression attribute name used in the document path is not defined; attribute name: ${token.text}`;
      return token.text;
    }
    if (token.type === 'identifier') {
      this.next();
      if (isReservedWord(token.text)) {
        this.record('reserved', `Attribute name is a reserved keyword; reserved keyword: ${token.text}`);
      }
      return token.text;
    }
    throw this.syntaxError();
  }

  /** `name ( '.' name | '[' digits ']' )*` */
  parsePath(): ParsedPath {
    const tokenIndex = this.pos;
    const missing: { message?: string } = {};
    const path: DocumentPath = [this.parsePathName(missing)];
    for (;;) {
      if (this.atPunct('.')) {
        this.next();
        path.push(this.parsePathName(missing));
      } else if (this.atPunct('[')) {
        this.next();
        const index = this.peek();
        if (index.type !== 'number') throw this.syntaxError();
        this.next();
        this.expectPunct(']');
        let value = Number(index.text);
        if (!Number.isSafeInteger(value) || value > 0x7fffffff) {
          this.record('listIndex', `List index is not within the allowable range; index: ${index.text}`);
          value = 0;
        }
        path.push(value);
      } else break;
    }
    // The path's last element sits at document level path.length; documents stop at NESTING_DEPTH_MAX.
    if (path.length > NESTING_DEPTH_MAX) {
      this.record('nesting', `The document path has too many nesting levels; nesting levels: ${path.length}`);
    }
    return missing.message === undefined ? { path, tokenIndex } : { path, tokenIndex, missing: missing.message };
  }
}
