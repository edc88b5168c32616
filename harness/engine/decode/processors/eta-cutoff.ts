import { UsageError } from '../../../core/errors.ts';
import { cutBelow } from './epsilon-cutoff.ts';
import type { LogitsProcessor } from './logits-processor.ts';

/**
 * Eta cutoff (Hewitt, Manning & Liang 2022, "Truncation Sampling as Language Model Desmoothing";
 * HF EtaLogitsWarper): an entropy-dependent epsilon cutoff. With H the entropy of the row in nats,
 * eta = min(epsilon, sqrt(epsilon) · exp(-H)); filter every token whose probability is below eta,
 * except the top min_tokens_to_keep by score (every token tied with the k-th best survives, as in
 * epsilon_cutoff). A flat row (high H) lowers the cutoff, a peaked one raises it up to epsilon.
 * No-op value: 0. HF applies it last of the warpers, after temperature, top-k, top-p, min-p,
 * typical_p and epsilon_cutoff.
 *
 * HF's code computes `torch.min(epsilon, torch.sqrt(epsilon) * torch.exp(-entropy))` with
 * entropy = torch.distributions.Categorical(logits=scores).entropy(); its docstring writes
 * sqrt(epsilon · e^-H), but the code (and the paper's α = sqrt(epsilon)) is what is followed here.
 * Float64 here, float32 in HF (epsilon is a float32 tensor there): they differ only at the boundary.
 *
 * Validation: HF's EtaLogitsWarper refuses epsilon outside (0, 1) (min_tokens_to_keep defaults to
 * 1 there too), and _get_logits_processor builds it only for 0 < eta_cutoff < 1; here 0 is accepted
 * as the no-op and anything outside [0, 1) is refused.
 */
export const etaCutoffNoOp = 0;

export function createEtaCutoff(epsilon: number, minTokensToKeep = 1): LogitsProcessor {
  if (!(epsilon >= 0 && epsilon < 1)) {
    throw new UsageError(
      `--eta-cutoff ${epsilon} must be in [0, 1); use e.g. --eta-cutoff 0.002 (0 disables it)`,
    );
  }
  if (!Number.isInteger(minTokensToKeep) || minTokensToKeep < 1) {
    throw new UsageError(`min_tokens_to_keep ${minTokensToKeep} must be a whole number ≥ 1`);
  }
  const sqrtEpsilon = Math.sqrt(epsilon);
  return {
    name: 'eta_cutoff',
    ignoresFiltered: true,
    apply(scores) {
      if (epsilon === etaCutoffNoOp) return;
      cutBelow(scores, minTokensToKeep, (entropy) => Math.min(epsilon, sqrtEpsilon * Math.exp(-entropy)));
    },
  };
}
