/** "Did you mean": the known words closest to a misspelt one. */

/**
 * Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`, letter case ignored:
 * `tickRate` is 0 from `tickrate`, `wset` 1 from `west`.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i, ...new Array<number>(t.length).fill(0)]);
  for (let j = 1; j <= t.length; j++) d[0]![j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[s.length]![t.length]!;
}

/**
 * The candidates closest to `word`, all of those at the least distance, or none when even the
 * closest is further than `reach` edits.
 * @param reach @default 1 edit for up to 4 letters, 2 up to 8, 3 beyond
 */
export function closest(word: string, candidates: Iterable<string>, reach = word.length <= 4 ? 1 : word.length <= 8 ? 2 : 3): string[] {
  let best = reach + 1;
  let found: string[] = [];
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const distance = editDistance(word, candidate);
    if (distance < best) [best, found] = [distance, [candidate]];
    else if (distance === best && distance <= reach) found.push(candidate);
  }
  return found;
}

/** ` (did you mean "a" or "b"?)` for the closest candidates, or `""` when none is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const found = closest(word, candidates);
  if (found.length === 0) return "";
  return ` (did you mean ${found.map((c) => JSON.stringify(c)).join(" or ")}?)`;
}
