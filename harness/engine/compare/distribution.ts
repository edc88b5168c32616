import { percentileOfSorted, sortedAscending } from '../../core/statistics.ts';
import type { Distribution } from './compare-record.ts';

/** Percentiles every distribution carries; renderers choose which to show. */
export const PERCENTILES = [99.9, 99, 95, 90, 10, 5, 1, 0.1] as const;

/**
 * Mean with its standard error, RMS with its (error-propagated) standard error, extremes and
 * percentiles, as llama.cpp's `perplexity --kl-divergence` computes them.
 */
export function distribution(values: readonly number[]): Distribution {
  const n = values.length;
  const sorted = sortedAscending(values);
  // Percent in, as llama.cpp prints them; NaN for no values, as the mean is.
  const quantile = (percent: number) => (n === 0 ? Number.NaN : percentileOfSorted(sorted, percent / 100));
  const mean = values.reduce((s, x) => s + x, 0) / n;
  const meanSq = values.reduce((s, x) => s + x * x, 0) / n;
  const variance = values.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
  const rms = Math.sqrt(meanSq);
  const varianceOfSquares = values.reduce((s, x) => s + (x * x - meanSq) ** 2, 0) / n;
  // d(sqrt(m))/dm = 1 / (2 sqrt(m)): the mean square's standard error scaled to the RMS.
  const rmsUncertainty = n > 1 && rms > 0 ? Math.sqrt(varianceOfSquares / (n - 1)) / (2 * rms) : null;
  return {
    count: n,
    mean,
    meanUncertainty: n > 1 ? Math.sqrt(variance / (n - 1)) : null,
    rms,
    rmsUncertainty,
    min: sorted[0] ?? Number.NaN,
    max: sorted[n - 1] ?? Number.NaN,
    median: quantile(50),
    percentiles: Object.fromEntries(PERCENTILES.map((q) => [`${q}%`, quantile(q)])),
  };
}
