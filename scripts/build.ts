import fs from 'node:fs';
import path from 'node:path';
import { build, type BuildOptions } from 'esbuild';

/**
 * `npm run build` (after the type check) and `npm run bundle`: one JavaScript bundle per entry
 * point under dist/ (ignored by git), which the container image runs with plain `node`. The
 * workspace packages (`@triad/*`, by tsconfig paths) are bundled; everything from node_modules
 * stays external and is loaded as usual, above all RocksDB's native module and gRPC. Nothing is
 * written beside the sources.
 *
 *   dist/router.js          packages/router/src/main.ts
 *   dist/storage-node.js    packages/storage-node/src/main.ts
 *   dist/cli.js             packages/cli/src/main.ts (the `triad` admin command)
 *   dist/local-cluster.js   scripts/start-local-cluster.ts (`npm start`'s cluster, from the bundles above)
 *   dist/proto/             a copy of proto/: @grpc/proto-loader reads the .proto files at run time
 *
 * Each bundle has a source map beside it, so that `node --enable-source-maps` names the
 * TypeScript sources in stack traces.
 */
const REPO_ROOT = path.resolve(__dirname, '..');
const OUT_DIR = path.join(REPO_ROOT, 'dist');

/** Output name (without .js) → entry point, relative to the repository. */
export const ENTRY_POINTS: Record<string, string> = {
  router: 'packages/router/src/main.ts',
  'storage-node': 'packages/storage-node/src/main.ts',
  cli: 'packages/cli/src/main.ts',
  'local-cluster': 'scripts/start-local-cluster.ts',
};
const PROTO_DIR = 'proto';

/**
 * The node versions the bundles must run on: this machine's Node 20 and the image's Node 22.
 * esbuild lowers syntax newer than the oldest.
 */
const NODE_TARGET = 'node20';

function bundleOptions(outDir: string): BuildOptions {
  return {
    absWorkingDir: REPO_ROOT,
    entryPoints: Object.fromEntries(Object.entries(ENTRY_POINTS).map(([name, entry]) => [name, path.join(REPO_ROOT, entry)])),
    outdir: outDir,
    bundle: true,
    platform: 'node',
    target: NODE_TARGET,
    format: 'cjs',
    packages: 'external',
    tsconfig: path.join(REPO_ROOT, 'tsconfig.json'),
    sourcemap: 'linked',
    sourcesContent: false,
    // What the sources declare as set only in a bundle (see proto-loader.ts, local-cluster/cluster-options.ts).
    define: {
      TRIAD_BUNDLE_PROTO_DIR: JSON.stringify(PROTO_DIR),
      TRIAD_BUNDLE_ENTRIES: JSON.stringify({ storage: 'storage-node.js', router: 'router.js' }),
    },
    logLevel: 'warning',
  };
}

/** Writes the bundles and the copy of proto/ into `outDir` (emptied first); returns the bundles' sizes by file. */
export async function buildBundles(outDir = OUT_DIR): Promise<Map<string, number>> {
  // A fresh folder: a bundle of an entry point since removed must not linger and be run.
  fs.rmSync(outDir, { recursive: true, force: true });
  const result = await build({ ...bundleOptions(outDir), metafile: true });
  if (result.errors.length > 0 || result.warnings.length > 0) throw new Error(`esbuild: ${result.errors.length} errors, ${result.warnings.length} warnings`);
  fs.cpSync(path.join(REPO_ROOT, PROTO_DIR), path.join(outDir, PROTO_DIR), { recursive: true });
  const sizes = new Map<string, number>();
  for (const [file, output] of Object.entries(result.metafile.outputs)) if (file.endsWith('.js')) sizes.set(path.resolve(REPO_ROOT, file), output.bytes);
  return sizes;
}

if (require.main === module) {
  buildBundles().then((sizes) => {
    for (const [file, bytes] of sizes) console.log(`${path.relative(REPO_ROOT, file)}  ${(bytes / 1024).toFixed(0)} KiB`);
  }, (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
