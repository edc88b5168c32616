/**
 * A figure measured several times: its summary and the raw samples it came from (kept so a later
 * comparison can judge noise itself instead of trusting a summary).
 */
export interface Summary {
  readonly mean: number;
  /** Sample standard deviation (n - 1); 0 for a single sample. */
  readonly sd: number;
  readonly min: number;
  readonly max: number;
  readonly samples: readonly number[];
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summarize: no samples; measure at least one repetition');
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
  const variance =
    samples.length < 2 ? 0 : samples.reduce((s, x) => s + (x - mean) ** 2, 0) / (samples.length - 1);
  return {
    mean,
    sd: Math.sqrt(variance),
    min: Math.min(...samples),
    max: Math.max(...samples),
    samples: [...samples],
  };
}

/** Coefficient of variation sd / mean of the raw samples (run-to-run noise as a fraction); 0 if unknown. */
export function coefficientOfVariation(summary: Summary): number {
  return summary.mean === 0 ? 0 : summary.sd / Math.abs(summary.mean);
}

/**
 * The q-quantile (q in [0, 1]) by linear interpolation between closest ranks (NumPy's default,
 * "linear"), so p50 of an even count is the mean of the middle two.
 */
export function percentile(samples: readonly number[], q: number): number {
  return percentileOfSorted(sortedAscending(samples), q);
}

export function sortedAscending(samples: readonly number[]): number[] {
  return [...samples].sort((a, b) => a - b);
}

/** percentile() of samples already sorted ascending: sort once, take many quantiles. */
export function percentileOfSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('percentile: no samples');
  if (!(q >= 0 && q <= 1)) throw new Error(`percentile: q ${q} must be in [0, 1]`);
  const rank = q * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 0.5);
}
