import fs from 'node:fs';
import path from 'node:path';

/**
 * The line the README draws, held by a test until a lint rule does: the SWIM core (src/swim and
 * src/limits.ts) imports nothing but itself, and takes time and randomness from its caller.
 */

const SRC = path.resolve(__dirname, '../src');
const PURE_FILES = [
  path.join(SRC, 'limits.ts'),
  ...fs.readdirSync(path.join(SRC, 'swim')).map((name) => path.join(SRC, 'swim', name)),
];
const FORBIDDEN = [/\bDate\.now\b/, /\bMath\.random\b/, /\bsetTimeout\b/, /\bsetInterval\b/, /\bsetImmediate\b/, /\bprocess\./, /\brequire\(/, /\bperformance\./];

describe('the SWIM core is pure', () => {
  it.each(PURE_FILES.map((file) => [path.relative(SRC, file), file]))('%s', (_name, file) => {
    const text = fs.readFileSync(file, 'utf8');
    const imports = [...text.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]);
    for (const specifier of imports) {
      const allowed = file.endsWith('limits.ts') ? false : specifier.startsWith('./') || specifier === '../limits';
      expect({ specifier, allowed }).toEqual({ specifier, allowed: true });
    }
    for (const pattern of FORBIDDEN) expect(text).not.toMatch(pattern);
  });
});
