import { type LogitsSource, logitsRow } from '../../core/backend/contract.ts';
import type { BeamStepRecord } from '../decode/decode-result.ts';
import type { GenerationConfig } from '../decode/generation-config.ts';
import { processorsFor } from '../decode/processors-for.ts';
import { topK } from '../decode/top-candidates.ts';

/**
 * How far each decision of a recorded run was from going the other way. A backend whose logits
 * differ by float noise can only flip a decision whose margin is within that noise; the check labels
 * such a flip a near-tie instead of a failure.
 */

/**
 * Greedy: at each step, the processed-score gap between the best and second-best token (what argmax
 * compared), or null when the processors left a single token. Recomputed teacher-forced along the
 * recorded path with one all-positions prefill, through the same processor chain the search used.
 */
export async function greedyMargins(
  reference: LogitsSource,
  promptIds: readonly number[],
  tokenIds: readonly number[],
  config: GenerationConfig,
): Promise<(number | null)[]> {
  const chain = processorsFor(config, false);
  const path = [...promptIds, ...tokenIds];
  const logits = await reference.prefill([path.slice(0, -1)], { allPositions: true });
  return tokenIds.map((_, n) => {
    const scores = Float64Array.from(logitsRow(logits, 0, promptIds.length - 1 + n));
    chain.apply(scores, { ids: path.slice(0, promptIds.length + n), promptLength: promptIds.length });
    const [best, second] = topK(scores, 2);
    return second === undefined || second[1] === Number.NEGATIVE_INFINITY ? null : best![1] - second[1];
  });
}

/**
 * Beam: per search step, the smallest score gap between two adjacent ranked candidates whose fates
 * differ (kept, finished, dropped): swapping such a pair changes which beams go on. Pairs with the
 * same fate can swap harmlessly. Null when no pair's fates differ.
 */
export function beamMargins(steps: readonly BeamStepRecord[]): (number | null)[] {
  return steps.map(({ candidates }) => {
    let margin: number | null = null;
    for (let i = 0; i + 1 < candidates.length; i++) {
      const [a, b] = [candidates[i]!, candidates[i + 1]!];
      if (a.fate !== b.fate) margin = Math.min(margin ?? Number.POSITIVE_INFINITY, a.score - b.score);
    }
    return margin;
  });
}

/**
 * Beam: the smallest score gap between consecutive finished hypotheses (best first) up to and
 * including the first one not returned; null when there is nothing to swap with.
 */
export function rankMargin(hypothesisScores: readonly number[], returned: number): number | null {
  let margin: number | null = null;
  for (let i = 0; i < returned && i + 1 < hypothesisScores.length; i++) {
    margin = Math.min(margin ?? Number.POSITIVE_INFINITY, hypothesisScores[i]! - hypothesisScores[i + 1]!);
  }
  return margin;
}
