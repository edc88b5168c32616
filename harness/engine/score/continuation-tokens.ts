import type { Tokenizer } from '../model/tokenizer.ts';

/**
 * The tokens of a continuation (`score --continuation`, `--force`): the continuation's text encoded
 * on its own, its ids appended to the prompt's. That is the path Hugging Face scores with
 * `compute_transition_scores`: generated ids are appended to `input_ids`, the prompt is never
 * re-tokenised. So the prompt's ids are exactly those the prompt alone gives (the first step's
 * distribution is the one `generate` starts from) and every scored token belongs to the continuation.
 * Encoding prompt + continuation as one text could merge across the boundary ("Hel" + "lo" is one
 * token `Hello`) and leave no clean split; `joint` says whether it would have given other ids here.
 */
export interface ContinuationTokens {
  readonly ids: readonly number[];
  readonly joint: {
    /** encode(prompt text + continuation text). */
    readonly ids: readonly number[];
    /** The first index where it differs from prompt ids + continuation ids; null: it equals them. */
    readonly differsAt: number | null;
  };
}

export function continuationTokens(
  tokenizer: Pick<Tokenizer, 'encode'>,
  prompt: { readonly text: string; readonly ids: readonly number[] },
  continuationText: string,
): ContinuationTokens {
  const ids = tokenizer.encode(continuationText);
  const jointIds = tokenizer.encode(prompt.text + continuationText);
  const separate = [...prompt.ids, ...ids];
  let at = 0;
  while (at < separate.length && at < jointIds.length && separate[at] === jointIds[at]) at++;
  const differsAt = at === separate.length && at === jointIds.length ? null : at;
  return { ids, joint: { ids: jointIds, differsAt } };
}
