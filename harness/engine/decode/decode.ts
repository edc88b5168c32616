import type { LogitsSource } from '../../core/backend/contract.ts';
import { beamSearch } from './beam-search.ts';
import type { DecodeResult } from './decode-result.ts';
import { decodeWithForcedStart } from './forced-start.ts';
import { type GenerationConfig, strategyOf } from './generation-config.ts';
import { checkLengths } from './lengths.ts';
import { samplingSearch } from './sampling-search.ts';
import { DEFAULT_RECORD_TOP_K, type StepViewRequest } from './step-record.ts';
import type { TextOf } from './stopping.ts';

export interface DecodeOptions {
  /** [id, logprob] candidates recorded per step. */
  readonly recordTopK?: number;
  /** Decodes ids to text; required when the config has stop_strings. */
  readonly textOf?: TextOf;
  /** trace: record each sampling or greedy step's processed walk and temperature table too. */
  readonly view?: StepViewRequest;
  /**
   * The source's logits need no context (trace's toy distribution), so the prompt may be empty. A
   * model always needs at least one prompt token.
   */
  readonly contextFree?: boolean;
  /** --force: the tokens every sequence starts with, scored but not chosen (forced-start.ts). */
  readonly forcedIds?: readonly number[];
}

/**
 * The one entry point: run the strategy a resolved GenerationConfig asks for. A strategy is a
 * function of (source, prompt, config, rng seeded from the config); it never knows the backend.
 */
export function decode(
  source: LogitsSource,
  promptIds: readonly number[],
  config: GenerationConfig,
  options: DecodeOptions = {},
): Promise<DecodeResult> {
  const { forcedIds = [], ...rest } = options;
  if (forcedIds.length > 0) {
    const record = {
      topK: options.recordTopK ?? DEFAULT_RECORD_TOP_K,
      ...(options.view ? { view: options.view } : {}),
    };
    return decodeWithForcedStart(source, promptIds, forcedIds, config, record, (ids) =>
      decode(source, ids, config, rest),
    );
  }
  checkLengths(promptIds.length, config.max_new_tokens, source.maxPositions, options.contextFree ? 0 : 1);
  const recordTopK = options.recordTopK ?? DEFAULT_RECORD_TOP_K;
  const strategy = strategyOf(config);
  if (strategy === 'beam') return beamSearch(source, promptIds, config, recordTopK);
  return samplingSearch(source, promptIds, config, strategy === 'sample', {
    recordTopK,
    ...(options.textOf ? { textOf: options.textOf } : {}),
    ...(options.view ? { view: options.view } : {}),
  });
}
