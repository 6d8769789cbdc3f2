/**
 * The known name closest to a mistyped one, for "did you mean ...?" (keys, flags). Case and `_`
 * are ignored; a name further than a third of its length (at least 2 edits) suggests nothing, so
 * an unrelated word does not get a far-fetched answer.
 */
export function nearest(name: string, known: Iterable<string>): string | undefined {
  const target = fold(name);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(target, fold(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(target.length / 3)) ? best : undefined;
}

/** `; did you mean X?`, or nothing. */
export function didYouMean(name: string, known: Iterable<string>, show: (s: string) => string = (s) => s): string {
  const n = nearest(name, known);
  return n === undefined ? '' : `; did you mean ${show(n)}?`;
}

const fold = (s: string): string => s.replace(/_/g, '').toLowerCase();

/** Levenshtein distance, with a swap of two neighbours counted as one edit. */
function distance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0].push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
      rows[i].push(d);
    }
  }
  return rows[a.length][b.length];
}
