/**
 * IAM's glob: `*` matches any run of characters (none included), `?` exactly one; everything else
 * literally. Compiled once per pattern, because a policy is evaluated for every request.
 */
const compiled = new Map<string, RegExp>();
/** Patterns kept compiled; beyond this the cache starts over (policies are few, requests many). */
const COMPILED_PATTERNS_MAX = 10_000;

export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) {
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  const cacheKey = (ignoreCase ? 'i:' : 's:') + pattern;
  let re = compiled.get(cacheKey);
  if (!re) {
    if (compiled.size >= COMPILED_PATTERNS_MAX) compiled.clear();
    let source = '';
    for (const ch of pattern) {
      if (ch === '*') source += '[\\s\\S]*';
      else if (ch === '?') source += '[\\s\\S]';
      else source += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
    re = new RegExp(`^${source}$`, ignoreCase ? 'iu' : 'u');
    compiled.set(cacheKey, re);
  }
  return re.test(value);
}
