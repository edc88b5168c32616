import type { FlaggedPosition, PositionMetrics } from './compare-record.ts';
import type { GateLimits } from './gates.ts';

/**
 * The earliest step (then the lowest prompt index) at which one position already breaks a gate's
 * limit on its own: its KLD above the mean-KLD limit or its max |Δlogit| above that limit. This
 * is where a bug first shows, e.g. step 4 for a position id that goes wrong from the 4th cached step.
 */
export function firstFlagged(
  positions: readonly PositionMetrics[],
  limits: GateLimits,
): FlaggedPosition | null {
  const kldLimit = limits['max-mean-kld'].limit;
  const logitLimit = limits['max-abs-logit-diff'].limit;
  let first: FlaggedPosition | null = null;
  for (const p of positions) {
    if (first !== null && (p.step > first.step || (p.step === first.step && p.prompt >= first.prompt)))
      continue;
    const exceeded: string[] = [];
    // `!(x <= limit)` so that NaN counts as exceeded.
    if (!(p.kld <= kldLimit)) exceeded.push(`KLD ${p.kld.toExponential(2)} > ${kldLimit}`);
    if (!(p.maxAbsLogitDiff <= logitLimit)) {
      exceeded.push(`max |Δlogit| ${p.maxAbsLogitDiff.toExponential(2)} > ${logitLimit}`);
    }
    if (exceeded.length > 0) {
      const { prompt, step, position, kld, maxAbsLogitDiff } = p;
      first = { prompt, step, position, kld, maxAbsLogitDiff, exceeded };
    }
  }
  return first;
}
