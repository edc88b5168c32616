/**
 * Where one head looks, in four numbers, to pick heads worth a heat map: the mean probability a
 * query gives itself, the token before it and the first token (an "attention sink"), and the mean
 * entropy of its rows. Means are over the queries that have such a key (previous and first: q ≥ 1).
 */
export interface HeadSummary {
  readonly self: number;
  /** Null for a one-token prompt (no query has a previous token). */
  readonly previous: number | null;
  readonly first: number | null;
  /** Mean over queries of −Σ p ln p, in nats (0: one key takes everything; ln(q+1): uniform). */
  readonly entropyNats: number;
}

/** The summary of one head's map [q, k] over n tokens. */
export function headSummary(map: Float64Array, n: number): HeadSummary {
  let [self, previous, first, entropy] = [0, 0, 0, 0];
  for (let q = 0; q < n; q++) {
    self += map[q * n + q]!;
    if (q > 0) {
      previous += map[q * n + q - 1]!;
      first += map[q * n]!;
    }
    for (let k = 0; k <= q; k++) {
      const p = map[q * n + k]!;
      if (p > 0) entropy -= p * Math.log(p);
    }
  }
  return {
    self: self / n,
    previous: n > 1 ? previous / (n - 1) : null,
    first: n > 1 ? first / (n - 1) : null,
    entropyNats: entropy / n,
  };
}
