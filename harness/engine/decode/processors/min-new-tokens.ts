import { UsageError } from '../../../core/errors.ts';
import type { LogitsProcessor } from './logits-processor.ts';

/**
 * Minimum generation length (HF MinNewTokensLengthLogitsProcessor): while fewer than `minNewTokens`
 * tokens have been generated after the prompt, every end-of-sequence id is filtered, so generation
 * cannot stop early. No-op value: 0 (or no eos ids).
 */
export const minNewTokensNoOp = 0;

export function createMinNewTokens(minNewTokens: number, eosTokenIds: readonly number[]): LogitsProcessor {
  if (!Number.isInteger(minNewTokens) || minNewTokens < 0) {
    throw new UsageError(`--min-new-tokens ${minNewTokens} must be a whole number ≥ 0 (0 disables it)`);
  }
  for (const id of eosTokenIds) {
    if (!Number.isInteger(id) || id < 0) {
      throw new UsageError(
        `eos token id ${id} must be a whole number ≥ 0; check eos_token_id in generation_config.json`,
      );
    }
  }
  return {
    name: 'min_new_tokens',
    apply(scores, sequence) {
      if (sequence.ids.length - sequence.promptLength >= minNewTokens) return;
      for (const id of eosTokenIds) {
        if (id >= scores.length) {
          throw new UsageError(
            `eos token id ${id} is outside the vocabulary (${scores.length} tokens); ` +
              'check eos_token_id in generation_config.json',
          );
        }
        scores[id] = Number.NEGATIVE_INFINITY;
      }
    },
  };
}
