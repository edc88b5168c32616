import { UsageError } from '../../core/errors.ts';

/**
 * Reject a prompt or a generation budget the model's position table cannot hold; a prompt shorter
 * than `minPromptLength` (a model needs one token; a context-free toy distribution none).
 */
export function checkLengths(
  promptLength: number,
  maxNewTokens: number,
  maxPositions: number,
  minPromptLength = 1,
): void {
  if (promptLength < minPromptLength) {
    throw new UsageError('the prompt is empty (0 tokens); give a non-empty --prompt');
  }
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) {
    throw new UsageError(`max_new_tokens ${maxNewTokens} must be a whole number ≥ 1`);
  }
  if (promptLength > maxPositions) {
    throw new UsageError(
      `the prompt is ${promptLength} tokens but the model holds at most ${maxPositions} positions ` +
        '(config n_positions or max_position_embeddings); shorten the prompt',
    );
  }
  // The last generated token is never fed back, so prompt + new - 1 positions are used.
  if (promptLength + maxNewTokens - 1 > maxPositions) {
    throw new UsageError(
      `prompt (${promptLength} tokens) + max_new_tokens (${maxNewTokens}) exceeds the model's ` +
        `${maxPositions} positions; use --max-new-tokens ${maxPositions - promptLength + 1} or less`,
    );
  }
}
