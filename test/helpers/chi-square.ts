/**
 * Chi-square critical value by the Wilson–Hilferty approximation (z = 3.719 is α = 1e-4 one-sided);
 * for df ≥ 5 it is within 3% above the exact value, i.e. slightly lenient.
 */
export function chiSquareCritical(df: number, z = 3.719): number {
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

/**
 * Pearson's statistic of sampled counts against probabilities, over the cells with p > 0, cells
 * expecting < 5 pooled into one; the number of draws is the total of the counts.
 */
export function chiSquare(counts: Float64Array, probs: readonly number[]): { statistic: number; df: number } {
  const draws = counts.reduce((s, c) => s + c, 0);
  const cells: [observed: number, expected: number][] = [];
  const pooled: [number, number] = [0, 0];
  probs.forEach((p, id) => {
    if (p === 0) return;
    const cell: [number, number] = [counts[id]!, p * draws];
    if (cell[1] < 5) {
      pooled[0] += cell[0];
      pooled[1] += cell[1];
    } else cells.push(cell);
  });
  if (pooled[1] > 0) cells.push(pooled);
  const statistic = cells.reduce((s, [o, e]) => s + (o - e) ** 2 / e, 0);
  return { statistic, df: cells.length - 1 };
}
