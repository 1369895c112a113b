/**
 * ProjectionExpression parser: `path (',' path)*`, no two paths overlapping.
 */
import type { DocumentPath, ProjectionExpression } from './ast';
import { formatPath } from './ast';
import type { ExpressionContext } from './context';
import { ExpressionParser, type ErrorCategory } from './parser-base';

const ERROR_ORDER: readonly ErrorCategory[] = ['reserved', 'placeholder', 'nesting', 'listIndex', 'pathOverlap', 'pathConflict'];

class ProjectionParser extends ExpressionParser {
  constructor(text: string, ctx: ExpressionContext) {
    super('ProjectionExpression', text, ctx);
  }

  parse(): ProjectionExpression {
    const paths: DocumentPath[] = [];
    for (;;) {
      if (!this.atPathStart()) throw this.syntaxError();
      const { path, missing } = this.parsePath();
      if (missing !== undefined) this.record('placeholder', missing);
      paths.push(path);
      if (!this.atPunct(',')) break;
      this.next();
    }
    this.expectEnd();
    for (let i = 1; i < paths.length; i++) {
      for (let j = 0; j < i; j++) this.checkPair(paths[j]!, paths[i]!);
    }
    this.throwRecorded(ERROR_ORDER);
    return paths;
  }

  private checkPair(one: DocumentPath, two: DocumentPath): void {
    const length = Math.min(one.length, two.length);
    const paths = `must remove or rewrite one of these paths; path one: ${formatPath(one)}, path two: ${formatPath(two)}`;
    for (let i = 0; i < length; i++) {
      if (typeof one[i] !== typeof two[i]) {
        this.record('pathConflict', `Two document paths conflict with each other; ${paths}`);
        return;
      }
      if (one[i] !== two[i]) return;
    }
    this.record('pathOverlap', `Two document paths overlap with each other; ${paths}`);
  }
}

/** Parses a ProjectionExpression into its list of resolved paths. */
export function parseProjection(text: string, ctx: ExpressionContext): ProjectionExpression {
  return new ProjectionParser(text, ctx).parse();
}
