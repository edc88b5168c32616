import { UsageError } from '../../../core/errors.ts';
import { topK } from '../top-candidates.ts';
import type { LogitsProcessor } from './logits-processor.ts';

/**
 * Min-p filtering (Nguyen et al. 2024, "Turning Up the Heat: Min-p Sampling for Creative and Coherent
 * LLM Outputs"; HF MinPLogitsWarper): filter every token whose probability is below
 * min_p × (probability of the most likely token); the top min_tokens_to_keep scores always stay.
 * HF applies it after temperature, top-k and top-p. No-op value: 0.
 */
export const minPNoOp = 0;

export function createMinP(minP: number, minTokensToKeep = 1): LogitsProcessor {
  if (!(minP >= 0 && minP <= 1)) {
    throw new UsageError(`--min-p ${minP} must be in [0, 1]; use e.g. --min-p 0.05 (0 disables it)`);
  }
  return {
    name: 'min_p',
    ignoresFiltered: true,
    apply(scores) {
      const n = scores.length;
      let max = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < n; i++) if (scores[i]! > max) max = scores[i]!;
      if (max === Number.NEGATIVE_INFINITY) return;
      // p_i < min_p · p_top with p = exp(score - max) / Z and p_top = 1 / Z: Z cancels.
      // The top min_tokens_to_keep (by score, ties to the lower id) are exempt; with 1 that is the
      // argmax, which is never below the threshold anyway.
      const exempt = minTokensToKeep > 1 ? new Set(topK(scores, minTokensToKeep).map(([id]) => id)) : null;
      for (let i = 0; i < n; i++) {
        if (Math.exp(scores[i]! - max) < minP && !exempt?.has(i)) scores[i] = Number.NEGATIVE_INFINITY;
      }
    },
  };
}
