/**
 * DynamoDB prints some sets of attribute names in its messages ("keys used: [a, sk, pk]") in the
 * order a Java HashSet<String> iterates them, not in request order. Reproducing that order is what
 * makes those messages come out exactly as DynamoDB words them: observed "keys used: [a, sk, pk]"
 * for keys pk, sk and a, and "AttributeDefinitions: [sk, pk]" for pk and sk, both this order.
 */

/** java.util.HashMap's default capacity and load factor. */
const HASH_MAP_CAPACITY_INITIAL = 16;
const HASH_MAP_LOAD_FACTOR = 0.75;

/** java.lang.String.hashCode: s[0]·31^(n-1) + … + s[n-1] over UTF-16 code units, in 32 bits. */
export function javaStringHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

/**
 * The iteration order of a HashSet<String> built by adding `names` in order: by bucket (the spread
 * hash masked to the table size, which doubles past 75% full), then by insertion within a bucket.
 * Duplicates keep their first position, as HashSet.add ignores them.
 */
export function javaHashSetOrder(names: readonly string[]): string[] {
  const unique = [...new Set(names)];
  let capacity = HASH_MAP_CAPACITY_INITIAL;
  while (unique.length > capacity * HASH_MAP_LOAD_FACTOR) capacity *= 2;
  const bucketOf = (name: string) => {
    const hash = javaStringHash(name);
    return (hash ^ (hash >>> 16)) & (capacity - 1);
  };
  return unique
    .map((name, position) => ({ name, position, bucket: bucketOf(name) }))
    .sort((a, b) => a.bucket - b.bucket || a.position - b.position)
    .map((entry) => entry.name);
}

/** A set of names as DynamoDB prints it in a message: "[a, b]". */
export function formatJavaSet(names: readonly string[]): string {
  return `[${javaHashSetOrder(names).join(', ')}]`;
}
