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
    re = globRegExp(pattern, ignoreCase);
    compiled.set(cacheKey, re);
  }
  return re.test(value);
}

/**
 * The same test as `wildcardMatch(pattern, value, ignoreCase)`, with the pattern's work done once:
 * for a principal's policies, compiled when they change rather than looked up per request.
 */
export function compileWildcard(pattern: string, ignoreCase = false): (value: string) => boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) {
    if (!ignoreCase) return (value) => value === pattern;
    const lower = pattern.toLowerCase();
    return (value) => value.toLowerCase() === lower;
  }
  const re = globRegExp(pattern, ignoreCase);
  return (value) => re.test(value);
}

function globRegExp(pattern: string, ignoreCase: boolean): RegExp {
  let source = '';
  for (const ch of pattern) {
    if (ch === '*') source += '[\\s\\S]*';
    else if (ch === '?') source += '[\\s\\S]';
    else source += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, ignoreCase ? 'iu' : 'u');
}
