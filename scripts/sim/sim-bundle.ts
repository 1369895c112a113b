import fs from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';

/**
 * `npm run sim`'s worker threads run one esbuild bundle of `sim-worker.ts` (the simulator and
 * every workspace package it runs, production code included, as `npm run build` bundles them)
 * rather than TypeScript through tsx. The code is the same; what differs is tsx's `keepNames`:
 * it wraps every function and arrow created at run time in `__name(fn, "name")`, a
 * `defineProperty` each, and the simulator creates closures on every message and storage step.
 * Measured on short seeds: about a fifth of a seed's CPU (packages/sim/README.md, "Cost").
 *
 * The bundle is written under dist/ (ignored by git) so that the packages it leaves outside
 * (node_modules: gRPC, protobufjs, winston) resolve from the checkout, under a name of this
 * process's own (several runs may share a checkout), and removed by `dispose`.
 */
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const OUT_DIR = path.join(REPO_ROOT, 'dist', 'sim');

export interface SimWorkerBundle {
  /** The bundle's path, for `new Worker(file)`. */
  file: string;
  /** Removes the bundle and its source map. */
  dispose(): void;
}

export function bundleSimWorker(): SimWorkerBundle {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `sim-worker-${process.pid}.js`);
  buildSync({
    absWorkingDir: REPO_ROOT,
    entryPoints: [path.join(__dirname, 'sim-worker.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    tsconfig: path.join(REPO_ROOT, 'tsconfig.json'),
    // A failed seed's "run stopped" stack names the TypeScript sources (the worker turns source maps on).
    sourcemap: 'linked',
    sourcesContent: false,
    // proto-loader.ts finds proto/ relative to the bundle, as in `npm run build`'s bundles.
    define: { TRIAD_BUNDLE_PROTO_DIR: JSON.stringify(path.relative(OUT_DIR, path.join(REPO_ROOT, 'proto'))) },
    logLevel: 'warning',
  });
  return {
    file,
    dispose: () => {
      for (const f of [file, `${file}.map`]) fs.rmSync(f, { force: true });
    },
  };
}
