import { UsageError } from '../../../core/errors.ts';
import { sortPrefix } from '../candidate-order.ts';
import type { LogitsProcessor } from './logits-processor.ts';

/**
 * Locally typical filtering (Meister, Pimentel, Wiher & Cotterell 2022, "Locally Typical Sampling";
 * HF TypicalLogitsWarper): rank tokens by how far their surprisal -log p lies from the entropy H of
 * the row, |(-log p) - H| ascending, and keep the head of that ranking whose probability mass
 * reaches typical_p; the most likely token may be filtered. No-op value: 1. HF applies it after
 * temperature, top-k, top-p and min-p, before epsilon_cutoff and eta_cutoff.
 *
 * HF's steps, followed one by one (float64 here, float32 in HF, so they can differ only at a
 * boundary within rounding):
 * - log p = log_softmax(scores); H = -nansum(log p · p): a filtered token (-Infinity) gives
 *   -Infinity · 0 = NaN, which nansum drops, so H is the entropy of the surviving tokens;
 * - shifted = |(-log p) - H|, sorted ascending; cumulative = cumsum of the probabilities in that order;
 * - last = (number of positions with cumulative < typical_p), clamped to the last position;
 * - filter every token whose shifted score is strictly greater than the shifted score at `last`, so
 *   every token tied with it survives whatever the order of the tie;
 * - the first min_tokens_to_keep positions of the sorted order are never filtered (note: by shifted
 *   score, not by probability).
 * HF's torch.sort leaves ties in an unspecified order; here ties go to the lower id, which only
 * matters for the min_tokens_to_keep exemption (the cut itself does not depend on the tie order).
 *
 * Validation: HF's TypicalLogitsWarper refuses typical_p outside (0, 1), and _get_logits_processor
 * builds it only for typical_p < 1; here 1 is accepted as the no-op and anything outside (0, 1] is
 * refused.
 *
 * Cost: one pass for the entropy, then the ranking is put in order lazily (candidate-order.ts's
 * partial quicksort), so only the kept head and a little more is sorted.
 */
export const typicalPNoOp = 1;

/** The first batch of ranks put in order; later batches grow ×4 (as in CandidateOrder). */
const FIRST_BATCH = 32;

export function createTypicalP(mass: number, minTokensToKeep = 1): LogitsProcessor {
  if (!(mass > 0 && mass <= 1)) {
    throw new UsageError(`--typical-p ${mass} must be in (0, 1]; use e.g. --typical-p 0.9 (1 disables it)`);
  }
  if (!Number.isInteger(minTokensToKeep) || minTokensToKeep < 1) {
    throw new UsageError(`min_tokens_to_keep ${minTokensToKeep} must be a whole number ≥ 1`);
  }
  return {
    name: 'typical_p',
    ignoresFiltered: true,
    apply(scores) {
      // HF never builds it for 1; walking would risk dropping the tail where float sums reach 1 early.
      if (mass === typicalPNoOp) return;
      const n = scores.length;
      let max = Number.NEGATIVE_INFINITY;
      let count = 0;
      for (let i = 0; i < n; i++) {
        const x = scores[i]!;
        if (x !== Number.NEGATIVE_INFINITY) {
          count++;
          if (x > max) max = x;
        }
      }
      // Nothing to rank, or a +Infinity / NaN score that the sampler reports by name.
      if (!Number.isFinite(max)) return;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const x = scores[i]!;
        if (x !== Number.NEGATIVE_INFINITY) sum += Math.exp(x - max);
      }
      if (Number.isNaN(sum)) return;
      const logZ = max + Math.log(sum);
      // H = -nansum(log p · p) over the surviving tokens.
      let entropy = 0;
      for (let i = 0; i < n; i++) {
        const x = scores[i]!;
        if (x === Number.NEGATIVE_INFINITY) continue;
        const logP = x - logZ;
        entropy -= logP * Math.exp(logP);
      }
      // Surviving ids with key = -shifted, so candidate order (descending key, ties to the lower id)
      // is HF's ascending shifted order.
      const ids = new Int32Array(count);
      const keys = new Float64Array(count);
      for (let i = 0, r = 0; i < n; i++) {
        const x = scores[i]!;
        if (x === Number.NEGATIVE_INFINITY) continue;
        ids[r] = i;
        keys[r] = -Math.abs(-(x - logZ) - entropy);
        r++;
      }
      let ordered = 0;
      const orderThrough = (rank: number) => {
        if (rank < ordered) return;
        const target = Math.min(count, Math.max(rank + 1, ordered * 4, FIRST_BATCH));
        sortPrefix(ids, keys, ordered, count, target - ordered);
        ordered = target;
      };
      // last = number of positions whose cumulative mass is < typical_p, clamped to the last one.
      let last = 0;
      let cumulative = 0;
      for (; last < count - 1; last++) {
        orderThrough(last);
        cumulative += Math.exp(scores[ids[last]!]! - max) / sum;
        if (!(cumulative < mass)) break;
      }
      const exempt = Math.min(minTokensToKeep, count);
      orderThrough(Math.max(last, exempt - 1));
      const thresholdKey = keys[last]!; // -(shifted score at `last`)
      for (let r = exempt; r < count; r++) {
        if (keys[r]! < thresholdKey) scores[ids[r]!] = Number.NEGATIVE_INFINITY;
      }
    },
  };
}
