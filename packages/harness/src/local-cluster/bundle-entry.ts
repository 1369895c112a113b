import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Local cluster processes run as one plain JavaScript file per entry point, bundled from the
 * TypeScript sources (with esbuild, which tsx uses too) when a cluster starts, instead of through
 * tsx's loader. On the 2-core machines this matters: tsx compiles each file with esbuild's
 * `keepNames`, which wraps every closure a hot path creates in a `__name()` call, and every call
 * into another package goes through the getters of its index.ts re-exports; a bundle has neither,
 * and starts faster. Workspace packages (`@triad/*`, by tsconfig paths) are bundled; everything
 * from node_modules (gRPC, RocksDB's native module, ...) stays external and loads as usual.
 *
 * Files are named by a hash of their content, so that clusters started at the same time from one
 * tree (tests, the benchmark) never read a file another is writing, and an edited source always
 * gives a new bundle. They live beside other tools' caches, under node_modules/.cache/triad/,
 * three levels below the repository root like the sources they replace (packages/<name>/src), so
 * that paths resolved from `__dirname` (proto/) are the same.
 */
const CACHE_DIR = 'node_modules/.cache/triad';
/** Bundles not used for this long are deleted when a cluster next starts. */
const UNUSED_BUNDLE_AGE_MS_MAX = 24 * 60 * 60 * 1000;

/**
 * Arguments for node that run `entry` (a TypeScript file under the repository) from a fresh bundle;
 * or, where no bundle can be made or written (a read-only node_modules, as in the container image),
 * from the sources through tsx as before.
 */
export function bundledEntry(repoRoot: string, entry: string): string[] {
  try {
    return ['--enable-source-maps', writeBundle(repoRoot, entry)];
  } catch (error) {
    console.warn(`triad: running ${path.relative(repoRoot, entry)} through tsx: no bundle (${(error as Error).message.split('\n')[0]})`);
    return ['--import', 'tsx', entry];
  }
}

function writeBundle(repoRoot: string, entry: string): string {
  // Loaded here, so that a missing esbuild means running through tsx rather than no cluster at all.
  const { buildSync } = require('esbuild') as typeof import('esbuild');
  const result = buildSync({
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    tsconfig: path.join(repoRoot, 'tsconfig.json'),
    // Error stacks in the logs name the TypeScript sources, as under tsx (node --enable-source-maps).
    sourcemap: 'inline',
    sourcesContent: false,
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  const hash = crypto.createHash('sha256').update(code).digest('hex').slice(0, 16);
  const dir = path.join(repoRoot, CACHE_DIR);
  const file = path.join(dir, `${path.basename(path.dirname(path.dirname(entry)))}-${hash}.js`);
  fs.mkdirSync(dir, { recursive: true });
  if (fs.existsSync(file)) {
    // Marks it used (see pruneUnused); a file another user wrote may not take that, and need not.
    const now = new Date();
    try {
      fs.utimesSync(file, now, now);
    } catch {
      // Kept anyway while in use: pruning only removes files unused for a day.
    }
  } else {
    // Written under a unique name, then renamed: a reader sees the whole file or none.
    const temporary = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(temporary, code);
    fs.renameSync(temporary, file);
    pruneUnused(dir);
  }
  return file;
}

function pruneUnused(dir: string): void {
  const oldest = Date.now() - UNUSED_BUNDLE_AGE_MS_MAX;
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    try {
      if (fs.statSync(file).mtimeMs < oldest) fs.rmSync(file, { force: true });
    } catch {
      // Another cluster pruned it first.
    }
  }
}
