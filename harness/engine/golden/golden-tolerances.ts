import type { ComputeDtype } from '../../core/backend/contract.ts';
import { LOGIT_TOLERANCE } from '../conformance/tolerances.ts';
import type { GenerationConfig } from '../decode/generation-config.ts';
import type { GoldenTolerances } from './golden-schema.ts';

const DTYPES = Object.keys(LOGIT_TOLERANCE) as ComputeDtype[];

function perDtype(scale: number): Record<ComputeDtype, number> {
  return Object.fromEntries(DTYPES.map((d) => [d, LOGIT_TOLERANCE[d] * scale])) as Record<
    ComputeDtype,
    number
  >;
}

/**
 * A case's tolerances, derived from δ = the conformance logit tolerance of each dtype (the largest
 * |Δlogit| against the float64 reference that is still float noise):
 * - logprobAbs 2δ: a logprob is logit − logsumexp, and each moves by at most δ.
 * - nearTie 4δ·r: the gap between two tokens' scores moves by at most 2δ (× r = the repetition
 *   penalty, which can scale a logit up); 4δ leaves 2× headroom. Beam scores are sums, so the check
 *   scales this by the number of steps behind a decision.
 * - cdfBoundary 4δ·r/T: after temperature T every scaled logit moves by at most δ·r/T, which moves any
 *   cumulative probability by at most e^(2δr/T) − 1 ≈ 2δr/T; again 2× headroom.
 * Written into every golden so a reviewer sees, in the diff, what a check will accept.
 */
export function goldenTolerances(config: GenerationConfig): GoldenTolerances {
  const penalty = Math.max(1, config.repetition_penalty);
  const temperature = config.do_sample && config.temperature > 0 ? config.temperature : 1;
  return {
    logprobAbs: perDtype(2),
    nearTie: perDtype(4 * penalty),
    cdfBoundary: perDtype((4 * penalty) / temperature),
  };
}
