import { UsageError } from '../../../core/errors.ts';
import type { LogitsProcessor } from './logits-processor.ts';

/**
 * Repetition penalty (Keskar et al. 2019, "CTRL: A Conditional Transformer Language Model for
 * Controllable Generation"; HF RepetitionPenaltyLogitsProcessor): every token present in prompt +
 * generated ids, counted once however often it occurs, gets score < 0 ? score·penalty : score/penalty,
 * so penalty > 1 always makes it less likely and penalty < 1 more likely. No-op value: 1.
 */
export const repetitionPenaltyNoOp = 1;

export function createRepetitionPenalty(penalty: number): LogitsProcessor {
  if (!(penalty > 0 && Number.isFinite(penalty))) {
    throw new UsageError(
      `--repetition-penalty ${penalty} must be a finite number > 0 (1 disables it; HF suggests 1.2)`,
    );
  }
  return {
    name: 'repetition_penalty',
    apply(scores, sequence) {
      // HF gathers then scatters, so a repeated id is penalised once, not once per occurrence.
      for (const id of new Set(sequence.ids)) {
        const score = scores[id]!;
        scores[id] = score < 0 ? score * penalty : score / penalty;
      }
    },
  };
}
