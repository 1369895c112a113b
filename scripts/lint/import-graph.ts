import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The repository's TypeScript files as a graph of imports, for finding import cycles. Layers import
 * downward only (docs/architecture.md): a cycle means two files cannot be understood, tested or
 * loaded apart, and under CommonJS one of them sees the other half-initialised.
 *
 * Edges come from every import and export with a module specifier, `import x = require(...)`,
 * `require('...')` and `import('...')` with a literal argument. Type-only imports count too: they
 * vanish at run time, but a cycle through types is the same tangle of concepts. Specifiers are
 * resolved as the build resolves them: relative paths to a `.ts` file or a folder's `index.ts`, and
 * `@triad/<name>` (tsconfig paths) to `packages/<name>/src` the same way; anything else
 * (node_modules, `node:` built-ins) is outside the graph.
 */
export type ImportGraph = Map<string, string[]>;

/** Folders that are never part of the graph, wherever they appear. */
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'coverage', '.bench', '.scratch', 'data']);

/** Every `.ts` file (not `.d.ts`) under `dir`, as absolute paths, sorted. */
export function typeScriptFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_FOLDERS.has(entry.name) && !entry.name.startsWith('.')) out.push(...typeScriptFiles(full));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      out.push(full);
    }
  }
  return out.sort();
}

/** The module specifiers a source text names, in order of appearance. */
export function moduleSpecifiers(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      out.push(node.moduleReference.expression.text);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteralLike(node.arguments[0])) {
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isRequire || node.expression.kind === ts.SyntaxKind.ImportKeyword) out.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

function resolveFile(base: string): string | undefined {
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** The file a specifier in `fromFile` names, or undefined when it is outside the graph. */
export function resolveSpecifier(repoRoot: string, fromFile: string, specifier: string): string | undefined {
  if (specifier.startsWith('.')) return resolveFile(path.resolve(path.dirname(fromFile), specifier));
  const workspace = /^@triad\/([^/]+)(\/.*)?$/.exec(specifier);
  if (workspace) return resolveFile(path.join(repoRoot, 'packages', workspace[1], 'src', workspace[2] ?? ''));
  return undefined;
}

/** The graph of `files` (absolute paths); edges to files outside the list are kept as they are found. */
export function buildImportGraph(repoRoot: string, files: string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const targets = new Set<string>();
    for (const specifier of moduleSpecifiers(file, fs.readFileSync(file, 'utf8'))) {
      const target = resolveSpecifier(repoRoot, file, specifier);
      if (target !== undefined && target !== file) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/**
 * The graph's cycles, one per strongly connected component of more than one file, each given as
 * the shortest path round the component from its first file in sorted order (so the report names
 * real imports, file by file, and is the same on every run).
 */
export function findCycles(graph: ImportGraph): string[][] {
  return stronglyConnectedComponents(graph)
    .filter((component) => component.length > 1)
    .map((component) => shortestCycleThrough(graph, [...component].sort()[0], new Set(component)))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Tarjan's algorithm, iterative: the repository is deep enough to make recursion a risk. */
function stronglyConnectedComponents(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const frames: Array<{ node: string; edge: number }> = [{ node: root, edge: 0 }];
    index.set(root, next);
    lowLink.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      const edges = graph.get(frame.node) ?? [];
      if (frame.edge < edges.length) {
        const target = edges[frame.edge++];
        if (!graph.has(target)) continue;
        if (!index.has(target)) {
          index.set(target, next);
          lowLink.set(target, next++);
          stack.push(target);
          onStack.add(target);
          frames.push({ node: target, edge: 0 });
        } else if (onStack.has(target)) {
          lowLink.set(frame.node, Math.min(lowLink.get(frame.node)!, index.get(target)!));
        }
        continue;
      }
      frames.pop();
      if (frames.length > 0) {
        const parent = frames[frames.length - 1].node;
        lowLink.set(parent, Math.min(lowLink.get(parent)!, lowLink.get(frame.node)!));
      }
      if (lowLink.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        components.push(component);
      }
    }
  }
  return components;
}

/** Breadth-first from `start` back to itself inside `members`: the shortest cycle through `start`. */
function shortestCycleThrough(graph: ImportGraph, start: string, members: Set<string>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head];
    for (const target of graph.get(node) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const cycle = [node];
        while (cycle[0] !== start) cycle.unshift(previous.get(cycle[0])!);
        return [...cycle, start];
      }
      if (!previous.has(target)) {
        previous.set(target, node);
        queue.push(target);
      }
    }
  }
  throw new Error(`${start} is in a strongly connected component but on no cycle`);
}
