/**
 * A figure measured several times: its summary and the raw samples it came from (kept so a later
 * comparison can judge noise itself instead of trusting a summary). Quartiles are percentile()'s
 * (linear interpolation between closest ranks), so the median of an even count is the mean of
 * the middle two and the interquartile range is q3 - q1.
 */
export interface Summary {
  readonly mean: number;
  /** Sample standard deviation (n - 1); 0 for a single sample. */
  readonly sd: number;
  readonly median: number;
  /** First and third quartiles. */
  readonly q1: number;
  readonly q3: number;
  readonly min: number;
  readonly max: number;
  /** Coefficient of variation sd / |mean| (run-to-run noise as a fraction); 0 when the mean is 0. */
  readonly cv: number;
  readonly samples: readonly number[];
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summarize: no samples; measure at least one repetition');
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
  const variance =
    samples.length < 2 ? 0 : samples.reduce((s, x) => s + (x - mean) ** 2, 0) / (samples.length - 1);
  const sd = Math.sqrt(variance);
  const sorted = sortedAscending(samples);
  return {
    mean,
    sd,
    median: percentileOfSorted(sorted, 0.5),
    q1: percentileOfSorted(sorted, 0.25),
    q3: percentileOfSorted(sorted, 0.75),
    min: sorted[0]!,
    max: sorted.at(-1)!,
    cv: mean === 0 ? 0 : sd / Math.abs(mean),
    samples: [...samples],
  };
}

/** Coefficient of variation sd / mean of the raw samples (run-to-run noise as a fraction); 0 if unknown. */
export function coefficientOfVariation(summary: Pick<Summary, 'mean' | 'sd'>): number {
  return summary.mean === 0 ? 0 : summary.sd / Math.abs(summary.mean);
}

/** Interquartile range q3 - q1: the spread of the middle half of the samples. */
export const interquartileRange = (summary: Pick<Summary, 'q1' | 'q3'>): number => summary.q3 - summary.q1;

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
