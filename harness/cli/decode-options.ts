import type { GreedyConfig } from '../decode/greedy.ts';
import { UsageError } from '../errors.ts';
import { eosTokenIds } from '../model/eos-token-ids.ts';
import type { ModelDir } from '../model/model-dir.ts';
import { intOption, type OptionSpec } from './args.ts';

/** Decoding options, named as Hugging Face's generate() arguments in kebab case. */
export const DECODE_OPTIONS = {
  strategy: { type: 'string' },
  'max-new-tokens': { type: 'string' },
} as const satisfies OptionSpec;

export const STRATEGIES = ['greedy'] as const;

/** Build the greedy config from the command line and the model's generation_config.json. */
export function greedyConfigFrom(
  values: { strategy?: string; 'max-new-tokens'?: string },
  model: ModelDir,
  recordTopK: number,
): GreedyConfig {
  const strategy = values.strategy ?? 'greedy';
  if (!(STRATEGIES as readonly string[]).includes(strategy)) {
    throw new UsageError(
      `--strategy ${JSON.stringify(strategy)} is not supported; supported: ${STRATEGIES.join(', ')}`,
    );
  }
  const maxNewTokens = intOption('max-new-tokens', values['max-new-tokens'], 20, 1, model.config.n_positions);
  return { maxNewTokens, eosTokenIds: eosTokenIds(model), recordTopK };
}
