import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildImportGraph, findCycles, moduleSpecifiers, typeScriptFiles, type ImportGraph } from '../import-graph';

const REPO_ROOT = path.resolve(__dirname, '../../..');
/** The folders held to "no import cycle". */
const CHECKED_FOLDERS = ['packages', 'scripts', 'test-cluster'];

/**
 * Cycles between areas (a workspace package, `scripts/`, `test-cluster/`) that are not held to the
 * rule yet, each as the sorted list of the areas in it. None today: scripts/ and test-cluster/
 * imported each other until LocalCluster, the fault injectors and the chaos engine moved into
 * packages/harness, which both import (issue 12).
 */
const AREA_CYCLES_NOT_YET_CHECKED: readonly (readonly string[])[] = [];
/**
 * Areas that must not import another at all, cycle or not: the tools and the cluster tests share
 * code through @triad/harness only, and the harness imports neither (packages/harness/README.md).
 */
const AREA_IMPORTS_FORBIDDEN: readonly [from: string, to: string][] = [
  ['scripts', 'test-cluster'],
  ['test-cluster', 'scripts'],
  ['packages/harness', 'scripts'],
  ['packages/harness', 'test-cluster'],
];

const relative = (file: string) => path.relative(REPO_ROOT, file);
const describeCycle = (cycle: string[]) => cycle.join(' -> ');

/** A workspace package (packages/<name>) or a top-level folder. */
function areaOf(file: string): string {
  const parts = relative(file).split(path.sep);
  return parts[0] === 'packages' ? `packages/${parts[1]}` : parts[0];
}

/** The graph with every file replaced by its area; imports inside an area vanish. */
function areaGraph(graph: ImportGraph): ImportGraph {
  const areas: ImportGraph = new Map();
  for (const [file, targets] of graph) {
    const from = areaOf(file);
    const edges = new Set(areas.get(from) ?? []);
    for (const target of targets) if (areaOf(target) !== from) edges.add(areaOf(target));
    areas.set(from, [...edges].sort());
  }
  return areas;
}

describe('the repository has no import cycle', () => {
  const files = CHECKED_FOLDERS.flatMap((folder) => typeScriptFiles(path.join(REPO_ROOT, folder)));
  const graph = buildImportGraph(REPO_ROOT, files);

  it('reads the whole tree', () => {
    // A wrong root or a broken resolver would make every check below pass vacuously.
    expect(files.length).toBeGreaterThan(300);
    const edges = [...graph.values()].reduce((sum, targets) => sum + targets.length, 0);
    expect(edges).toBeGreaterThan(files.length);
    const router = path.join(REPO_ROOT, 'packages/router/src/operations/put-item.ts');
    expect(graph.get(router)).toContain(path.join(REPO_ROOT, 'packages/model/src/index.ts'));
  });

  it('between files', () => {
    expect(findCycles(graph).map((cycle) => describeCycle(cycle.map(relative)))).toEqual([]);
  });

  it('between workspace packages, scripts/ and test-cluster/', () => {
    const exempt = (cycle: string[]) => AREA_CYCLES_NOT_YET_CHECKED.some((areas) => areas.join() === [...new Set(cycle)].sort().join());
    expect(findCycles(areaGraph(graph)).filter((cycle) => !exempt(cycle)).map(describeCycle)).toEqual([]);
  });

  it('scripts/ and test-cluster/ import nothing of each other, and the harness neither of them', () => {
    const crossings = [...graph].flatMap(([file, targets]) =>
      targets
        .filter((target) => AREA_IMPORTS_FORBIDDEN.some(([from, to]) => areaOf(file) === from && areaOf(target) === to))
        .map((target) => `${relative(file)} -> ${relative(target)}`),
    );
    expect(crossings).toEqual([]);
    // Not vacuous: the areas are told apart, and the harness is reached from both sides.
    const reaches = (from: string) => areaGraph(graph).get(from) ?? [];
    expect(reaches('scripts')).toContain('packages/harness');
    expect(reaches('test-cluster')).toContain('packages/harness');
  });

  it('exemptions still needed (delete an entry of AREA_CYCLES_NOT_YET_CHECKED once its cycle is gone)', () => {
    const present = findCycles(areaGraph(graph)).map((cycle) => [...new Set(cycle)].sort().join());
    expect(AREA_CYCLES_NOT_YET_CHECKED.filter((areas) => !present.includes([...areas].sort().join()))).toEqual([]);
  });
});

describe('import graph', () => {
  let root: string;
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  const graphOf = () => buildImportGraph(root, typeScriptFiles(root));
  const cyclesOf = () => findCycles(graphOf()).map((cycle) => cycle.map((file) => path.relative(root, file)));

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'import-graph-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('reads every kind of module specifier, and nothing in comments or strings', () => {
    const text = [
      "import a from './a';",
      "import type { B } from './b';",
      "import './c';",
      "export * from './d';",
      "export { e } from './e';",
      "import f = require('./f');",
      "const g = require('./g');",
      "const h = import('./h');",
      "type I = import('./i').I;",
      "// import x from './not-this';",
      "const text = \"import y from './nor-this'\";",
      "const dynamic = require(name);",
    ].join('\n');
    expect(moduleSpecifiers('x.ts', text)).toEqual(['./a', './b', './c', './d', './e', './f', './g', './h', './i']);
  });

  it('resolves relative paths, folders and @triad packages; leaves node_modules and built-ins out', () => {
    write('packages/one/src/index.ts', "export * from './inner';");
    write('packages/one/src/inner/index.ts', "import fs from 'node:fs';\nimport YAML from 'yaml';\nexport const x = 1;");
    write('packages/two/src/main.ts', "import { x } from '@triad/one';\nimport { y } from '@triad/one/inner';");
    const graph = graphOf();
    const file = (name: string) => path.join(root, name);
    expect(graph.get(file('packages/two/src/main.ts'))).toEqual([file('packages/one/src/index.ts'), file('packages/one/src/inner/index.ts')]);
    expect(graph.get(file('packages/one/src/index.ts'))).toEqual([file('packages/one/src/inner/index.ts')]);
    expect(graph.get(file('packages/one/src/inner/index.ts'))).toEqual([]);
  });

  it('finds no cycle in a graph that has none', () => {
    write('a.ts', "import './b';\nimport './c';");
    write('b.ts', "import './c';");
    write('c.ts', 'export {};');
    expect(cyclesOf()).toEqual([]);
  });

  it('names a cycle file by file, through type-only imports and across packages', () => {
    write('packages/one/src/index.ts', "export * from './table';");
    write('packages/one/src/table.ts', "import { describe } from '@triad/two';\nexport interface Table { name: string }");
    write('packages/two/src/index.ts', "import type { Table } from '@triad/one';\nexport const describe = (t: Table) => t.name;");
    write('packages/two/src/other.ts', "import '@triad/one';");
    expect(cyclesOf()).toEqual([['packages/one/src/index.ts', 'packages/one/src/table.ts', 'packages/two/src/index.ts', 'packages/one/src/index.ts']]);
  });

  it('gives one shortest cycle per tangle, from its first file', () => {
    write('a.ts', "import './b';");
    write('b.ts', "import './c';\nimport './a';");
    write('c.ts', "import './a';");
    write('x.ts', "import './y';");
    write('y.ts', "import './x';");
    expect(cyclesOf()).toEqual([
      ['a.ts', 'b.ts', 'a.ts'],
      ['x.ts', 'y.ts', 'x.ts'],
    ]);
  });
});
