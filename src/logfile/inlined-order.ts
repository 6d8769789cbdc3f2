/**
 * The order of the inlined columns. WT1 keeps each inlined list in a Java `HashSet<String>` and
 * writes the header in that set's iteration order, not the config's (issue 15 §6): to line up
 * column for column with files a running WT1 writes, wt1 computes the same order by default
 * (`inlinedParamsOrder=hashset`); `listed` keeps the order of the config.
 *
 * Java 8+ `HashSet` (a `HashMap`): a table of 16 buckets, doubled whenever the count exceeds
 * 0.75 × its size; a name's bucket is `(h ^ (h >>> 16)) & (size - 1)` with `h` its
 * `String.hashCode` over UTF-16 units; iteration goes through the buckets in index order and,
 * within a bucket, in insertion order (a resize splits a bucket keeping that order). Not modelled:
 * a bucket of 8+ names in a table of 64+ becomes a tree, whose order differs (dozens of colliding
 * names; no real config).
 */
export type InlinedParamsOrder = 'hashset' | 'listed';

export const INLINED_PARAMS_ORDERS: readonly InlinedParamsOrder[] = ['hashset', 'listed'];

/** Java's `String.hashCode`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 units, in 32-bit ints. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** The names in the iteration order of a Java `HashSet` they were added to one by one. */
export function javaHashSetOrder(names: readonly string[]): string[] {
  const unique = [...new Set(names)];
  let size = 16;
  while (unique.length > 0.75 * size) size *= 2;
  const bucketOf = (name: string): number => {
    const h = javaStringHash(name);
    return (h ^ (h >>> 16)) & (size - 1);
  };
  // A stable sort by bucket: within a bucket, insertion order.
  return unique
    .map((name, i) => ({ name, i, bucket: bucketOf(name) }))
    .sort((a, b) => a.bucket - b.bucket || a.i - b.i)
    .map((x) => x.name);
}

/** The columns of one inlined list in the order chosen by `inlinedParamsOrder`. */
export function orderInlined(names: readonly string[], order: InlinedParamsOrder): readonly string[] {
  return order === 'listed' ? names : javaHashSetOrder(names);
}
