import { UsageError } from '../../../core/errors.ts';
import { CandidateOrder } from '../candidate-order.ts';
import type { LogitsProcessor } from './logits-processor.ts';

/**
 * Nucleus (top-p) filtering (Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration";
 * HF TopPLogitsWarper): keep the smallest head of the candidate order whose probability mass reaches
 * p, and always at least min_tokens_to_keep tokens. No-op value: 1.
 *
 * HF sorts ascending and removes tokens whose ascending cumulative mass is ≤ 1 - p; in exact
 * arithmetic that is "keep a token iff the mass strictly before it (descending) is < p", which is
 * what this computes, in float64 from the top. They can differ only at the boundary: HF sums float32
 * from the bottom (a mass-before within rounding of p may fall either way), and HF's torch.sort leaves
 * tied scores in an unspecified order where this uses candidate order (ties to the lower id).
 *
 * Cost: survivors are ordered lazily (candidate-order.ts), so only the nucleus and a little more is
 * sorted, never the whole vocabulary; the normaliser still needs one exp per surviving token, which
 * after top-k is only k of them.
 */
export const topPNoOp = 1;

export function createTopP(topP: number, minTokensToKeep = 1): LogitsProcessor {
  if (!(topP > 0 && topP <= 1)) {
    throw new UsageError(`--top-p ${topP} must be in (0, 1]; use e.g. --top-p 0.9 (1 disables it)`);
  }
  return {
    name: 'top_p',
    ignoresFiltered: true,
    apply(scores) {
      // p = 1 keeps everything; walking would risk dropping the tail where float sums reach 1 early.
      if (topP === topPNoOp) return;
      const order = new CandidateOrder(scores);
      let massBefore = 0;
      let kept = 0;
      while (kept < order.count && (kept < minTokensToKeep || massBefore < topP)) {
        order.orderThrough(kept);
        massBefore += order.probs[kept]!;
        kept++;
      }
      for (let r = kept; r < order.count; r++) scores[order.ids[r]!] = Number.NEGATIVE_INFINITY;
    },
  };
}
