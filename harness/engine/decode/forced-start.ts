import type { LogitsSource } from '../../core/backend/contract.ts';
import { UsageError } from '../../core/errors.ts';
import { forcedSteps } from '../score/forced-steps.ts';
import type { DecodeResult } from './decode-result.ts';
import type { GenerationConfig } from './generation-config.ts';
import { checkLengths } from './lengths.ts';
import type { StepViewRequest } from './step-record.ts';

/**
 * `--force`: every sequence starts with the given tokens, then decoding goes on as configured.
 * The forced tokens are scored teacher-forced (raw logprob, rank, top-k: forced-steps.ts); then
 * `run` decodes from prompt + forced ids as its prompt, so what follows is exactly what decoding
 * those ids would give: the same coins, processors that see the forced tokens as context, and
 * max_new_tokens / min_new_tokens counting the tokens after them (beam scores too, as HF's do for a
 * prompt). Each sequence's ids, steps and total logprob include the forced start.
 */
export async function decodeWithForcedStart(
  source: LogitsSource,
  promptIds: readonly number[],
  forcedIds: readonly number[],
  config: GenerationConfig,
  record: { readonly topK: number; readonly view?: StepViewRequest },
  run: (contextIds: readonly number[]) => Promise<DecodeResult>,
): Promise<DecodeResult> {
  checkForcedLengths(promptIds.length, forcedIds.length, config.max_new_tokens, source.maxPositions);
  const t0 = performance.now();
  const forced = await forcedSteps(source, promptIds, forcedIds, record.topK, record.view);
  const forcedMs = performance.now() - t0;
  const result = await run([...promptIds, ...forcedIds]);
  return {
    ...result,
    promptIds: [...promptIds],
    forcedIds: [...forcedIds],
    sequences: result.sequences.map((sequence) => {
      const steps = [...forced, ...sequence.steps];
      return {
        ...sequence,
        tokenIds: [...forcedIds, ...sequence.tokenIds],
        steps,
        totalLogprob: steps.reduce((sum, s) => sum + s.logprob, 0),
      };
    }),
    timing: { ...result.timing, forcedMs },
  };
}

/** The prompt, the forced tokens and max_new_tokens must fit the model's positions together. */
export function checkForcedLengths(
  promptLength: number,
  forcedLength: number,
  maxNewTokens: number,
  maxPositions: number,
): void {
  checkLengths(promptLength, maxNewTokens, maxPositions);
  const needed = promptLength + forcedLength + maxNewTokens - 1; // the last new token is never fed
  if (needed <= maxPositions) return;
  const room = maxPositions - promptLength - forcedLength + 1;
  throw new UsageError(
    `prompt (${promptLength} tokens) + --force (${forcedLength} tokens) + max_new_tokens (${maxNewTokens}) ` +
      `needs ${needed} positions but the model holds ${maxPositions}; ` +
      (room >= 1
        ? `use --max-new-tokens ${room} or less, or a shorter --force`
        : promptLength < maxPositions
          ? `shorten --force to at most ${maxPositions - promptLength} tokens`
          : 'the prompt alone fills them: shorten the prompt'),
  );
}
