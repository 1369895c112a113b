import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENTRY_POINTS, buildBundles } from '../build';

const REPO_ROOT = path.resolve(__dirname, '../..');
/** A bundle runs in well under a second; generous for a busy 2-core machine. */
const RUN_TIMEOUT_MS = 30_000;

/** Every file under `dir`, relative to it, sorted. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

describe('npm run build: the bundles', () => {
  let outDir: string;
  let sizes: Map<string, number>;

  beforeAll(async () => {
    // Outside the repository: the bundles must find proto/ beside themselves, not in the checkout.
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-build-'));
    sizes = await buildBundles(outDir);
  });
  afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('one per entry point, with a source map, and a whole copy of proto/', () => {
    expect([...sizes.keys()].sort()).toEqual(Object.keys(ENTRY_POINTS).map((name) => path.join(outDir, `${name}.js`)).sort());
    for (const name of Object.keys(ENTRY_POINTS)) expect(fs.existsSync(path.join(outDir, `${name}.js.map`))).toBe(true);
    expect(filesUnder(path.join(outDir, 'proto'))).toEqual(filesUnder(path.join(REPO_ROOT, 'proto')));
  });

  it('hold the workspace packages and leave node_modules (RocksDB, gRPC) outside', () => {
    for (const file of sizes.keys()) {
      const text = fs.readFileSync(file, 'utf8');
      const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      expect([path.basename(file), required.filter((name) => name.startsWith('@triad/') || name.startsWith('.') || name.endsWith('.ts'))]).toEqual([path.basename(file), []]);
    }
    const storage = fs.readFileSync(path.join(outDir, 'storage-node.js'), 'utf8');
    expect(storage).toContain('require("rocksdb")');
  });

  it('are exactly what the container image runs (deploy/entrypoint.sh)', () => {
    const entrypoint = fs.readFileSync(path.join(REPO_ROOT, 'deploy/entrypoint.sh'), 'utf8');
    const run = new Set([...entrypoint.matchAll(/\bdist\/([\w-]+)\.js\b/g)].map((m) => m[1]));
    expect([...run].sort()).toEqual(Object.keys(ENTRY_POINTS).sort());
  });

  it('run on this Node.js and load the .proto files from their own copy', () => {
    // The CLI asks every node of a layout for its status: a gRPC client, hence the protos, for each.
    const layout = path.join(outDir, 'layout.json');
    fs.writeFileSync(
      layout,
      JSON.stringify({
        partitionCount: 8,
        storageNodes: ['a', 'b', 'c'].map((zone, i) => ({ id: `s-${zone}`, zone, address: `127.0.0.1:${i + 1}` })),
      }),
    );
    const result = spawnSync(process.execPath, ['--enable-source-maps', path.join(outDir, 'cli.js'), 'status', '--layout', layout, '--grpc-insecure'], {
      // Resolves node_modules from the checkout, as the image's /app/node_modules does for /app/dist.
      env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') },
      encoding: 'utf8',
      timeout: RUN_TIMEOUT_MS,
    });
    expect([result.status, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toMatch(/Layout epoch: 0/);
    expect(result.stdout).toMatch(/DN\s+s-a\s+127\.0\.0\.1:1/);
  });
});
