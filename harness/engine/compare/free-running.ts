import type { SequenceResult } from '../decode/decode-result.ts';
import type { TokenLogprob } from '../decode/top-candidates.ts';
import type { AgreementSummary, CandidateToken, Divergence } from './compare-record.ts';
import type { GateLimits } from './gates.ts';

/**
 * The logit noise a backend is allowed to explain a greedy flip with: its measured teacher-forced
 * max |Δlogit|, but never more than the --max-abs-logit-diff limit (beyond that it is a failure,
 * not noise).
 */
export function noiseLogit(summary: AgreementSummary, limits: GateLimits): number {
  return Math.min(summary.maxAbsLogitDiff, limits['max-abs-logit-diff'].limit);
}

/**
 * Where the backend's own greedy continuation first leaves the reference's, or null when they are
 * identical (same budget and eos ids, so equal prefixes mean equal sequences).
 *
 * Up to that step both ran on the same tokens, so the flip happened on distributions the teacher-
 * forced metrics describe. A difference of at most ε on every logit moves a top-1/top-2 margin by at
 * most 2ε, so the flip is labelled `near-tie` when the reference's margin is ≤ 2 × noise and
 * `divergence` otherwise.
 */
export function firstDivergence(
  prompt: number,
  reference: SequenceResult,
  ours: SequenceResult,
  noise: number,
  tokenText: (id: number) => string,
): Divergence | null {
  const length = Math.min(reference.tokenIds.length, ours.tokenIds.length);
  let step = 0;
  while (step < length && reference.tokenIds[step] === ours.tokenIds[step]) step++;
  if (step === length) return null;
  const candidate = ([id, logprob]: TokenLogprob): CandidateToken => ({ id, token: tokenText(id), logprob });
  const referenceTop = reference.steps[step]!.top.map(candidate);
  const backendTop = ours.steps[step]!.top.map(candidate);
  const [first, second] = referenceTop;
  const referenceMargin = second === undefined ? Number.POSITIVE_INFINITY : first!.logprob - second.logprob;
  const nearTieThreshold = 2 * noise;
  return {
    prompt,
    step,
    referenceToken: referenceTop[0]!,
    backendToken: backendTop[0]!,
    referenceMargin,
    nearTieThreshold,
    label: referenceMargin <= nearTieThreshold ? 'near-tie' : 'divergence',
    referenceTop,
    backendTop,
  };
}
