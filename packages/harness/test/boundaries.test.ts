/**
 * The line this package exists for: the command-line tools (scripts/) and the cluster tests
 * (test-cluster/) share code through @triad/harness, never by importing each other, and the
 * harness imports neither. Reads every TypeScript file's import specifiers and resolves the relative
 * ones.
 */
import fs from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../../..');
/** `from '…'`, `import '…'`, `import('…')`, `require('…')`, `jest.mock('…')`. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*|\bjest\.mock\s*\(\s*)['"]([^'"]+)['"]/g;

function typeScriptFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') files.push(...typeScriptFiles(relative));
    else if (entry.isFile() && entry.name.endsWith('.ts')) files.push(relative);
  }
  return files;
}

/** Every import of a file under `from` that lands in one of `forbidden` (top-level folders), as "file → target". */
function crossings(from: string, forbidden: string[]): string[] {
  const found: string[] = [];
  for (const file of typeScriptFiles(from)) {
    for (const [, specifier] of fs.readFileSync(path.join(REPO_ROOT, file), 'utf8').matchAll(SPECIFIER)) {
      if (!specifier.startsWith('.')) continue;
      const target = path.normalize(path.join(path.dirname(file), specifier));
      if (forbidden.some((dir) => target === dir || target.startsWith(`${dir}${path.sep}`))) found.push(`${file} → ${target}`);
    }
  }
  return found;
}

test('scripts/ imports nothing of test-cluster/', () => {
  expect(crossings('scripts', ['test-cluster'])).toEqual([]);
});

test('test-cluster/ imports nothing of scripts/', () => {
  expect(crossings('test-cluster', ['scripts'])).toEqual([]);
});

test('the harness imports neither scripts/ nor test-cluster/', () => {
  expect(crossings('packages/harness', ['scripts', 'test-cluster'])).toEqual([]);
});

test('a crossing is seen (so the checks above can fail)', () => {
  // The chaos engine does import LocalCluster by relative path.
  expect(crossings('packages/harness/src/chaos', ['packages/harness/src/local-cluster']).length).toBeGreaterThan(0);
});
