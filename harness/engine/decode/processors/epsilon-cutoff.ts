import { UsageError } from '../../../core/errors.ts';
import type { LogitsProcessor, ScoresRow } from './logits-processor.ts';
import { kthLargest } from './top-k.ts';

/**
 * Epsilon cutoff (Hewitt, Manning & Liang 2022, "Truncation Sampling as Language Model
 * Desmoothing"; HF EpsilonLogitsWarper): filter every token whose probability is below epsilon,
 * except the top min_tokens_to_keep by score. No-op value: 0. HF applies it after temperature, top-k,
 * top-p, min-p and typical_p, before eta_cutoff.
 *
 * HF's rule, exactly: remove = (softmax(scores) < epsilon) & (score < k-th largest score) with
 * k = min(min_tokens_to_keep, vocab), so every token tied with the k-th best survives (no sort, no
 * tie order). Probabilities here are float64 (max-subtracted softmax), in HF float32 with epsilon
 * rounded to float32: they can differ only for a probability within rounding of epsilon.
 *
 * Validation: HF's EpsilonLogitsWarper refuses epsilon outside (0, 1), and _get_logits_processor
 * builds it only for 0 < epsilon_cutoff < 1; here 0 is accepted as the no-op and anything outside
 * [0, 1) is refused.
 */
export const epsilonCutoffNoOp = 0;

export function createEpsilonCutoff(epsilon: number, minTokensToKeep = 1): LogitsProcessor {
  if (!(epsilon >= 0 && epsilon < 1)) {
    throw new UsageError(
      `--epsilon-cutoff ${epsilon} must be in [0, 1); use e.g. --epsilon-cutoff 0.0003 (0 disables it)`,
    );
  }
  if (!Number.isInteger(minTokensToKeep) || minTokensToKeep < 1) {
    throw new UsageError(`min_tokens_to_keep ${minTokensToKeep} must be a whole number ≥ 1`);
  }
  return {
    name: 'epsilon_cutoff',
    ignoresFiltered: true,
    apply(scores) {
      if (epsilon === epsilonCutoffNoOp) return;
      cutBelow(scores, minTokensToKeep, epsilon);
    },
  };
}

/**
 * The cut epsilon_cutoff and eta_cutoff share: with p = softmax(scores) (float64, max-subtracted),
 * filter every token with p < cutoff whose score is below the k-th largest score,
 * k = min(min_tokens_to_keep, vocab). A function `cutoff` gets the entropy of p in nats (-Σ p log p
 * over the surviving tokens: torch's Categorical clamps -Infinity logits to the dtype's lowest value,
 * so a filtered token adds 0); a number is used as it is, and the entropy is not computed.
 */
export function cutBelow(
  scores: ScoresRow,
  minTokensToKeep: number,
  cutoff: number | ((entropy: number) => number),
): void {
  const n = scores.length;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if (scores[i]! > max) max = scores[i]!;
  // Nothing survives, or a +Infinity / NaN score that the sampler reports by name.
  if (!Number.isFinite(max)) return;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(scores[i]! - max);
  if (Number.isNaN(sum)) return;
  const cut = typeof cutoff === 'number' ? cutoff : cutoff(entropyOf(scores, max, sum));
  const k = Math.min(minTokensToKeep, n);
  const kth = k === 1 ? max : kthLargest(scores, k);
  for (let i = 0; i < n; i++) {
    const x = scores[i]!;
    if (Math.exp(x - max) / sum < cut && x < kth) scores[i] = Number.NEGATIVE_INFINITY;
  }
}

/** -Σ p log p in nats over the surviving tokens, p = exp(x - max) / sum. */
function entropyOf(scores: ScoresRow, max: number, sum: number): number {
  const logZ = max + Math.log(sum);
  let entropy = 0;
  for (let i = 0; i < scores.length; i++) {
    const x = scores[i]!;
    if (x !== Number.NEGATIVE_INFINITY) entropy -= (x - logZ) * (Math.exp(x - max) / sum);
  }
  return entropy;
}
