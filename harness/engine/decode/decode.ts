import type { LogitsSource } from '../../core/backend/contract.ts';
import { beamSearch } from './beam-search.ts';
import type { DecodeResult } from './decode-result.ts';
import { type GenerationConfig, strategyOf } from './generation-config.ts';
import { checkLengths } from './lengths.ts';
import { samplingSearch } from './sampling-search.ts';
import { DEFAULT_RECORD_TOP_K } from './step-record.ts';
import type { TextOf } from './stopping.ts';

export interface DecodeOptions {
  /** [id, logprob] candidates recorded per step. */
  readonly recordTopK?: number;
  /** Decodes ids to text; required when the config has stop_strings. */
  readonly textOf?: TextOf;
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
  checkLengths(promptIds.length, config.max_new_tokens, source.maxPositions);
  const recordTopK = options.recordTopK ?? DEFAULT_RECORD_TOP_K;
  const strategy = strategyOf(config);
  if (strategy === 'beam') return beamSearch(source, promptIds, config, recordTopK);
  return samplingSearch(source, promptIds, config, strategy === 'sample', recordTopK, options.textOf);
}
