import type { AgreementSummary, PerplexitySummary, PositionMetrics, StepPoint } from './compare-record.ts';
import { distribution } from './distribution.ts';

/** Pooled NMSE sums: Σ over positions of the centred squared differences and reference logits. */
export interface NmseSums {
  readonly centredSqDiff: number;
  readonly centredSqRef: number;
}

/** The llama.cpp-style statistics over every scored position of one backend. */
export function agreementSummary(positions: readonly PositionMetrics[], nmse: NmseSums): AgreementSummary {
  const n = positions.length;
  const same = positions.filter((p) => p.sameTop).length / n;
  return {
    positions: n,
    kld: distribution(positions.map((p) => p.kld)),
    deltaP: distribution(positions.map((p) => p.deltaP)),
    // Binomial standard error, as llama.cpp's "Same top p ± …".
    sameTop: { fraction: same, uncertainty: n > 1 ? Math.sqrt((same * (1 - same)) / (n - 1)) : null },
    maxAbsLogitDiff: positions.reduce((m, p) => Math.max(m, p.maxAbsLogitDiff), 0),
    perplexity: perplexitySummary(positions),
    nmse: nmse.centredSqRef > 0 ? nmse.centredSqDiff / nmse.centredSqRef : 0,
  };
}

function perplexitySummary(positions: readonly PositionMetrics[]): PerplexitySummary {
  const ours = distribution(positions.map((p) => -p.logprob));
  const reference = distribution(positions.map((p) => -p.referenceLogprob));
  const lnRatio = distribution(positions.map((p) => p.referenceLogprob - p.logprob));
  const ppl = Math.exp(ours.mean);
  const refPpl = Math.exp(reference.mean);
  const ratio = Math.exp(lnRatio.mean);
  const times = (x: number, u: number | null) => (u === null ? null : x * u);
  return {
    ours: ppl,
    oursUncertainty: times(ppl, ours.meanUncertainty),
    reference: refPpl,
    referenceUncertainty: times(refPpl, reference.meanUncertainty),
    ratio,
    ratioUncertainty: times(ratio, lnRatio.meanUncertainty),
    difference: ppl - refPpl,
  };
}

/** Per-step aggregates over the prompts that reach each step: the series the report plots. */
export function stepSeries(positions: readonly PositionMetrics[]): StepPoint[] {
  const byStep = new Map<number, PositionMetrics[]>();
  for (const p of positions) byStep.set(p.step, [...(byStep.get(p.step) ?? []), p]);
  return [...byStep.entries()]
    .sort(([a], [b]) => a - b)
    .map(([step, at]) => ({
      step,
      prompts: at.length,
      meanKld: at.reduce((s, p) => s + p.kld, 0) / at.length,
      maxKld: Math.max(...at.map((p) => p.kld)),
      maxAbsLogitDiff: Math.max(...at.map((p) => p.maxAbsLogitDiff)),
    }));
}
