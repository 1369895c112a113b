/**
 * `@triad/harness/local-cluster` (what `npm start` and the container image's `local` role load)
 * must reach only production dependencies: the image prunes devDependencies, and the rest of the
 * harness (the chaos engine, tables, SDK clients) needs the AWS SDK. Bundling the entry the way
 * bundle-entry.ts does, workspace packages included, lists every outside module it could load.
 */
import { builtinModules } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';

const REPO_ROOT = path.resolve(__dirname, '../../..');

/** Every package named in a workspace's `dependencies` (what `npm prune --omit=dev` keeps). */
function productionDependencies(): Set<string> {
  const names = new Set<string>();
  for (const dir of fs.readdirSync(path.join(REPO_ROOT, 'packages'))) {
    const manifest = path.join(REPO_ROOT, 'packages', dir, 'package.json');
    if (!fs.existsSync(manifest)) continue;
    for (const name of Object.keys(JSON.parse(fs.readFileSync(manifest, 'utf8')).dependencies ?? {})) names.add(name);
  }
  return names;
}

/** The package a bare import names (`@scope/name/sub` → `@scope/name`), or the builtin's name. */
function packageOf(specifier: string): string {
  const parts = specifier.replace(/^node:/, '').split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function externalImports(entry: string): { externals: Set<string>; inputs: string[] } {
  const result = buildSync({
    absWorkingDir: REPO_ROOT,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    packages: 'external',
    tsconfig: path.join(REPO_ROOT, 'tsconfig.json'),
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const externals = new Set<string>();
  for (const input of Object.values(result.metafile.inputs)) {
    for (const imported of input.imports) if (imported.external) externals.add(packageOf(imported.path));
  }
  return { externals, inputs: Object.keys(result.metafile.inputs) };
}

test('the local cluster entry loads no devDependency (esbuild only inside its tsx fallback)', () => {
  const { externals, inputs } = externalImports('packages/harness/src/local-cluster/index.ts');
  // Workspace packages are bundled from their sources, as in bundle-entry.ts.
  expect(inputs).toContain('packages/rpc/src/index.ts');
  const allowed = new Set([...builtinModules, ...productionDependencies(), 'esbuild']);
  expect([...externals].filter((name) => !allowed.has(name))).toEqual([]);
});

test('the whole harness does load the AWS SDK (so the check above can fail)', () => {
  const { externals } = externalImports('packages/harness/src/index.ts');
  expect(externals).toContain('@aws-sdk/client-dynamodb');
});
