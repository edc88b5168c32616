import type { LogitsSource } from '../../core/backend/contract.ts';
import { decode } from './decode.ts';
import type { DecodeResult } from './decode-result.ts';
import { HF_DEFAULTS } from './generation-config.ts';

export interface GreedyConfig {
  readonly maxNewTokens: number;
  /** Generation stops after emitting any of these (the eos token is kept in the output, as in HF). */
  readonly eosTokenIds: readonly number[];
  /** How many [id, logprob] candidates each step records. */
  readonly recordTopK: number;
}

/** Plain greedy decoding (argmax, ties to the lowest id), no processors: the agreement baseline. */
export function greedy(
  source: LogitsSource,
  promptIds: readonly number[],
  config: GreedyConfig,
): Promise<DecodeResult> {
  return decode(
    source,
    promptIds,
    { ...HF_DEFAULTS, max_new_tokens: config.maxNewTokens, eos_token_id: config.eosTokenIds },
    { recordTopK: config.recordTopK },
  );
}
