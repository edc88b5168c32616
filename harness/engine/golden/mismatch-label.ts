import type { ComputeDtype } from '../../core/backend/contract.ts';
import type { StepRecord } from '../decode/decode-result.ts';
import type { StepPosition, TokenMismatch } from './check-result.ts';
import type { Golden } from './golden-schema.ts';

type Label = Pick<TokenMismatch, 'label' | 'margin' | 'tolerance' | 'marginAt'>;

/**
 * Decide whether a token flip at `at` is float noise, from the margins the golden recorded
 * (HF's own generation tests accept a flip only where the scores were within tolerance):
 * - greedy: the golden's top-2 processed-score gap at that step ≤ nearTie → `near-tie`;
 * - sampling: the same coin fell within cdfBoundary of an edge of the golden token's CDF interval
 *   → `cdf-boundary` (a different coin is an RNG fault, never labelled);
 * - beam: a flip at any decision can reorder every later beam, so the smallest margin relative to
 *   its tolerance over the whole search counts; beam scores are sums, so a decision n steps in may
 *   be off by n + 1 steps' noise (tolerance nearTie × (n + 1)).
 */
export function labelMismatch(
  golden: Golden,
  dtype: ComputeDtype,
  at: StepPosition,
  ours: StepRecord | undefined,
): Label {
  const nearTie = golden.tolerances.nearTie[dtype];
  const step = golden.expected.sequences[at.sequence]?.steps[at.step];
  switch (golden.expected.strategy) {
    case 'greedy': {
      const margin = step?.margin ?? null;
      const label = margin !== null && margin <= nearTie ? 'near-tie' : null;
      return { label, margin, tolerance: nearTie, marginAt: `step ${at.step} top-2 gap` };
    }
    case 'sample': {
      const tolerance = golden.tolerances.cdfBoundary[dtype];
      if (step?.coin === undefined || step.cdf === undefined) {
        return { label: null, margin: null, tolerance, marginAt: `step ${at.step} (golden sequence ended)` };
      }
      const margin = Math.min(step.coin - step.cdf[0], step.cdf[1] - step.coin);
      if (ours?.coin !== step.coin) {
        return {
          label: null,
          margin,
          tolerance,
          marginAt: `the coins differ (ours ${ours?.coin ?? 'none'})`,
        };
      }
      const label = margin <= tolerance ? 'cdf-boundary' : null;
      return { label, margin, tolerance, marginAt: `step ${at.step} coin to CDF edge` };
    }
    case 'beam':
      return beamLabel(golden, nearTie);
  }
}

function beamLabel(golden: Golden, nearTie: number): Label {
  const longest = Math.max(...golden.expected.sequences.map((s) => s.tokenIds.length));
  const decisions: { margin: number; tolerance: number; marginAt: string }[] = [];
  for (const [n, margin] of (golden.expected.beamMargins ?? []).entries()) {
    if (margin !== null)
      decisions.push({ margin, tolerance: nearTie * (n + 1), marginAt: `beam step ${n} cut` });
  }
  const rank = golden.expected.rankMargin;
  if (rank !== null && rank !== undefined) {
    decisions.push({ margin: rank, tolerance: nearTie * longest, marginAt: 'final hypothesis ranking' });
  }
  if (decisions.length === 0)
    return { label: null, margin: null, tolerance: nearTie, marginAt: 'no decision could flip' };
  const closest = decisions.reduce((a, b) => (b.margin / b.tolerance < a.margin / a.tolerance ? b : a));
  return { ...closest, label: closest.margin <= closest.tolerance ? 'near-tie' : null };
}
