/**
 * The Mann–Whitney U test (Mann & Whitney 1947, "On a test of whether one of two random variables
 * is stochastically larger than the other", Ann. Math. Statist. 18(1):50–60; the rank-sum form is
 * Wilcoxon's, 1945): are two sets of raw samples drawn from one distribution, or is one shifted?
 * It uses only the order of the samples, so one disturbed repetition moves it far less than it
 * moves a mean, and it assumes no distribution (timings on a shared machine are skewed).
 *
 * Two-sided, p = 2 · min(P(W ≤ w), P(W ≥ w)) capped at 1, where W is the sum of the first
 * sample's ranks (ties get their mean rank). For up to EXACT_LIMIT samples in all the null
 * distribution of W is counted exactly, conditional on the ties: every way of choosing n1 of the N
 * ranks is equally likely (a permutation test on the ranks). Beyond that, the normal approximation
 * with the tie-corrected variance and a continuity correction of 1/2.
 */
export interface RankTest {
  /** U of the first sample: the number of (x, y) pairs with x > y, ties counting 1/2. */
  readonly u: number;
  readonly pValue: number;
  readonly method: 'exact' | 'normal';
  /**
   * The smallest p-value these sample sizes can give (2 / C(N, n1), all of one side above all of
   * the other): with 3 + 3 samples it is 0.1, so no difference can be told at p < 0.05.
   */
  readonly minPValue: number;
}

/** Above this many samples in all, the normal approximation (the exact count grows as N² · n1). */
export const EXACT_LIMIT = 60;

export function mannWhitneyU(x: readonly number[], y: readonly number[]): RankTest {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new Error('mannWhitneyU: each side needs at least one sample');
  if (![...x, ...y].every(Number.isFinite)) throw new Error('mannWhitneyU: samples must be finite');
  const ranks2 = doubledMidranks([...x, ...y]); // 2 × rank: whole numbers even with ties
  const w2 = ranks2.slice(0, n1).reduce((s, r) => s + r, 0);
  const u = w2 / 2 - (n1 * (n1 + 1)) / 2;
  const minPValue = Math.min(1, 2 / binomial(n1 + n2, n1));
  if (n1 + n2 <= EXACT_LIMIT) {
    const { atMost, atLeast } = exactTails(ranks2, n1, w2);
    return { u, pValue: Math.min(1, 2 * Math.min(atMost, atLeast)), method: 'exact', minPValue };
  }
  return { u, pValue: normalPValue(ranks2, n1, n2, u), method: 'normal', minPValue };
}

/** Twice the 1-based rank of each value, tied values sharing the mean of their ranks. */
function doubledMidranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks2 = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]![0] === order[start]![0]) end++;
    const doubled = start + 1 + end + 1; // 2 × the mean of ranks start+1 … end+1
    for (let k = start; k <= end; k++) ranks2[order[k]![1]] = doubled;
    start = end + 1;
  }
  return ranks2;
}

/**
 * P(W ≤ w) and P(W ≥ w) when the first sample's n1 ranks are a uniformly random n1-subset of
 * all ranks: ways[k][s] counts the k-subsets of the ranks seen so far whose doubled sum is s.
 */
function exactTails(ranks2: readonly number[], n1: number, w2: number): { atMost: number; atLeast: number } {
  const total = ranks2.reduce((s, r) => s + r, 0);
  const ways = Array.from({ length: n1 + 1 }, () => new Float64Array(total + 1));
  ways[0]![0] = 1;
  for (const r of ranks2) {
    for (let k = n1; k >= 1; k--) {
      const into = ways[k]!;
      const from = ways[k - 1]!;
      for (let s = total; s >= r; s--) into[s]! += from[s - r]!;
    }
  }
  const counts = ways[n1]!;
  let all = 0;
  let atMost = 0;
  let atLeast = 0;
  for (let s = 0; s <= total; s++) {
    all += counts[s]!;
    if (s <= w2) atMost += counts[s]!;
    if (s >= w2) atLeast += counts[s]!;
  }
  return { atMost: atMost / all, atLeast: atLeast / all };
}

/** Normal approximation: mean n1·n2/2, variance with the tie correction, continuity 1/2. */
function normalPValue(ranks2: readonly number[], n1: number, n2: number, u: number): number {
  const n = n1 + n2;
  const tieSizes = new Map<number, number>();
  for (const r of ranks2) tieSizes.set(r, (tieSizes.get(r) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of tieSizes.values()) tieTerm += t ** 3 - t;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance === 0) return 1;
  const z = Math.max(0, Math.abs(u - (n1 * n2) / 2) - 0.5) / Math.sqrt(variance);
  return Math.min(1, 2 * normalUpperTail(z));
}

/** P(Z ≥ z), z ≥ 0, for a standard normal Z: erfc(z/√2)/2 by Numerical Recipes' Chebyshev fit `erfcc` (relative error < 1.2e-7). */
function normalUpperTail(z: number): number {
  const t = 1 / (1 + 0.5 * (z / Math.SQRT2));
  const x = z / Math.SQRT2;
  const erfc =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return erfc / 2;
}

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}
