import type { LogitsSource } from '../../core/backend/contract.ts';
import { UsageError } from '../../core/errors.ts';
import type { StepRecord } from '../decode/decode-result.ts';
import { forcedSteps } from './forced-steps.ts';

/** How likely a model finds a continuation of a prompt, token by token. */
export interface ContinuationScore {
  readonly promptIds: readonly number[];
  readonly continuationIds: readonly number[];
  /** One record per continuation token: raw logprob, rank (1 = top), raw top-k; all `forced`. */
  readonly tokens: readonly StepRecord[];
  /** Sum of the tokens' logprobs, nats (≤ 0): log P(continuation | prompt). */
  readonly totalLogprob: number;
  /** −totalLogprob / tokens: the mean negative log-likelihood, Hugging Face's `loss`, nats per token. */
  readonly meanNll: number;
  /** exp(meanNll). */
  readonly perplexity: number;
}

/**
 * Score `continuationIds` given `promptIds` on `source`: a forced path, so every token is the given
 * one, scored under the raw distribution. The prompt needs a token (the first continuation token is
 * predicted from it) and the path prompt + continuation − 1 positions (the last token is never fed).
 */
export async function scoreContinuation(
  source: LogitsSource,
  promptIds: readonly number[],
  continuationIds: readonly number[],
  recordTopK: number,
): Promise<ContinuationScore> {
  checkScoreLengths(promptIds.length, continuationIds.length, source.maxPositions);
  const tokens = await forcedSteps(source, promptIds, continuationIds, recordTopK);
  const totalLogprob = tokens.reduce((sum, t) => sum + t.logprob, 0);
  const meanNll = -totalLogprob / tokens.length;
  return {
    promptIds: [...promptIds],
    continuationIds: [...continuationIds],
    tokens,
    totalLogprob,
    meanNll,
    perplexity: Math.exp(meanNll),
  };
}

/** Refuse an empty side or a path beyond the model's positions, before any model call. */
export function checkScoreLengths(
  promptLength: number,
  continuationLength: number,
  maxPositions: number,
): void {
  if (promptLength === 0) {
    throw new UsageError(
      'the prompt is empty (0 tokens): the first continuation token is predicted from the prompt, so there ' +
        "must be one; give --prompt TEXT (a model trained with one may take its BOS token, GPT-2's <|endoftext|>)",
    );
  }
  if (continuationLength === 0) {
    throw new UsageError('the continuation is empty (0 tokens); give --continuation TEXT, the text to score');
  }
  const needed = promptLength + continuationLength - 1;
  if (needed > maxPositions) {
    throw new UsageError(
      `prompt (${promptLength} tokens) + continuation (${continuationLength} tokens) needs ${needed} positions ` +
        `(the last token is never fed) but the model holds ${maxPositions}; shorten them to ` +
        `${maxPositions + 1} tokens together`,
    );
  }
}
