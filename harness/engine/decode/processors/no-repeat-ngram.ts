import { UsageError } from '../../../core/errors.ts';
import type { LogitsProcessor } from './logits-processor.ts';

/**
 * No-repeat n-gram blocking (Paulus, Xiong & Socher 2017, "A Deep Reinforced Model for Abstractive
 * Summarization"; HF NoRepeatNGramLogitsProcessor): over prompt + generated ids, any token that would
 * complete an n-gram already present is filtered. n = 1 bans every token seen so far. Nothing is
 * banned while the sequence is shorter than n - 1 tokens. No-op value: 0.
 */
export const noRepeatNgramSizeNoOp = 0;

export function createNoRepeatNgram(ngramSize: number): LogitsProcessor {
  if (!Number.isInteger(ngramSize) || ngramSize < 0) {
    throw new UsageError(`--no-repeat-ngram-size ${ngramSize} must be a whole number ≥ 0 (0 disables it)`);
  }
  return {
    name: 'no_repeat_ngram_size',
    apply(scores, sequence) {
      const ids = sequence.ids;
      const prefixLength = ngramSize - 1; // the last n-1 ids, which the next token would extend
      if (ngramSize === 0 || ids.length < prefixLength) return;
      const prefixStart = ids.length - prefixLength;
      // Every earlier n-gram start j whose first n-1 ids equal the current prefix bans its last id.
      for (let j = 0; j + ngramSize <= ids.length; j++) {
        let same = true;
        for (let k = 0; k < prefixLength && same; k++) same = ids[j + k] === ids[prefixStart + k];
        if (same) scores[ids[j + prefixLength]!] = Number.NEGATIVE_INFINITY;
      }
    },
  };
}
