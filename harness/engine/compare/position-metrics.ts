import { logSoftmax } from '../decode/log-softmax.ts';
import { argmax } from '../decode/top-candidates.ts';

/** The reference's logits at one position, with what every comparison needs precomputed. */
export interface ReferenceRow {
  readonly logits: Float64Array; // [vocab]
  readonly probs: Float64Array; // [vocab] softmax(logits), float64
  readonly topId: number;
  /** Mean logit of the row, for centring. */
  readonly meanLogit: number;
  /** Σ (logit − mean)², the NMSE denominator of this row. */
  readonly centredSumSq: number;
}

export function referenceRow(logits: ArrayLike<number>, where: string): ReferenceRow {
  const copy = Float64Array.from(logits);
  const logprobs = logSoftmax(copy, where);
  const probs = logprobs.map(Math.exp);
  const meanLogit = copy.reduce((s, x) => s + x, 0) / copy.length;
  const centredSumSq = copy.reduce((s, x) => s + (x - meanLogit) ** 2, 0);
  return { logits: copy, probs, topId: argmax(copy), meanLogit, centredSumSq };
}

/** One position's agreement numbers, plus the NMSE sums the caller pools over positions. */
export interface PositionComparison {
  readonly kld: number;
  readonly deltaP: number;
  readonly sameTop: boolean;
  readonly maxAbsLogitDiff: number;
  /** The backend's log-probability of the scored token (nats), for perplexity. */
  readonly logprob: number;
  /** Σ (centred Δlogit)², the NMSE numerator of this row. */
  readonly centredSqDiff: number;
}

/**
 * Compare a backend's logits row with the reference's, all in float64. `where` names the backend
 * and position in the error for non-finite logits. Δp and the logprob are of `scoredId`: the
 * reference's top token along its own greedy continuation, the text's next token under --text.
 *
 * KL(ref ‖ b) = Σ p·(log p − log q). With e = b − ref logits and any constant c it equals
 * log1p(Σ p·expm1(e − c)) − Σ p·(e − c). Taking c ≈ the p-weighted mean of e makes both terms
 * small, and computing both with the same c cancels the error in c exactly: float-noise divergences
 * of 1e-20 are resolved instead of lost in the difference of two ~10-nat sums. p is renormalised
 * because Σ p = 1 only up to rounding.
 */
export function comparePosition(
  ref: ReferenceRow,
  ours: ArrayLike<number>,
  where: string,
  scoredId: number = ref.topId,
): PositionComparison {
  const n = ref.logits.length;
  if (ours.length !== n) throw new Error(`${where}: ${ours.length} logits, the reference has ${n}`);
  const ourLogprobs = logSoftmax(ours, where); // also rejects NaN and ±Inf
  let pSum = 0;
  let c = 0;
  let ourMean = 0;
  let maxAbsLogitDiff = 0;
  for (let i = 0; i < n; i++) {
    const e = ours[i]! - ref.logits[i]!;
    pSum += ref.probs[i]!;
    c += ref.probs[i]! * e;
    ourMean += ours[i]!;
    maxAbsLogitDiff = Math.max(maxAbsLogitDiff, Math.abs(e));
  }
  c /= pSum;
  ourMean /= n;
  const shift = ourMean - ref.meanLogit; // centring both rows = removing this from e
  let linear = 0;
  let exponential = 0;
  let centredSqDiff = 0;
  for (let i = 0; i < n; i++) {
    const e = ours[i]! - ref.logits[i]!;
    linear += ref.probs[i]! * (e - c);
    exponential += ref.probs[i]! * Math.expm1(e - c);
    centredSqDiff += (e - shift) ** 2;
  }
  return {
    kld: Math.log1p(exponential / pSum) - linear / pSum,
    deltaP: Math.exp(ourLogprobs[scoredId]!) - ref.probs[scoredId]!,
    logprob: ourLogprobs[scoredId]!,
    sameTop: argmax(ours) === ref.topId,
    maxAbsLogitDiff,
    centredSqDiff,
  };
}
