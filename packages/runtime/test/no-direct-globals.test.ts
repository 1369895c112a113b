import fs from 'node:fs';
import path from 'node:path';

/**
 * The processes' code takes clocks, timers and randomness from an injected Environment (see the
 * README), so that the simulator can run it: none of its files may read Node's globals for them.
 * Held by a source scan until a lint rule does.
 */

const PACKAGES = path.resolve(__dirname, '../..');
const SCANNED = ['storage-node', 'router', 'membership', 'rpc', 'runtime', 'sim'];

/** The one file that implements `realEnvironment` on Node's globals. */
const REAL_ENVIRONMENT = 'runtime/src/real-environment.ts';

const FORBIDDEN: { name: string; pattern: RegExp }[] = [
  { name: 'Date.now', pattern: /\bDate\.now\b/ },
  { name: 'new Date() (the current time)', pattern: /\bnew Date\(\s*\)/ },
  { name: 'performance.now', pattern: /\bperformance\.now\b/ },
  { name: 'process.hrtime', pattern: /\bprocess\.hrtime\b/ },
  { name: 'Math.random', pattern: /\bMath\.random\b/ },
  {
    name: 'a timer global',
    // Not a member (`env.setTimeout`), a string, or a declaration of one (`setTimeout(callback: …)`, `readonly setTimeout =`).
    pattern: /(?<![\w.$'"])(setTimeout|clearTimeout|setInterval|clearInterval|setImmediate|clearImmediate)\b(?!\s*\(\s*\w+\s*[:?])(?!\s*=)/,
  },
  { name: "node:timers or node:perf_hooks", pattern: /from\s+'(node:)?(timers|timers\/promises|perf_hooks)'/ },
  { name: 'crypto randomness', pattern: /\b(randomBytes|randomUUID|randomInt)\b/ },
  // A simulated process exits through its environment (the run records it); process.exit would end the simulator.
  { name: 'process.exit', pattern: /\bprocess\.exit\b/ },
];

/**
 * Uses left on purpose, each with its reason: code that runs only in a real process, at an edge
 * the simulator replaces.
 */
const ALLOWED: Record<string, string[]> = {
  [REAL_ENVIRONMENT]: FORBIDDEN.map((f) => f.name),
  // RocksDB's engine times its synced batches for a metric; the simulator runs MemoryStore instead.
  'storage-node/src/storage/rocks-store.ts': ['process.hrtime'],
  // One random prefix per process for DynamoDB request ids (HTTP edge); no decision depends on it.
  'router/src/http/request-id.ts': ['crypto randomness'],
  // Secrets (new access keys, AES-GCM nonces) must be unpredictable, never a seeded replay; no decision depends on them.
  'router/src/auth/secure-random.ts': ['crypto randomness'],
  // The processes' entry points, which the simulator never runs: exits at start-up and at the end of a graceful stop.
  'storage-node/src/main.ts': ['process.exit'],
  'router/src/main.ts': ['process.exit'],
};

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Comments may name the globals (to say why they are not used); strings rarely do, and stay. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

const FILES = SCANNED.flatMap((name) => sourceFiles(path.join(PACKAGES, name, 'src'))).map((file) => path.relative(PACKAGES, file));

describe('no process code reads clocks, timers or randomness but through its Environment', () => {
  test('the scan finds the packages', () => {
    for (const name of SCANNED) expect(FILES.some((file) => file.startsWith(`${name}/src/`))).toBe(true);
    expect(FILES).toContain(REAL_ENVIRONMENT);
  });

  test('the patterns catch uses and pass over members, declarations and comments', () => {
    const flagged = (source: string) => FORBIDDEN.filter((f) => f.pattern.test(withoutComments(source))).map((f) => f.name);
    expect(flagged('const t = setTimeout(() => done(), 5);')).toEqual(['a timer global']);
    expect(flagged('(options.defer ?? setImmediate)(flush);')).toEqual(['a timer global']);
    expect(flagged('if (timer) clearInterval(timer);')).toEqual(['a timer global']);
    expect(flagged('const started = Date.now();')).toEqual(['Date.now']);
    expect(flagged("import { performance } from 'node:perf_hooks'; performance.now();")).toEqual(['performance.now', 'node:timers or node:perf_hooks']);
    expect(flagged('random: Math.random,')).toEqual(['Math.random']);
    expect(flagged('const id = randomBytes(8);')).toEqual(['crypto randomness']);
    expect(flagged('const t = env.setTimeout(() => done(), 5); this.c.env.clearInterval(this.timer);')).toEqual([]);
    expect(flagged('setTimeout(callback: () => void, delayMs: number): TimerHandle;')).toEqual([]);
    expect(flagged('readonly setTimeout = (callback: () => void) => 1;')).toEqual([]);
    expect(flagged('// not Date.now(), nor setTimeout(fn, 1)\n/* Math.random */ const url = "http://x";')).toEqual([]);
  });

  test('the allow-list names files that exist', () => {
    for (const file of Object.keys(ALLOWED)) expect(FILES).toContain(file);
  });

  it.each(FILES.map((file) => [file]))('%s', (file) => {
    const text = withoutComments(fs.readFileSync(path.join(PACKAGES, file), 'utf8'));
    const allowed = ALLOWED[file] ?? [];
    const found = FORBIDDEN.filter((f) => !allowed.includes(f.name) && f.pattern.test(text)).map((f) => f.name);
    expect(found).toEqual([]);
  });
});
