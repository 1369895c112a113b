import type { KeyLookup } from './request-context';

/**
 * IAM's policy variables in Resource and condition values: `${aws:username}` becomes the request's
 * single value of that key, `${*}`, `${?}` and `${$}` the literal characters. A variable the
 * request lacks (or has several values for) leaves the value unresolvable: it then matches
 * nothing, as in IAM, rather than matching the text "${aws:username}".
 */
const VARIABLE = /\$\{([^}]*)\}/g;

export function substituteVariables(value: string, keys: KeyLookup): string | undefined {
  if (!value.includes('${')) return value;
  let unresolved = false;
  const out = value.replace(VARIABLE, (_whole, name: string) => {
    if (name === '*' || name === '?' || name === '$') return name;
    // `${key, 'default'}` supplies a value for an absent key.
    const [keyName, fallback] = name.split(',').map((part) => part.trim());
    const values = keys.get(keyName.toLowerCase());
    if (values && values.length === 1) return values[0];
    const quoted = fallback?.match(/^'(.*)'$/);
    if (quoted) return quoted[1];
    unresolved = true;
    return '';
  });
  return unresolved ? undefined : out;
}
