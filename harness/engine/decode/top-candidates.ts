/** A candidate token and its log-probability. */
export type TokenLogprob = readonly [id: number, logprob: number];

/** Descending value, ties to the lower token id: the one candidate order used everywhere. */
export function candidateBefore(aId: number, aValue: number, bId: number, bValue: number): boolean {
  return aValue > bValue || (aValue === bValue && aId < bId);
}

/**
 * The k best entries of `values` in candidate order, by a single pass with a small sorted
 * buffer: O(n·k) worst case but ~O(n) for the k ≤ 64 used in records, no full sort of the vocabulary.
 */
export function topK(values: ArrayLike<number>, k: number): TokenLogprob[] {
  const n = values.length;
  const take = Math.min(k, n);
  const ids: number[] = [];
  const vals: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (ids.length === take) {
      const lastId = ids[take - 1]!;
      if (!candidateBefore(i, v, lastId, vals[take - 1]!)) continue;
      ids.pop();
      vals.pop();
    }
    let j = ids.length;
    while (j > 0 && candidateBefore(i, v, ids[j - 1]!, vals[j - 1]!)) j--;
    ids.splice(j, 0, i);
    vals.splice(j, 0, v);
  }
  return ids.map((id, r) => [id, vals[r]!] as const);
}

/** Greedy choice: argmax, ties to the lowest token id. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  let bestValue = values[0]!;
  for (let i = 1; i < values.length; i++) {
    const v = values[i]!;
    if (v > bestValue) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}

/** 1-based rank of `id` in candidate order (1 = the argmax): one plus the entries that come before it. */
export function rankOf(values: ArrayLike<number>, id: number): number {
  const value = values[id]!;
  let before = 0;
  for (let i = 0; i < values.length; i++) if (candidateBefore(i, values[i]!, id, value)) before++;
  return before + 1;
}
